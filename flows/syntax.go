package flows

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	goyaml "github.com/goccy/go-yaml"
	goparser "github.com/goccy/go-yaml/parser"
)

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxError turns a yaml.v3 parse error of data into an *Error at the
// place of the mistake. yaml.v3 names the line where the construct that
// holds the mistake began, without a column; a second parser, whose
// errors carry the mistake's own line and column, places it when it
// finds the same file invalid.
func syntaxError(file string, data []byte, err error) error {
	msg := err.Error()
	at := Pos{File: file, Line: 1}
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		at.Line, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	var se *goyaml.SyntaxError
	if _, gerr := goparser.ParseBytes(data, 0); errors.As(gerr, &se) && se.Token != nil && se.Token.Position != nil {
		at.Line, at.Col = se.Token.Position.Line, se.Token.Position.Column
		msg = strings.ReplaceAll(se.Message, "\t", `\t`)
	}
	return Errorf(at, "YAML syntax: %s%s", msg, syntaxHint(data, at, msg))
}

// syntaxHint says what to write instead for the mistakes a spec author
// makes most.
func syntaxHint(data []byte, at Pos, msg string) string {
	line := lineOf(data, at.Line)
	switch {
	case strings.Contains(line, "\t"):
		return "; indent with spaces, not tabs"
	case strings.Count(line, `"`)%2 == 1 || strings.Count(line, `'`)%2 == 1:
		return "; a quoted string is not closed"
	case strings.Contains(msg, "'}'"), strings.Contains(msg, "']'"):
		opener, closer := "{", "}"
		if strings.Contains(msg, "']'") {
			opener, closer = "[", "]"
		}
		for n := at.Line; n >= 1 && n >= at.Line-50; n-- {
			if l := lineOf(data, n); strings.Count(l, opener) > strings.Count(l, closer) {
				return fmt.Sprintf("; the %s on line %d is not closed", opener, n)
			}
		}
	case strings.HasPrefix(msg, "mapping value is not allowed"):
		return `; a value that holds ": " must be quoted, such as 'a: b'`
	case strings.Contains(msg, "value is not allowed in this context"):
		return "; check this line's indentation against the lines above it"
	}
	return ""
}

// lineOf returns line n (from 1) of data, or "" past its end.
func lineOf(data []byte, n int) string {
	for i := 1; i < n; i++ {
		j := bytes.IndexByte(data, '\n')
		if j < 0 {
			return ""
		}
		data = data[j+1:]
	}
	if j := bytes.IndexByte(data, '\n'); j >= 0 {
		data = data[:j]
	}
	return string(data)
}

// checkUTF8 reports the first byte of data that is not UTF-8, at its line
// and column: YAML is UTF-8, and the YAML parser names no place for it.
func checkUTF8(file string, data []byte) error {
	if utf8.Valid(data) {
		return nil
	}
	line, col := 1, 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size <= 1 {
			return Errorf(Pos{File: file, Line: line, Col: col}, "the file is not UTF-8: byte 0x%02x cannot start a character here; save the file as UTF-8", data[i])
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
		i += size
	}
	return fmt.Errorf("%s: the file is not UTF-8", file)
}
