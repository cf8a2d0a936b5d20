package flows

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Limits bound every resource a spec, a file it names or a server can
// make large. The zero value of a field means its default
// (DefaultLimits); flowrun's --limit NAME=VALUE sets one.
type Limits struct {
	// SpecFile is the size of a spec, an included file or an env file.
	SpecFile int64
	// Nodes is the number of YAML nodes of a spec once its aliases are
	// expanded.
	Nodes int64
	// Expanded is the size of a spec's text once its aliases are
	// expanded: what a JSON body built from aliases would send.
	Expanded int64
	// String is the size of one value: a variable, a row's value, a
	// rendered template or a header.
	String int64
	// Rows is the number of rows of one flow.
	Rows int64
	// RowsFile is the size of a rows_file.
	RowsFile int64
	// Body is how much of a response body is read; the rest is not, and
	// the step errs with the status, headers and first bytes shown.
	Body int64
	// ExprMemory is the memory an expression may allocate while it is
	// evaluated, in bytes (strings) and elements (lists and maps).
	ExprMemory int64
}

// Limit describes one field of Limits: its name on the command line,
// what it bounds, its unit and its default. The CLI, the docs and the
// error messages read this one list.
type Limit struct {
	Name        string
	Description string
	// Bytes is true for a size (accepts 4MiB, 10MB, 512KiB), false for
	// a count.
	Bytes   bool
	Default int64
	field   func(*Limits) *int64
}

// LimitList lists every limit, in the order the docs give them.
func LimitList() []Limit {
	return []Limit{
		{"spec-file", "size of a spec file or an included file", true, 4 << 20, func(l *Limits) *int64 { return &l.SpecFile }},
		{"nodes", "YAML nodes of a spec once its aliases are expanded", false, 200_000, func(l *Limits) *int64 { return &l.Nodes }},
		{"expanded", "text of a spec once its aliases are expanded", true, 16 << 20, func(l *Limits) *int64 { return &l.Expanded }},
		{"string", "one value: a variable, a row's value, a rendered template or header", true, 1 << 20, func(l *Limits) *int64 { return &l.String }},
		{"rows", "rows of one flow (rows: or rows_file:)", false, 100_000, func(l *Limits) *int64 { return &l.Rows }},
		{"rows-file", "size of a rows_file", true, 16 << 20, func(l *Limits) *int64 { return &l.RowsFile }},
		{"body", "what is read of a response body (--max-body)", true, 10 << 20, func(l *Limits) *int64 { return &l.Body }},
		{"expr-memory", "what one expression may allocate while it runs (bytes of strings, elements of lists)", false, 10_000_000, func(l *Limits) *int64 { return &l.ExprMemory }},
	}
}

// DefaultLimits returns the limits flowrun uses unless told otherwise.
func DefaultLimits() Limits {
	var l Limits
	return l.Resolved()
}

// Resolved returns l with each unset (zero or negative) field at its
// default.
func (l Limits) Resolved() Limits {
	for _, d := range LimitList() {
		if p := d.field(&l); *p <= 0 {
			*p = d.Default
		}
	}
	return l
}

// Set sets the limit called name from value, such as Set("body",
// "50MiB") or Set("rows", "1000000").
func (l *Limits) Set(name, value string) error {
	i := slices.IndexFunc(LimitList(), func(d Limit) bool { return d.Name == name })
	if i < 0 {
		names := make([]string, 0, 8)
		for _, d := range LimitList() {
			names = append(names, d.Name)
		}
		return fmt.Errorf("unknown limit %q; limits are %s", name, strings.Join(names, ", "))
	}
	d := LimitList()[i]
	n, err := parseAmount(value, d.Bytes)
	if err != nil {
		return fmt.Errorf("limit %s: %w", name, err)
	}
	*d.field(l) = n
	return nil
}

// units are the size suffixes parseAmount accepts, longest first.
var units = []struct {
	suffix string
	scale  int64
}{
	{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10},
	{"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"kB", 1e3},
	{"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}, {"B", 1},
}

// parseAmount reads a positive count, or with bytes a size with an
// optional unit (10MiB, 4MB, 512K, 1024).
func parseAmount(s string, bytes bool) (int64, error) {
	num, scale := strings.TrimSpace(s), int64(1)
	if bytes {
		for _, u := range units {
			if strings.HasSuffix(num, u.suffix) {
				num, scale = strings.TrimSpace(strings.TrimSuffix(num, u.suffix)), u.scale
				break
			}
		}
	}
	n, err := strconv.ParseInt(strings.ReplaceAll(num, "_", ""), 10, 64)
	if err != nil || n <= 0 || n > (1<<62)/scale {
		if bytes {
			return 0, fmt.Errorf("want a positive size such as 1048576, 512KiB, 10MiB or 1GB, got %q", s)
		}
		return 0, fmt.Errorf("want a positive whole number, got %q", s)
	}
	return n * scale, nil
}

// FormatSize writes a byte count the way a user would (4 MiB, 512 KiB, 37 bytes).
func FormatSize(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
