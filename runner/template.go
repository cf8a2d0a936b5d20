package runner

import (
	"fmt"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
)

// template is a string with {{ expression }} parts, compiled once.
type template struct {
	src   string
	parts []tplPart
	// whole is set when the template is exactly one {{ }}: its value keeps
	// its type in a JSON body.
	whole bool
}

type tplPart struct {
	lit  string
	prog *vm.Program
	src  string
}

// compileTemplate compiles s against the names in scope.
func compileTemplate(s string, sc *scope) (*template, error) {
	t := &template{src: s}
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
func (t *template) value(env map[string]any) (any, error) {
	if t.whole {
		v, err := expr.Run(t.parts[0].prog, env)
		if err != nil {
			return nil, fmt.Errorf("{{ %s }}: %s", t.parts[0].src, firstLine(err))
		}
		return v, nil
	}
	return t.render(env)
}

// render evaluates a template to a string.
func (t *template) render(env map[string]any) (string, error) {
	if len(t.parts) == 1 && t.parts[0].prog == nil {
		return t.parts[0].lit, nil
	}
	var b strings.Builder
	for _, p := range t.parts {
		if p.prog == nil {
			b.WriteString(p.lit)
			continue
		}
		v, err := expr.Run(p.prog, env)
		if err != nil {
			return "", fmt.Errorf("{{ %s }}: %s", p.src, firstLine(err))
		}
		if v == nil {
			return "", fmt.Errorf("{{ %s }} has no value", p.src)
		}
		b.WriteString(stringify(v))
	}
	return b.String(), nil
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
