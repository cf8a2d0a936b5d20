package runner

import (
	"fmt"
	"reflect"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser"

	"github.com/flowrun/flowrun/flows"
)

// bounds are what a plan's expressions and templates may spend while
// they run: memory is flows.Limits.ExprMemory, the budget of one
// evaluation (meter); value is flows.Limits.String, the size of a
// rendered template.
type bounds struct{ memory, value int64 }

func boundsOf(l flows.Limits) bounds {
	l = l.Resolved()
	return bounds{memory: l.ExprMemory, value: l.String}
}

// checkBounds refuses, at compile time, what an expression is sure to
// spend beyond budget whenever it runs: a range, a repeat or a join of
// known size, or a loop over a collection of known length, counted as
// many times as the loops around it run, as if each ran to its end, as
// the meter charges it. What is only known at run time is the meter's.
func checkBounds(tree *parser.Tree, budget int64) error {
	s := sizer{budget: budget}
	s.size(tree.Node, 1)
	if s.err != nil {
		return s.err.Bind(tree.Source)
	}
	return nil
}

// sizer finds the first node of a tree that is sure to exceed budget.
type sizer struct {
	budget int64
	err    *file.Error
}

// extent bounds a value's size: n is the bytes of a string or the
// elements of a list, each the bytes of each string of a list; -1 is
// not known.
type extent struct{ n, each int64 }

var unknown = extent{-1, -1}

// size returns the extent of node's value, which is evaluated times times.
func (s *sizer) size(node ast.Node, times int64) extent {
	if s.err != nil || node == nil {
		return unknown
	}
	switch n := node.(type) {
	case *ast.StringNode:
		return extent{int64(len(n.Value)), -1}
	case *ast.ArrayNode:
		e := extent{int64(len(n.Nodes)), 0}
		for _, x := range n.Nodes {
			if x := s.size(x, times); x.n < 0 || e.each < 0 {
				e.each = -1
			} else {
				e.each = max(e.each, x.n)
			}
		}
		return e
	case *ast.BinaryNode:
		l, r := s.size(n.Left, times), s.size(n.Right, times)
		switch {
		case n.Operator == "+" && n.Type().Kind() == reflect.String && l.n >= 0 && r.n >= 0:
			s.over(n, "+ builds", add(l.n, r.n), "bytes", times)
			return extent{add(l.n, r.n), -1}
		case n.Operator == "matches":
			if r, ok := n.Right.(*ast.StringNode); ok {
				// expr compiles a constant pattern with the expression.
				s.over(n, "matches takes", mul(int64(len(r.Value)), patternCost), "bytes to compile its pattern", 1)
			}
		case n.Operator == "..":
			a, ok1 := constInt(n.Left)
			b, ok2 := constInt(n.Right)
			if ok1 && ok2 {
				count := max(b-a+1, 0)
				s.over(n, n.String()+" builds", count, "elements", times)
				return extent{count, -1}
			}
		}
		return unknown
	case *ast.PredicateNode:
		return s.size(n.Node, times)
	case *ast.BuiltinNode:
		if isPredicate(n.Name) {
			return s.loop(n, times)
		}
		return s.builtin(n, times)
	}
	for _, c := range children(node) {
		s.size(c, times)
	}
	return unknown
}

// loop sizes a predicate: its loop takes len(collection) steps, each of
// loopWeight, and its predicate runs once a step.
func (s *sizer) loop(n *ast.BuiltinNode, times int64) extent {
	coll := s.size(n.Arguments[0], times)
	inner := times
	if coll.n >= 0 {
		s.over(n, n.Name+" takes", mul(coll.n, int64(loopWeight(n))), "steps", times)
		inner = mul(times, coll.n)
	}
	body := unknown
	for _, a := range n.Arguments[1:] {
		if _, ok := a.(*ast.PredicateNode); ok {
			body = s.size(a, inner)
		} else {
			s.size(a, times) // reduce's first accumulator
		}
	}
	switch n.Name {
	case "map":
		return extent{coll.n, body.n}
	case "filter":
		return coll
	}
	return unknown
}

func (s *sizer) builtin(n *ast.BuiltinNode, times int64) extent {
	args := make([]extent, len(n.Arguments))
	for i, a := range n.Arguments {
		args[i] = s.size(a, times)
	}
	switch n.Name {
	case "repeat":
		if k, ok := constInt(n.Arguments[1]); ok && k >= 0 && args[0].n >= 0 {
			size := mul(args[0].n, k)
			s.over(n, "repeat builds", size, "bytes", times)
			return extent{size, -1}
		}
	case "join":
		sep := int64(0)
		if len(args) > 1 {
			sep = args[1].n
		}
		if list := args[0]; list.n >= 0 && list.each >= 0 && sep >= 0 {
			size := add(mul(list.n, list.each), mul(max(list.n-1, 0), sep))
			s.over(n, "join builds", size, "bytes", times)
			return extent{size, -1}
		}
	case "upper", "lower", "trim", "trimPrefix", "trimSuffix":
		return extent{args[0].n, -1}
	}
	return unknown
}

// over records that n exceeds the budget if it spends size each of the
// times it runs.
func (s *sizer) over(n ast.Node, what string, size int64, unit string, times int64) {
	total := mul(size, times)
	if s.err != nil || total <= s.budget {
		return
	}
	verb, per := "allocate", ""
	if unit == "steps" {
		verb, per = "take", " steps"
	}
	msg := fmt.Sprintf("%s %d %s", what, size, unit)
	if times > 1 {
		msg += fmt.Sprintf(" each of %d times, %d in all", times, total)
	}
	s.err = &file.Error{Location: n.Location(), Message: fmt.Sprintf("%s; an expression may %s at most %d%s (--limit expr-memory)", msg, verb, s.budget, per)}
}

// constInt returns the value of an integer constant, folding + - * of
// constants as the optimizer would.
func constInt(n ast.Node) (int64, bool) {
	switch n := n.(type) {
	case *ast.IntegerNode:
		return int64(n.Value), true
	case *ast.UnaryNode:
		v, ok := constInt(n.Node)
		switch n.Operator {
		case "-":
			return -v, ok
		case "+":
			return v, ok
		}
	case *ast.BinaryNode:
		a, ok1 := constInt(n.Left)
		b, ok2 := constInt(n.Right)
		if !ok1 || !ok2 || a < 0 || b < 0 {
			return 0, false
		}
		switch n.Operator {
		case "+":
			return add(a, b), true
		case "*":
			return mul(a, b), true
		case "-":
			return a - b, true
		}
	}
	return 0, false
}

// children returns a node's children, as ast.Walk visits them.
func children(node ast.Node) []ast.Node {
	switch n := node.(type) {
	case *ast.UnaryNode:
		return []ast.Node{n.Node}
	case *ast.ChainNode:
		return []ast.Node{n.Node}
	case *ast.MemberNode:
		return []ast.Node{n.Node, n.Property}
	case *ast.SliceNode:
		return []ast.Node{n.Node, n.From, n.To}
	case *ast.CallNode:
		return append([]ast.Node{n.Callee}, n.Arguments...)
	case *ast.PredicateNode:
		return []ast.Node{n.Node}
	case *ast.VariableDeclaratorNode:
		return []ast.Node{n.Value, n.Expr}
	case *ast.SequenceNode:
		return n.Nodes
	case *ast.ConditionalNode:
		return []ast.Node{n.Cond, n.Exp1, n.Exp2}
	case *ast.MapNode:
		return n.Pairs
	case *ast.PairNode:
		return []ast.Node{n.Key, n.Value}
	}
	return nil
}
