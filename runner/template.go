package runner

import (
	"fmt"
	"strings"

	"github.com/expr-lang/expr/vm"

	"github.com/flowrun/flowrun/flows"
)

// template is a string with {{ expression }} parts, compiled once.
type template struct {
	src   string
	parts []tplPart
	// whole is set when the template is exactly one {{ }}: its value keeps
	// its type in a JSON body.
	whole bool
	// bounds are what each expression may spend and how large the
	// template's value may be.
	bounds bounds
}

type tplPart struct {
	lit  string
	prog *vm.Program
	src  string
}

// compileTemplate compiles s against the names in scope.
func compileTemplate(s string, sc *scope) (*template, error) {
	t := &template{src: s, bounds: sc.shared().bounds()}
	rest := s
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			if strings.Contains(rest, "}}") {
				return nil, fmt.Errorf("template %q: }} without {{", s)
			}
			break
		}
		if i > 0 {
			t.parts = append(t.parts, tplPart{lit: rest[:i]})
		}
		j := strings.Index(rest[i:], "}}")
		if j < 0 {
			return nil, fmt.Errorf("template %q: {{ without }}", s)
		}
		src := strings.TrimSpace(rest[i+2 : i+j])
		if src == "" {
			return nil, fmt.Errorf("template %q: empty {{ }}", s)
		}
		prog, err := sc.compile(src)
		if err != nil {
			return nil, fmt.Errorf("template %q: {{ %s }}: %s", s, src, firstLine(err))
		}
		t.parts = append(t.parts, tplPart{prog: prog, src: src})
		rest = rest[i+j+2:]
	}
	if rest != "" && rest != s {
		t.parts = append(t.parts, tplPart{lit: rest})
	}
	if len(t.parts) == 0 {
		t.parts = []tplPart{{lit: s}}
	}
	t.whole = len(t.parts) == 1 && t.parts[0].prog != nil
	return t, nil
}

// value evaluates a template; a whole-expression template keeps its type.
// Its value may be no larger, written out, than bounds.value.
func (t *template) value(env map[string]any) (any, error) {
	if !t.whole {
		return t.render(env)
	}
	p := t.parts[0]
	v, err := run(p.prog, env, t.bounds.memory)
	if err != nil {
		return nil, fmt.Errorf("{{ %s }}: %s", p.src, firstLine(err))
	}
	if s, ok := v.(string); ok {
		if n := int64(len(s)); n > t.bounds.value {
			return nil, t.tooLarge(fmt.Sprintf("%d bytes", n))
		}
	} else if textSize(v, t.bounds.value) > t.bounds.value {
		return nil, t.tooLarge("more than " + flows.FormatSize(t.bounds.value))
	}
	return v, nil
}

// render evaluates a template to a string of at most bounds.value bytes.
// Once that is passed, nothing more is written: the other parts are
// evaluated only to say how large the whole would be.
func (t *template) render(env map[string]any) (string, error) {
	if len(t.parts) == 1 && t.parts[0].prog == nil {
		return t.parts[0].lit, nil
	}
	var b strings.Builder
	var n int64
	for _, p := range t.parts {
		s := p.lit
		if p.prog != nil {
			v, err := run(p.prog, env, t.bounds.memory)
			if err != nil {
				return "", fmt.Errorf("{{ %s }}: %s", p.src, firstLine(err))
			}
			if v == nil {
				return "", fmt.Errorf("{{ %s }} has no value", p.src)
			}
			// A list or a map is measured before it is written: one may
			// hold another many times over. The measure is rough; what
			// is written is counted exactly.
			if _, ok := v.(string); !ok && textSize(v, 2*t.bounds.value) > 2*t.bounds.value {
				return "", t.tooLarge("more than " + flows.FormatSize(t.bounds.value))
			}
			s = stringify(v)
		}
		if n += int64(len(s)); n <= t.bounds.value {
			b.WriteString(s)
		}
	}
	if n > t.bounds.value {
		return "", t.tooLarge(fmt.Sprintf("%d bytes", n))
	}
	return b.String(), nil
}

// tooLarge is the error of a template whose value, of size, is larger
// than bounds.value.
func (t *template) tooLarge(size string) error {
	return fmt.Errorf("template %q: renders %s; a value may be at most %s (--limit string)", t.src, size, flows.FormatSize(t.bounds.value))
}

// stringify writes a value as a template shows it: strings bare, whole
// numbers without a fraction, the rest as fmt does.
func stringify(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		if x == float64(int64(x)) {
			return fmt.Sprintf("%d", int64(x))
		}
	}
	return fmt.Sprint(v)
}

// firstLine returns an expr error without its source excerpt.
func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}
