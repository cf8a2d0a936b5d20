package runner

import (
	"reflect"
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/builtin"
	"github.com/expr-lang/expr/conf"
)

// The functions a metered tree calls (meterTree). Their names hold a
// space, so no expression can call them, nor its own variable shadow the
// meter.
const (
	meteredBuiltinName  = "metered builtin "
	meteredOperatorName = "metered operator "
	meteredLoopName     = "metered loop"
	meteredReadName     = "metered read"
	meteredCallName     = "metered call"
)

// meteredOperators are the operators whose cost grows with their
// operands: comparisons and searches read them, + joins strings.
var meteredOperators = []string{"==", "!=", "<", ">", "<=", ">=", "in", "contains", "startsWith", "endsWith", "matches", "+"}

// constantTime are the built-ins whose cost does not grow with their
// arguments; the others are metered.
var constantTime = map[string]bool{"abs": true, "ceil": true, "floor": true, "round": true, "now": true,
	"first": true, "last": true, "get": true, "take": true, "type": true, "bitand": true, "bitor": true,
	"bitxor": true, "bitnand": true, "bitnot": true, "bitshl": true, "bitshr": true, "bitushr": true}

// addMetered adds to c the functions a metered tree calls.
func addMetered(c *conf.Config) {
	add := func(name string, fn func(args ...any) (any, error)) {
		c.Functions[name] = &builtin.Function{Name: name, Func: fn}
	}
	for _, f := range builtin.Builtins {
		if !f.Predicate && !constantTime[f.Name] {
			add(meteredBuiltinName+f.Name, meteredBuiltin(f.Name))
		}
	}
	for _, op := range meteredOperators {
		add(meteredOperatorName+op, meteredOperator(op))
	}
	add(meteredLoopName, meteredLoop)
	add(meteredReadName, meteredRead)
	add(meteredCallName, meteredCall)
}

// meterTree rewrites a checked tree so that it charges its meter for
// what it reads, builds and loops over (see meter): each metered
// built-in and operator becomes a call of its metered form, each
// predicate's collection is passed through meteredLoop, and each call of
// a function of the environment (json, jwt, ...) goes through
// meteredCall. A node already metered is left as it is: an assertion's
// operands are compiled from nodes its whole expression shares.
func meterTree(node *ast.Node) { ast.Walk(node, meterPatch{}) }

type meterPatch struct{}

func (p meterPatch) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.BuiltinNode:
		if n.Map != nil { // filter(...) folded with map(...) by the optimizer
			ast.Walk(&n.Map, p)
		}
		switch {
		case isPredicate(n.Name):
			meterLoop(n)
		case !constantTime[n.Name]:
			meterCall(node, meteredBuiltinName+n.Name, n.Arguments...)
		}
	case *ast.BinaryNode:
		if meters(n) {
			meterCall(node, meteredOperatorName+n.Operator, n.Left, n.Right)
		} else if _, ok := n.Right.(*ast.StringNode); ok && n.Operator == "matches" && !literal(n.Left) {
			// A constant pattern is compiled once; what it reads is charged.
			meterRead(&n.Left, "matches")
		}
	case *ast.CallNode:
		if id, ok := n.Callee.(*ast.IdentifierNode); ok && !strings.HasPrefix(id.Value, "metered ") {
			name := &ast.StringNode{Value: id.Value}
			name.SetLocation(n.Location())
			meterCall(node, meteredCallName, append([]ast.Node{name, n.Callee}, n.Arguments...)...)
		}
	}
}

// meters reports whether a binary node is metered: its cost grows with
// an operand that is not known before it runs.
func meters(n *ast.BinaryNode) bool {
	switch n.Operator {
	case "==", "!=", "<", ">", "<=", ">=":
		// A literal bounds what comparing with it reads.
		return !literal(n.Left) && !literal(n.Right) && !(scalar(n.Left) && scalar(n.Right))
	case "contains":
		return !literal(n.Left)
	case "startsWith", "endsWith":
		return !literal(n.Right)
	case "in":
		r, ok := n.Right.(*ast.BinaryNode)
		return !literal(n.Right) && !(ok && r.Operator == "..") // a range is counted by expr
	case "matches":
		_, ok := n.Right.(*ast.StringNode)
		return !ok
	case "+":
		return textual(n.Left) || textual(n.Right)
	}
	return false
}

// meterCall replaces *node by a call of the metered function name with
// the meter and args.
func meterCall(node *ast.Node, name string, args ...ast.Node) {
	loc := (*node).Location()
	call := &ast.CallNode{Callee: identifier(name, *node), Arguments: append([]ast.Node{identifier(meterKey, *node)}, args...)}
	call.SetNature(*(*node).Nature())
	call.SetLocation(loc)
	*node = call
}

// meterLoop passes a predicate's collection through meteredLoop.
func meterLoop(n *ast.BuiltinNode) {
	coll := &n.Arguments[0]
	if isMeteredCall(*coll, meteredLoopName) {
		return
	}
	weight := &ast.IntegerNode{Value: loopWeight(n)}
	weight.SetType(reflect.TypeOf(0))
	weight.SetLocation((*coll).Location())
	name := &ast.StringNode{Value: n.Name}
	name.SetLocation((*coll).Location())
	meterCall(coll, meteredLoopName, name, weight, *coll)
}

// meterRead passes *arg through meteredRead, charged to what.
func meterRead(arg *ast.Node, what string) {
	if isMeteredCall(*arg, meteredReadName) {
		return
	}
	name := &ast.StringNode{Value: what}
	name.SetLocation((*arg).Location())
	meterCall(arg, meteredReadName, name, *arg)
}

// loopWeight is what one step of a predicate's loop costs: one unit,
// and one more per eight nodes of the predicate, since a long predicate
// is slow to run even when it reads and builds nothing.
func loopWeight(n *ast.BuiltinNode) int {
	count := nodeCounter(0)
	for i := range n.Arguments[1:] {
		if _, ok := n.Arguments[1+i].(*ast.PredicateNode); ok {
			ast.Walk(&n.Arguments[1+i], &count)
		}
	}
	if n.Map != nil {
		ast.Walk(&n.Map, &count)
	}
	return 1 + int(count)/8
}

// nodeCounter counts the nodes of a tree as they were before metering:
// a metered node counts as the node it stands for.
type nodeCounter int

func (c *nodeCounter) Visit(node *ast.Node) {
	*c++
	if call, ok := (*node).(*ast.CallNode); ok {
		if id, ok := call.Callee.(*ast.IdentifierNode); ok {
			switch {
			case id.Value == meteredLoopName: // name, weight; callee, meter, the call
				*c -= 5
			case id.Value == meteredReadName: // name; callee, meter, the call
				*c -= 4
			case id.Value == meteredCallName: // name; callee, meter
				*c -= 3
			case strings.HasPrefix(id.Value, "metered "): // callee, meter
				*c -= 2
			}
		}
	}
}

func identifier(name string, at ast.Node) *ast.IdentifierNode {
	id := &ast.IdentifierNode{Value: name}
	id.SetLocation(at.Location())
	return id
}

func isMeteredCall(n ast.Node, name string) bool {
	c, ok := n.(*ast.CallNode)
	if !ok {
		return false
	}
	id, ok := c.Callee.(*ast.IdentifierNode)
	return ok && id.Value == name
}

func isPredicate(name string) bool {
	i, ok := builtin.Index[name]
	return ok && builtin.Builtins[i].Predicate
}

// literal reports whether n is a constant of the expression's text:
// reading it costs no more than the text does.
func literal(n ast.Node) bool {
	switch n.(type) {
	case *ast.StringNode, *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.NilNode, *ast.ConstantNode:
		return true
	}
	return false
}

// scalar reports whether n is known to be a number or a boolean.
func scalar(n ast.Node) bool {
	switch n.Type().Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

// textual reports whether n may be a string.
func textual(n ast.Node) bool {
	k := n.Type().Kind()
	return k == reflect.String || k == reflect.Interface
}
