package mutate

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/flowrun/flowrun/runner"
)

// Config is how Run mutates specs.
type Config struct {
	// Run is how each run of a spec is carried out: its Client (whose
	// transport, an *http.Transport or nil, also carries the proxies'
	// requests to the API), Concurrency, Timeout, Limits, Filter, Now.
	// Its Observer, Shard, Repeat and FailFast are not used: each run
	// runs every flow picked once.
	Run runner.Config
	// Mutants names the mutants to apply; none means all.
	Mutants []string
	// Parallel bounds the specs mutated at once; 0 means 4. The runs of
	// one spec are one after the other.
	Parallel int
	// Start, if set, is called before each run with a copy of the plan
	// about to run: it points the copy at fresh servers (the embedded
	// sandboxes), so that no run sees another's state, and returns how to
	// stop them.
	Start func(p *runner.Plan) (stop func(), err error)
}

// Run mutates the specs of plans that cfg.Run picks a flow of: for each,
// a baseline run, then a run per mutant through proxies in front of the
// spec's servers. It returns when every run has ended; a cancelled ctx
// ends the runs under way and leaves the rest out (Report.Interrupted).
// The error is for a Config that cannot be used, such as an unknown
// mutant's name.
func Run(ctx context.Context, plans []*runner.Plan, cfg Config) (*Report, error) {
	muts, err := Pick(cfg.Mutants)
	if err != nil {
		return nil, err
	}
	if cfg.Run.Client == nil {
		return nil, errors.New("mutate: Config.Run.Client is required")
	}
	now := cfg.Run.Now
	if now == nil {
		now = time.Now
	}
	picked := pickedPlans(plans, cfg.Run)
	m := &mutation{cfg: cfg, muts: muts, limit: cfg.Run.Limits.Resolved().Body}
	rep := &Report{Started: now(), Mutants: muts, Specs: make([]SpecReport, len(picked))}
	parallel := cfg.Parallel
	if parallel <= 0 {
		parallel = 4
	}
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	// Each spec writes its own slot: the report's order is the plans'
	// whichever spec ends first.
	for i, p := range picked {
		wg.Go(func() {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				rep.Specs[i] = SpecReport{File: p.Spec.File, Provider: p.Spec.Provider, Baseline: Baseline{Status: runner.Skipped}, Mutants: []MutantResult{}}
				return
			}
			defer func() { <-sem }()
			rep.Specs[i] = m.spec(ctx, p)
		})
	}
	wg.Wait()
	rep.Internal = m.internal
	rep.Duration = now().Sub(rep.Started)
	rep.Interrupted = ctx.Err() != nil
	rep.tally()
	return rep, nil
}

// pickedPlans returns the plans of which cfg picks at least one flow.
func pickedPlans(plans []*runner.Plan, cfg runner.Config) []*runner.Plan {
	files := map[string]bool{}
	for _, in := range runner.Select(plans, runner.Config{Filter: cfg.Filter, Now: cfg.Now}) {
		files[in.File] = true
	}
	var out []*runner.Plan
	for _, p := range plans {
		if files[p.Spec.File] {
			out = append(out, p)
		}
	}
	return out
}

// mutation is one call of Run.
type mutation struct {
	cfg   Config
	muts  []Mutant
	limit int64

	mu       sync.Mutex
	internal []runner.InternalError
}

// spec runs one spec's baseline, then, if it passed, each mutant.
func (m *mutation) spec(ctx context.Context, p *runner.Plan) SpecReport {
	sr := SpecReport{File: p.Spec.File, Provider: p.Spec.Provider, Mutants: []MutantResult{}}
	tr, err := specTransport(m.cfg.Run.Client, p.Spec.TLS)
	if err != nil {
		sr.Error = err.Error()
		return sr
	}
	defer tr.CloseIdleConnections()
	rec := &recording{}
	res, sh, err := m.once(ctx, p, tr, nil, rec)
	if err != nil {
		sr.Error = err.Error()
		return sr
	}
	sr.Baseline = Baseline{Status: res.Status(), Flows: res.Flows(), Caught: firstCatch(res)}
	if sr.Baseline.Status != runner.Passed {
		sr.Baseline.Unreachable = sh.unreachable
	}
	if res.Interrupted {
		sr.Baseline.Status = runner.Skipped
	}
	if sr.Baseline.Status != runner.Passed {
		return sr
	}
	creds := credentials(p.Spec)
	for _, mt := range m.muts {
		if mt.needs != "" && !sh.kinds[mt.needs] {
			// Known from the baseline: no run needed to find nothing to alter.
			sr.Mutants = append(sr.Mutants, MutantResult{Name: mt.Name, Outcome: NotApplicable, Reason: mt.unmet})
			continue
		}
		mu := mt.make(env{creds: creds, logouts: rec})
		res, _, err := m.once(ctx, p, tr, mu, nil)
		if err != nil {
			sr.Error = err.Error()
			return sr
		}
		if res.Interrupted {
			break // half a run says nothing of the mutant
		}
		altered, reason := mu.report()
		r := MutantResult{Name: mt.Name, Altered: altered}
		switch {
		case altered == 0:
			r.Outcome, r.Reason = NotApplicable, reason
		case res.Status() == runner.Passed:
			r.Outcome, r.Hint = Survived, mt.Kills
		default:
			r.Outcome, r.Caught = Killed, firstCatch(res)
		}
		sr.Mutants = append(sr.Mutants, r)
	}
	return sr
}

// once runs a copy of plan p once, through proxies in front of its
// servers that apply mutant mu (none for the baseline, which rec
// records). It returns the result, and what the proxies shared: the
// kinds of steps whose own requests went through them, whether the API
// could be reached.
func (m *mutation) once(ctx context.Context, p *runner.Plan, tr *http.Transport, mu mutant, rec *recording) (*runner.Result, *shared, error) {
	cp := copyPlan(p)
	if m.cfg.Start != nil {
		stop, err := m.cfg.Start(cp)
		if err != nil {
			return nil, nil, err
		}
		defer stop()
	}
	// Before the servers stop: no connection is left to a closed proxy.
	defer tr.CloseIdleConnections()
	sh := &shared{mutant: mu, record: rec, limit: m.limit, kinds: map[string]bool{}}
	creds := credentials(p.Spec)
	hosts := map[string]bool{}
	var proxies []*proxy
	defer func() {
		for _, px := range proxies {
			px.close()
		}
	}()
	front := func(name, raw string) (string, error) {
		if raw == "" {
			return "", nil
		}
		px, local, err := startProxy(name, raw, tr, sh, creds)
		if px != nil {
			proxies, hosts[px.host] = append(proxies, px), true
		}
		return local, err
	}
	var err error
	if cp.BaseURL, err = front("", cp.BaseURL); err != nil {
		return nil, nil, err
	}
	for _, name := range slices.Sorted(maps.Keys(cp.Servers)) {
		t := cp.Servers[name]
		if t.URL, err = front(name, t.URL); err != nil {
			return nil, nil, err
		}
	}
	cfg := m.cfg.Run
	base := m.cfg.Run.Client
	cfg.Client = &http.Client{Transport: &stepTransport{base: tr, hosts: hosts}, CheckRedirect: base.CheckRedirect, Timeout: base.Timeout}
	cfg.Observer, cfg.Shard, cfg.Repeat, cfg.ReportEach, cfg.FailFast = nil, runner.Shard{}, 1, false, false
	// Only the steps that did not pass are read: the rest need no body.
	cfg.KeepBodies, cfg.Summarize = false, true
	cfg.MarkSteps = true // the proxies read each request's step
	res := runner.Run(ctx, []*runner.Plan{cp}, cfg)
	if len(res.Internal) > 0 {
		m.mu.Lock()
		m.internal = append(m.internal, res.Internal...)
		m.mu.Unlock()
	}
	// The run has ended: no proxy writes to sh any more.
	return res, sh, nil
}

// copyPlan returns a copy of p that a run may point elsewhere. Its spec
// has no tls: the run's client reaches only the proxies, and the
// transport they send through applies the spec's TLS settings.
func copyPlan(p *runner.Plan) *runner.Plan {
	cp := *p
	spec := *p.Spec
	spec.TLS = nil
	cp.Spec = &spec
	cp.Servers = make(map[string]*runner.Target, len(p.Servers))
	for name, t := range p.Servers {
		c := *t
		cp.Servers[name] = &c
	}
	return &cp
}
