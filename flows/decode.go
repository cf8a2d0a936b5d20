package flows

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// decoder walks yaml.Node trees, collecting every problem with its place
// rather than stopping at the first.
type decoder struct {
	file   string
	getenv func(string) (string, bool)
	errs   []error
	// g is the grammar: the keys each mapping takes.
	g *Grammar
	// unset records the ${NAME} references to unset variables, by name.
	unset map[string][]Pos
	// deps are the files the spec reads besides itself.
	deps []string
	// included are the files being included, against cycles.
	included []string
	// env is the environment chosen (--env): only its unset variables count.
	env string
	// lim bounds the files read and the values decoded.
	lim Limits
}

func (d *decoder) pos(n *yaml.Node) Pos { return posOf(d.file, n) }

func (d *decoder) errorf(n *yaml.Node, format string, args ...any) {
	d.errs = append(d.errs, Errorf(d.pos(n), format, args...))
}

// kindName names a node's kind as a spec author would.
func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return kindName(n.Alias)
	}
	if n.Tag == "!!null" {
		return "nothing"
	}
	return fmt.Sprintf("%q", n.Value)
}

// resolve follows aliases, so anchors work anywhere.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// fields walks a mapping node. Keys not in known are reported with a
// suggestion, except x- keys, which are left to hold YAML anchors; fn is
// called for each known key in document order.
func (d *decoder) fields(n *yaml.Node, what string, known []string, fn func(key string, k, v *yaml.Node)) bool {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		d.errorf(n, "%s: want a mapping with keys %s, got %s", what, strings.Join(known, ", "), kindName(n))
		return false
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolve(n.Content[i+1])
		if seen[k.Value] {
			d.errorf(k, "%s: key %q appears twice", what, k.Value)
			continue
		}
		seen[k.Value] = true
		if strings.HasPrefix(k.Value, "x-") {
			continue // an extension key, e.g. to hold YAML anchors
		}
		if !slices.Contains(known, k.Value) {
			d.errorf(k, "%s: unknown key %q%s; known keys: %s", what, k.Value, didYouMean(k.Value, known), strings.Join(known, ", "))
			continue
		}
		fn(k.Value, k, v)
	}
	return true
}

// object walks a mapping with the keys of a grammar object, and reports
// the required keys it lacks.
func (d *decoder) object(n *yaml.Node, what string, o *Object, fn func(key string, k, v *yaml.Node)) bool {
	if !d.fields(n, what, o.Names(), fn) {
		return false
	}
	var required []string
	for _, k := range o.Keys {
		if k.Required {
			required = append(required, k.Name)
		}
	}
	d.require(n, what, required...)
	return true
}

// require reports each key of keys that the mapping n lacks.
func (d *decoder) require(n *yaml.Node, what string, keys ...string) {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		return
	}
	for _, want := range keys {
		found := false
		for i := 0; i < len(n.Content); i += 2 {
			found = found || n.Content[i].Value == want
		}
		if !found {
			d.errorf(n, "%s: missing required key %q", what, want)
		}
	}
}

// str decodes a scalar as a string, expanding ${NAME:-default}.
func (d *decoder) str(n *yaml.Node, what string) string {
	n = resolve(n)
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		d.errorf(n, "%s: want a string, got %s", what, kindName(n))
		return ""
	}
	s, err := expandEnv(n.Value, d.getenv)
	var unset errUnset
	switch {
	case errors.As(err, &unset):
		// Reported once per variable when the whole spec is read.
		d.unset[unset.name] = append(d.unset[unset.name], d.pos(n))
	case err != nil:
		d.errorf(n, "%s: %v", what, err)
	}
	if int64(len(s)) > d.lim.String {
		d.errorf(n, "%s: the value is %s; a value may be at most %s (--limit string=SIZE raises it)", what, FormatSize(int64(len(s))), FormatSize(d.lim.String))
		return ""
	}
	return s
}

// strList decodes a list of strings; a single string is a list of one.
func (d *decoder) strList(n *yaml.Node, what string) []string {
	n = resolve(n)
	if n.Kind == yaml.ScalarNode {
		return []string{d.str(n, what)}
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "%s: want a list of strings, got %s", what, kindName(n))
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for _, c := range n.Content {
		out = append(out, d.str(c, what))
	}
	return out
}

// ints decodes an integer or a list of integers.
func (d *decoder) ints(n *yaml.Node, what string) []int {
	n = resolve(n)
	items := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		items = n.Content
	}
	var out []int
	for _, c := range items {
		c = resolve(c)
		v, err := strconv.Atoi(c.Value)
		if c.Kind != yaml.ScalarNode || err != nil {
			d.errorf(c, "%s: want a whole number or a list of them, got %s", what, kindName(c))
			continue
		}
		out = append(out, v)
	}
	return out
}

// duration decodes a Go duration such as 500ms or 2s.
func (d *decoder) duration(n *yaml.Node, what string) time.Duration {
	s := d.str(n, what)
	if s == "" {
		return 0
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		d.errorf(n, "%s: want a duration such as 500ms, 2s or 1m, got %q", what, s)
	}
	return v
}

// boolean decodes true or false.
func (d *decoder) boolean(n *yaml.Node, what string) bool {
	n = resolve(n)
	v, err := strconv.ParseBool(n.Value)
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" || err != nil {
		d.errorf(n, "%s: want true or false, got %s", what, kindName(n))
	}
	return v
}

// pairs decodes a mapping of names to string values, keeping order and places.
func (d *decoder) pairs(n *yaml.Node, what string) []Pair {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		d.errorf(n, "%s: want a mapping of names to values, got %s", what, kindName(n))
		return nil
	}
	var out []Pair
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolve(n.Content[i+1])
		if v.Kind != yaml.ScalarNode {
			d.errorf(v, "%s: %q: want a string, got %s", what, k.Value, kindName(v))
			continue
		}
		if v.Tag == "!!null" {
			out = append(out, Pair{Name: k.Value, Pos: d.pos(v), Remove: true})
			continue
		}
		out = append(out, Pair{Name: k.Value, Value: d.str(v, what+": "+k.Value), Pos: d.pos(v)})
	}
	return out
}

// value decodes any YAML value into plain Go data (maps, lists, strings,
// numbers, booleans), expanding ${NAME} in strings.
func (d *decoder) value(n *yaml.Node, what string) any {
	n = resolve(n)
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			m[n.Content[i].Value] = d.value(n.Content[i+1], what)
		}
		return m
	case yaml.SequenceNode:
		l := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			l = append(l, d.value(c, what))
		}
		return l
	}
	if n.Tag == "!!str" {
		return d.str(n, what)
	}
	var v any
	if err := n.Decode(&v); err != nil {
		d.errorf(n, "%s: %v", what, err)
	}
	return v
}
