package runner

import (
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
)

// meterKey holds, in an expression's environment while it runs, the meter
// of that evaluation. No expression can spell the name.
const meterKey = "expr meter"

// A meter counts what one evaluation of an expression spends against its
// budget, flows.Limits.ExprMemory, before it is spent:
//
//   - what it builds: one unit a byte of a string, one an element of a
//     list or a map;
//   - the steps of its loops: one unit an element of the collection a
//     loop begins on, more for a long predicate (loopWeight);
//   - what it reads: one unit per readUnit bytes a comparison, a search,
//     a built-in or a function of the environment reads (json reads the
//     body), and a few for each call.
//
// expr counts the ranges, lists and maps it makes itself against the
// machine's MemoryBudget. The meter reads that count (machineUsed) and
// lowers the machine's budget by its own charges: one budget, whichever
// spends it.
//
// The budget bounds time as well as memory. expr cannot be interrupted,
// but nothing in an expression repeats except the predicates of its
// loops: outside them each node runs once, and inside them once a step.
// Each loop is charged its steps when it begins, each node whose cost
// grows with its operands is charged for them, and every other node costs
// a few nanoseconds. What one budget buys is then bounded: at the default,
// a fraction of a second, and a second or two for the slowest (150 calls
// of json on a body of 10 MiB).
type meter struct {
	machine *vm.VM
	budget  int64
	// spent is what the meter has charged; the machine counts the rest.
	spent int64
}

// patternCost is about what compiling a regular expression allocates for
// each byte of its pattern.
const patternCost = 256

// readUnit is how many bytes of a value one unit of the budget reads: a
// search or a comparison reads far faster than anything is built.
const readUnit = 16

// evaluation is one run of a program: expr's machine and its meter.
type evaluation struct {
	machine vm.VM
	meter   meter
}

// run evaluates prog in env within budget. The meter is in env while
// prog runs, for the metered nodes (meterTree) to find.
func run(prog *vm.Program, env map[string]any, budget int64) (any, error) {
	if env == nil {
		env = map[string]any{}
	}
	e := &evaluation{}
	e.machine.MemoryBudget = uint(budget)
	e.meter = meter{machine: &e.machine, budget: budget}
	env[meterKey] = &e.meter
	out, err := e.machine.Run(prog, env)
	delete(env, meterKey)
	if err != nil {
		return nil, e.meter.explain(err)
	}
	return out, nil
}

// explain words expr's own "memory budget exceeded" as flowrun's limit.
func (m *meter) explain(err error) error {
	var fe *file.Error
	if errors.As(err, &fe) && fe.Message == "memory budget exceeded" {
		fe.Message = fmt.Sprintf("expression allocated more than %d bytes (--limit expr-memory)", m.budget)
	}
	return err
}

// build charges n bytes or elements (unit) that what is about to build.
func (m *meter) build(what string, n int64, unit string) error {
	if n > m.left() {
		return m.refuse(fmt.Sprintf("%s would build %d %s", what, n, unit), "allocate")
	}
	m.take(n)
	return nil
}

// steps charges n steps of a loop or of reading.
func (m *meter) steps(what string, n int64) error {
	if n > m.left() {
		return m.refuse(fmt.Sprintf("%s would take %d steps", what, n), "take")
	}
	m.take(n)
	return nil
}

// read charges reading bytes bytes.
func (m *meter) read(what string, bytes int64) error {
	return m.steps(what, bytes/readUnit)
}

// left is what is left of the budget.
func (m *meter) left() int64 { return m.budget - m.spent - m.machineUsed() }

// readable is how many bytes what is left of the budget may read.
func (m *meter) readable() int64 { return mul(max(m.left(), 0), readUnit) }

// take charges n, and lowers the machine's budget as much: it stops once
// what it counts and what the meter charged reach the budget.
func (m *meter) take(n int64) {
	m.spent += n
	m.machine.MemoryBudget = uint(max(m.budget-m.spent, 0))
}

// machineUsed is what the machine has counted so far. expr keeps it in
// an unexported field, which machineMemory finds; the field's presence
// is tested, so that a version of expr without it is noticed.
func (m *meter) machineUsed() int64 {
	if machineMemory < 0 {
		return 0
	}
	return int64(reflect.ValueOf(m.machine).Elem().Field(machineMemory).Uint())
}

// machineMemory is the index of vm.VM's count of what it allocated, or -1.
var machineMemory = func() int {
	f, ok := reflect.TypeFor[vm.VM]().FieldByName("memory")
	if !ok || f.Type.Kind() != reflect.Uint || len(f.Index) != 1 {
		return -1
	}
	return f.Index[0]
}()

func (m *meter) refuse(what, verb string) error {
	unit := ""
	if verb == "take" {
		unit = " steps"
	}
	left := m.left()
	if left == m.budget {
		return fmt.Errorf("%s; an expression may %s at most %d%s (--limit expr-memory)", what, verb, m.budget, unit)
	}
	return fmt.Errorf("%s; %d of the %d%s an expression may %s are left (--limit expr-memory)", what, max(left, 0), m.budget, unit, verb)
}

// errNoMeter is the error of a metered node run without its meter: a
// program run other than by run.
var errNoMeter = errors.New("expression evaluated without its budget")

// meterOf returns the meter a metered function is called with.
func meterOf(args []any) (*meter, []any, error) {
	if len(args) > 0 {
		if m, ok := args[0].(*meter); ok {
			return m, args[1:], nil
		}
	}
	return nil, nil, errNoMeter
}

// meteredLoop is a predicate's collection as the meter sees it: called
// with the meter, the predicate's name, its weight (loopWeight) and the
// collection, it charges the steps of the loop and returns the collection.
func meteredLoop(args ...any) (any, error) {
	m, args, err := meterOf(args)
	if err != nil {
		return nil, err
	}
	name, _ := args[0].(string)
	weight, _ := args[1].(int)
	return args[2], m.steps(name, mul(shallowLen(args[2]), int64(weight)))
}

// meteredRead is a value an operator reads as the meter sees it: called
// with the meter, the operator's name and the value, it charges reading
// the value and returns it.
func meteredRead(args ...any) (any, error) {
	m, args, err := meterOf(args)
	if err != nil {
		return nil, err
	}
	name, _ := args[0].(string)
	return args[1], m.read(name, textLen(args[1]))
}

// meteredCall is a call of a function of the environment as the meter
// sees it: called with the meter, the function's name, the function and
// its arguments, it charges reading the arguments, and json a body, then
// calls the function.
func meteredCall(args ...any) (any, error) {
	m, args, err := meterOf(args)
	if err != nil {
		return nil, err
	}
	name, _ := args[0].(string)
	fn, args := args[1], args[2:]
	n := int64(callCost * readUnit)
	for _, a := range args {
		n += textLen(a)
	}
	if name == "json" {
		n += jsonRead
	}
	if err := m.read(name, n); err != nil {
		return nil, err
	}
	switch f := fn.(type) { // the helpers' and the response's, without reflection
	case func(...any) any:
		return f(args...), nil
	case func() string:
		return f(), nil
	case func() int64:
		return f(), nil
	case func() time.Time:
		return f(), nil
	case func(string) string:
		if s, ok := args[0].(string); ok {
			return f(s), nil
		}
	}
	return callFunc(fn, args)
}

// callFunc calls fn with args as expr's machine calls a function of the
// environment it has no faster way to call: through reflection, nil as
// the parameter's zero value.
func callFunc(fn any, args []any) (any, error) {
	f := reflect.ValueOf(fn)
	t := f.Type()
	in := make([]reflect.Value, len(args))
	for i, a := range args {
		if a != nil {
			in[i] = reflect.ValueOf(a)
			continue
		}
		if t.IsVariadic() && i >= t.NumIn()-1 {
			in[i] = reflect.Zero(t.In(t.NumIn() - 1).Elem())
		} else {
			in[i] = reflect.Zero(t.In(i))
		}
	}
	out := f.Call(in)
	if len(out) == 2 && !out[1].IsNil() {
		return nil, out[1].Interface().(error)
	}
	return out[0].Interface(), nil
}

// callCost is what a call of a function of the environment costs, in
// steps, besides what it reads: as much as a few nodes of a predicate.
const callCost = 8

// jsonRead is what a call of json is charged for reading the body:
// gjson reads it from its start for each call; as much as reading 1 MiB.
const jsonRead = 1 << 20
