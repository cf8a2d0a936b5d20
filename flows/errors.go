package flows

import (
	"cmp"
	"errors"
	"fmt"
	"slices"

	"gopkg.in/yaml.v3"
)

// Pos is a place in a spec file.
type Pos struct {
	File string `json:"file"`
	Line int    `json:"line"`
	Col  int    `json:"col"`
}

// String returns the place as file:line:col.
func (p Pos) String() string {
	if p.Col == 0 {
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// posOf returns the place of a YAML node in file.
func posOf(file string, n *yaml.Node) Pos {
	if n == nil {
		return Pos{File: file, Line: 1, Col: 1}
	}
	return Pos{File: file, Line: n.Line, Col: n.Column}
}

// Error is a problem found in a spec, with its place.
type Error struct {
	Pos Pos
	Msg string
}

// Error returns the problem as "file:line:col: message".
func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// Errorf returns an *Error at pos.
func Errorf(pos Pos, format string, args ...any) *Error {
	return &Error{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

// JoinErrors flattens errs (joined errors are taken apart), sorts them by
// place and joins them; it returns nil for none. Errors that are not
// *Error keep their order, after the placed ones.
func JoinErrors(errs []error) error {
	errs = flatten(errs)
	if len(errs) == 0 {
		return nil
	}
	slices.SortStableFunc(errs, func(a, b error) int {
		var pa, pb *Error
		okA, okB := errors.As(a, &pa), errors.As(b, &pb)
		switch {
		case okA && okB:
			return cmp.Or(cmp.Compare(pa.Pos.File, pb.Pos.File),
				cmp.Compare(pa.Pos.Line, pb.Pos.Line), cmp.Compare(pa.Pos.Col, pb.Pos.Col))
		case okA:
			return -1
		case okB:
			return 1
		}
		return 0
	})
	return errors.Join(errs...)
}

func flatten(errs []error) []error {
	var out []error
	for _, e := range errs {
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			out = append(out, flatten(j.Unwrap())...)
		} else if e != nil {
			out = append(out, e)
		}
	}
	return out
}
