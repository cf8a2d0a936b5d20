package runner

import (
	"context"
	"slices"
	"sync"
)

// execution is one Run under way: the jobs, who may begin which, and
// where each flow's result goes.
type execution struct {
	cfg  *Config
	res  *Result
	refs []slotRef
	jobs []*job
	// tallies gather the runs of each slot's flow when runs are summed
	// up (Repeat without ReportEach); nil otherwise.
	tallies []*tally
	del     *delivery
	sched   *scheduler
	// internal gathers the flows' panics: bugs of flowrun.
	internal internals
	// clients send the flows' requests, by spec.
	clients *clients
}

// failFastReason is why flows are not run after one did not pass.
const failFastReason = "an earlier flow did not pass (--fail-fast)"

func (e *execution) run(ctx context.Context) {
	e.del = newDelivery(e.cfg.Observer, e.res, e.refs, e.cfg.Summarize)
	if e.cfg.Repeat > 1 && !e.cfg.ReportEach {
		e.tallies = make([]*tally, len(e.refs))
		for i := range e.tallies {
			e.tallies[i] = &tally{left: e.cfg.Repeat}
		}
	}
	e.clients = prepareClients(e.jobs, e.cfg.Client)
	defer e.clients.close()
	e.sched = newScheduler(e.jobs)
	var wg sync.WaitGroup
	for range min(e.cfg.Concurrency, len(e.jobs)) {
		wg.Go(func() { e.work(ctx) })
	}
	wg.Wait()
}

// work runs jobs until none is left.
func (e *execution) work(ctx context.Context) {
	for {
		j, stopped := e.sched.next()
		if j == nil {
			return
		}
		fr := e.slot(j.slot)
		if e.tallies != nil {
			// Each run gets a result of its own; the tally sums them up.
			run := *fr
			fr = &run
		}
		fl := &flowRun{plan: j.plan, fp: j.in.fp, row: j.in.vars, cfg: e.cfg, res: fr, client: e.clients.of(j.plan)}
		switch {
		case stopped != "":
			fl.notRun(stopped)
		case j.err != nil:
			fl.notRun(j.err.Error())
			fr.Status = Errored
			e.sched.done(j)
		default:
			e.del.started(fr)
			e.runProtected(ctx, fl)
			e.del.ended(fr)
			e.sched.done(j)
		}
		if e.cfg.FailFast && stopped == "" && fr.Status != Passed {
			e.sched.stop(failFastReason)
		}
		e.complete(j, fr)
	}
}

func (e *execution) slot(i int) *FlowResult {
	r := e.refs[i]
	return &e.res.Specs[r.spec].Flows[r.flow]
}

// complete records a job's run and passes on the flows now ready.
func (e *execution) complete(j *job, fr *FlowResult) {
	if e.tallies != nil {
		t := e.tallies[j.slot]
		if !t.add(j.run, fr) {
			return
		}
		*e.slot(j.slot) = t.result()
	}
	e.del.complete(j.slot)
}

// summarize drops what a passed flow holds beyond its line: the
// exchanges, captures and checks of its steps, but for the checks that
// say a step logged in again or sent its request again.
func summarize(f *FlowResult) {
	if f.Status != Passed {
		return
	}
	for i := range f.Steps {
		st := &f.Steps[i]
		st.Exchanges, st.Captured = nil, nil
		st.Checks = slices.DeleteFunc(st.Checks, func(c Check) bool { return c.Kind != CheckReauth && c.Kind != CheckRetry })
		if len(st.Checks) == 0 {
			st.Checks = nil
		}
	}
}
