package runner

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"
)

// InternalError is a bug of flowrun met during a run: a flow's goroutine
// panicked. The flow is reported errored and the run goes on, so every
// report is still written; the CLI then exits 3, not 1.
type InternalError struct {
	// Flow names the flow, as provider › flow.
	Flow string
	// Panic is the panic's value, as text.
	Panic string
	// Stack is the goroutine's stack where it panicked.
	Stack string
}

// internals gathers the internal errors of a run; flows meet them from
// several goroutines.
type internals struct {
	mu   sync.Mutex
	errs []InternalError
}

func (in *internals) add(e InternalError) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.errs = append(in.errs, e)
}

// runProtected runs fl, turning a panic into an errored flow and an
// internal error instead of ending the process before any report is
// written.
func (e *execution) runProtected(ctx context.Context, fl *flowRun) {
	defer func() {
		p := recover()
		if p == nil {
			return
		}
		stack := string(debug.Stack())
		fl.res.Status = Errored
		fl.res.Reason = fmt.Sprintf("internal error: flowrun failed while running this flow (%v); this is a bug of flowrun, please report it", p)
		e.internal.add(InternalError{Flow: fl.plan.Spec.Provider + " › " + fl.res.Name, Panic: fmt.Sprint(p), Stack: stack})
	}()
	fl.run(ctx)
}
