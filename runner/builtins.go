package runner

import (
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/expr-lang/expr/builtin"
	exprruntime "github.com/expr-lang/expr/vm/runtime"
)

// zoneLoad is what loading a time zone is charged: as many steps as take
// about as long.
const zoneLoad = 4096

// meteredBuiltin returns the built-in name as the meter sees it: called
// with the meter and the built-in's arguments, it charges what the call
// reads and builds, then calls expr's built-in.
func meteredBuiltin(name string) func(args ...any) (any, error) {
	f := builtin.Builtins[builtin.Index[name]]
	before, builds := builtinCost(name)
	return func(args ...any) (any, error) {
		m, args, err := meterOf(args)
		if err != nil {
			return nil, err
		}
		if err := before(m, name, args); err != nil {
			return nil, err
		}
		var out any
		switch {
		case f.Fast != nil:
			out = f.Fast(args[0])
		case f.Safe != nil:
			// expr's count of what it built is the meter's to keep.
			out, _, err = f.Safe(args...)
		default:
			out, err = f.Func(args...)
		}
		if err != nil || !builds {
			return out, err
		}
		return out, m.build(name, shallowLen(out), unitOf(out))
	}
}

// builtinCost returns what a call of the built-in name is charged before
// it runs, and whether what it builds is charged once built: the size of
// that is bounded by its arguments, which are charged before.
func builtinCost(name string) (before func(m *meter, name string, args []any) error, builds bool) {
	switch name {
	case "repeat":
		return repeatCost, false
	case "join":
		return joinCost, false
	case "replace":
		return replaceCost, false
	case "fromJSON":
		return func(m *meter, name string, args []any) error { return m.build(name, textLen(args[0]), "bytes") }, false
	case "toJSON", "string", "flatten", "min", "max", "mean", "median":
		// They walk their argument through and through: a list holding
		// another twice, n times over, is 2ⁿ elements to them.
		return deepCost, name != "min" && name != "max" && name != "mean"
	case "uniq":
		// uniq compares each element with every one it keeps.
		return func(m *meter, name string, args []any) error {
			n := shallowLen(args[0])
			return m.steps(name, mul(n, n)/(2*readUnit))
		}, true
	case "timezone", "date":
		// Loading a time zone, as date(s, layout, zone) does, reads the
		// zone database.
		return func(m *meter, name string, args []any) error {
			var texts int
			for _, a := range args {
				if _, ok := a.(string); ok {
					texts++
				}
			}
			if name == "timezone" || texts == 3 {
				if err := m.steps(name, zoneLoad); err != nil {
					return err
				}
			}
			return stringCost(m, name, args)
		}, false
	case "trim", "trimPrefix", "trimSuffix", "indexOf", "lastIndexOf", "hasPrefix", "hasSuffix",
		"len", "int", "float", "duration":
		// Each reads its strings; the length of a list is known.
		return stringCost, false
	}
	return shallowCost, true
}

// stringCost charges reading the string arguments.
func stringCost(m *meter, name string, args []any) error {
	var n int64
	for _, a := range args {
		n += textLen(a)
	}
	return m.read(name, n)
}

// shallowCost charges reading the arguments: strings, and the elements of
// lists and maps.
func shallowCost(m *meter, name string, args []any) error {
	var n int64
	for _, a := range args {
		if s, ok := a.(string); ok {
			n += int64(len(s)) / readUnit
		} else {
			n += shallowLen(a)
		}
	}
	return m.steps(name, n)
}

// deepCost charges reading the arguments through and through, and
// refuses them when they are larger than what is left.
func deepCost(m *meter, name string, args []any) error {
	limit := m.readable()
	var n int64
	for _, a := range args {
		n = add(n, textSize(a, limit))
	}
	if n > limit {
		return m.refuse(fmt.Sprintf("%s would take more than %d steps", name, max(m.left(), 0)), "take")
	}
	return m.read(name, n)
}

func repeatCost(m *meter, name string, args []any) error {
	s, _ := args[0].(string)
	n := int64(exprruntime.ToInt(args[1]))
	if n < 0 {
		return nil // expr's repeat refuses it
	}
	return m.build(name, mul(int64(len(s)), n), "bytes")
}

func joinCost(m *meter, name string, args []any) error {
	var sep, n, size int64
	if len(args) > 1 {
		s, _ := args[1].(string)
		sep = int64(len(s))
	}
	switch list := args[0].(type) {
	case []string:
		for _, s := range list {
			size += int64(len(s))
		}
		n = int64(len(list))
	case []any:
		for _, e := range list {
			if s, ok := e.(string); ok {
				size += int64(len(s))
			}
		}
		n = int64(len(list))
	}
	if err := m.steps(name, n); err != nil {
		return err
	}
	return m.build(name, add(size, mul(max(n-1, 0), sep)), "bytes")
}

func replaceCost(m *meter, name string, args []any) error {
	s, _ := args[0].(string)
	old, _ := args[1].(string)
	repl, _ := args[2].(string)
	if err := m.read(name, int64(len(s))); err != nil {
		return err
	}
	var n int64
	if old == "" {
		n = int64(utf8.RuneCountInString(s)) + 1 // where strings.Replace inserts
	} else {
		n = int64(strings.Count(s, old))
	}
	if len(args) > 3 {
		if k := int64(exprruntime.ToInt(args[3])); k >= 0 && k < n {
			n = k
		}
	}
	grow := max(int64(len(repl)-len(old)), 0)
	return m.build(name, add(int64(len(s)), mul(n, grow)), "bytes")
}

// meteredOperator returns the operator op as the meter sees it: called
// with the meter and the operands, it charges what op reads and builds,
// then does what expr's machine does.
func meteredOperator(op string) func(args ...any) (any, error) {
	return func(args ...any) (any, error) {
		m, args, err := meterOf(args)
		if err != nil {
			return nil, err
		}
		a, b := args[0], args[1]
		switch op {
		case "+":
			if x, ok := a.(string); ok {
				if y, ok := b.(string); ok {
					if err := m.build(op, int64(len(x))+int64(len(y)), "bytes"); err != nil {
						return nil, err
					}
					return x + y, nil
				}
			}
			return exprruntime.Add(a, b), nil
		case "==", "!=":
			if err := m.read(op, compareLen(a, b, m.readable())); err != nil {
				return nil, err
			}
			return exprruntime.Equal(a, b) == (op == "=="), nil
		case "in":
			if err := m.read(op, inLen(b, m.readable())); err != nil {
				return nil, err
			}
			return exprruntime.In(a, b), nil
		}
		return searchOperator(m, op, a, b)
	}
}

// searchOperator does the operators that compare or search strings.
func searchOperator(m *meter, op string, a, b any) (any, error) {
	switch op {
	case "<", ">", "<=", ">=":
		if err := m.read(op, min(textLen(a), textLen(b))); err != nil {
			return nil, err
		}
		switch op {
		case "<":
			return exprruntime.Less(a, b), nil
		case ">":
			return exprruntime.More(a, b), nil
		case "<=":
			return exprruntime.LessOrEqual(a, b), nil
		}
		return exprruntime.MoreOrEqual(a, b), nil
	}
	if exprruntime.IsNil(a) || exprruntime.IsNil(b) {
		return false, nil
	}
	switch op {
	case "contains":
		if err := m.read(op, textLen(a)); err != nil {
			return nil, err
		}
		return strings.Contains(a.(string), b.(string)), nil
	case "startsWith", "endsWith":
		if err := m.read(op, textLen(b)); err != nil {
			return nil, err
		}
		if op == "startsWith" {
			return strings.HasPrefix(a.(string), b.(string)), nil
		}
		return strings.HasSuffix(a.(string), b.(string)), nil
	}
	pattern := b.(string)
	if err := m.build("matches", mul(int64(len(pattern)), patternCost), "bytes compiling its pattern"); err != nil {
		return nil, err
	}
	if err := m.read(op, textLen(a)); err != nil {
		return nil, err
	}
	if s, ok := a.(string); ok {
		return regexp.MatchString(pattern, s)
	}
	return regexp.Match(pattern, a.([]byte))
}

// compareLen is what comparing a with b for equality reads, at most limit
// and a little over: strings as long as the shorter, collections through
// and through when both are collections, else nothing.
func compareLen(a, b any, limit int64) int64 {
	x, ok1 := a.(string)
	y, ok2 := b.(string)
	switch {
	case ok1 && ok2:
		return int64(min(len(x), len(y)))
	case ok1 || ok2 || shallowLen(a) == 0 || shallowLen(b) == 0:
		return 0
	}
	return max(textSize(a, limit), textSize(b, limit))
}

// inLen is what looking for a value in b reads: a list through and
// through; a key of a map, nothing.
func inLen(b any, limit int64) int64 {
	switch reflect.ValueOf(b).Kind() {
	case reflect.Slice, reflect.Array:
		return textSize(b, limit)
	}
	return 0
}
