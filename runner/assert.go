package runner

import (
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"

	"github.com/flowrun/flowrun/flows"
)

// assertion is a compiled `assert` expression. For a comparison, its
// operands are compiled too, as one program giving both, so a failure
// can show their values.
type assertion struct {
	src      string
	pos      flows.Pos
	prog     *vm.Program
	operands *vm.Program
	op       string
	// uses is what of the response the expression reads.
	uses uses
	// budget bounds each evaluation (meter).
	budget int64
}

var comparisons = map[string]bool{"==": true, "!=": true, "<": true, ">": true, "<=": true, ">=": true,
	"in": true, "not in": true, "contains": true, "startsWith": true, "endsWith": true, "matches": true}

// compileAssertion compiles src as a boolean expression in scope sc, or
// returns the assertion it compiled to in another step where its names
// mean the same.
func compileAssertion(src string, sc *scope) (*assertion, error) {
	key, confs := sc.key("assert", src), sc.shared()
	if a, ok := confs.assertions[key]; ok {
		cp := *a // the caller sets its place
		return &cp, nil
	}
	a, err := buildAssertion(src, sc)
	if err == nil {
		if confs.assertions == nil {
			confs.assertions = map[string]*assertion{}
		}
		cp := *a
		confs.assertions[key] = &cp
	}
	return a, err
}

// buildAssertion compiles src as a boolean expression in scope sc: it is
// parsed and checked once, and its program and its operands' are compiled
// from that one tree.
func buildAssertion(src string, sc *scope) (*assertion, error) {
	// Checked as a boolean, it rejects what is known not to be boolean
	// now; what is only known at run time (json(), variables) is checked
	// by check, so the program itself casts nothing to bool.
	tree, c, err := sc.parse(src, true)
	if err != nil {
		return nil, err
	}
	a := &assertion{src: src, budget: sc.shared().bounds().memory}
	// The operands are compiled before the whole is optimized, which may
	// fold them into forms a reader would not recognise; they run only to
	// explain a failure, so they are left unoptimized.
	if b, ok := tree.Node.(*ast.BinaryNode); ok && comparisons[b.Operator] {
		pair := &ast.ArrayNode{Nodes: []ast.Node{b.Left, b.Right}}
		pair.SetType(reflect.TypeOf([]any{}))
		if operands, err := program(&parser.Tree{Node: pair, Source: tree.Source}, c, false); err == nil {
			a.operands, a.op = operands, b.Operator
		}
	}
	if a.prog, err = program(tree, c, true); err != nil {
		return nil, err
	}
	a.uses = usesOf(a.prog)
	return a, nil
}

// check evaluates the assertion. A failed comparison keeps its operands'
// values; an evaluation error or a result that is not a boolean makes the
// check errored, never silently false.
func (a *assertion) check(env map[string]any) Check {
	c := Check{Pos: a.pos, Kind: CheckAssert, Expr: a.src, Expected: valueOf(true)}
	out, err := run(a.prog, env, a.budget)
	if err != nil {
		c.Status, c.Actual, c.Message = Errored, textValue("an error"), firstLine(err)
		return c
	}
	b, ok := out.(bool)
	if !ok {
		c.Status, c.Actual = Errored, valueOf(out)
		c.explain, c.operands = "the expression gave %s, not true or false", []string{show(out)}
		return c
	}
	c.Actual = valueOf(b)
	if b {
		c.Status = Passed
		return c
	}
	c.Status = Failed
	if a.operands != nil {
		if lr, err := run(a.operands, env, a.budget); err == nil {
			lr := lr.([]any)
			c.explain, c.operands = "%s "+a.op+" %s is false", []string{show(lr[0]), show(lr[1])}
		}
	}
	return c
}

// valueOf is a value as a check keeps it: JSON, and its display text.
func valueOf(v any) Value {
	// The common kinds without reflection, as json.Marshal and show write them.
	switch x := v.(type) {
	case nil:
		return Value{JSON: json.RawMessage("null"), Text: "nil"}
	case bool:
		t := strconv.FormatBool(x)
		return Value{JSON: json.RawMessage(t), Text: t}
	case int:
		t := strconv.Itoa(x)
		return Value{JSON: json.RawMessage(t), Text: t}
	case string:
		return Value{JSON: jsonString(x), Text: strconv.Quote(x)}
	}
	if textSize(v, showKeep) > showKeep {
		// Too large to keep, and it may hold a list many times over: it
		// is shown in part (excerpt).
		return Value{Text: show(v)}
	}
	js, err := json.Marshal(v)
	if err != nil {
		js = nil
	}
	return Value{JSON: js, Text: show(v)}
}

// show formats a value for a report: strings quoted, data as JSON. The
// flow cuts it once it is masked.
func show(v any) string {
	switch x := v.(type) {
	case nil:
		return "nil"
	case string:
		return strconv.Quote(x) // as %q
	case time.Duration:
		return x.String()
	case map[string]any, []any:
		b, _ := json.Marshal(excerpt(x, showKeep))
		return string(b)
	}
	if shallowLen(v) > 0 && textSize(v, showKeep) > showKeep { // another kind of list or map
		b, _ := json.Marshal(excerpt(v, showKeep))
		return string(b)
	}
	return stringify(v)
}

// jsonString is s as a JSON string, as json.Marshal writes it.
func jsonString(s string) json.RawMessage {
	if plainJSON(s) {
		return append(append(append(make([]byte, 0, len(s)+2), '"'), s...), '"')
	}
	js, _ := json.Marshal(s)
	return js
}

var unknownName = regexp.MustCompile(`unknown name (\w+)`)

// undefinedHint adds, to an "unknown name" error, the names that are
// defined at that point and the nearest one.
func undefinedHint(err error, sc *scope) string {
	m := unknownName.FindStringSubmatch(err.Error())
	if m == nil {
		return ""
	}
	if other, ok := sc.elsewhere[m[1]]; ok {
		return fmt.Sprintf("; %s is captured in session %q and this step is in another: give the step session: %s, log in in its own session, or copy the value into a flow variable with vars: {%s_%s: \"{{%s}}\"} on a step of session %s",
			m[1], other, other, other, m[1], m[1], other)
	}
	names := sc.names()
	hint := "; a variable must be under vars, captured by an earlier step, or set by vars: on this step"
	if len(names) > 0 {
		hint += " (defined here: " + strings.Join(names, ", ") + ")"
	}
	if best := flows.Nearest(m[1], sc.all()); best != "" {
		hint = fmt.Sprintf("; did you mean %q?", best) + hint
	}
	return hint
}
