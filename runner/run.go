package runner

import (
	"context"
	"crypto/rand"
	"maps"
	"net/http"
	"runtime"
	"slices"
	"time"

	"github.com/flowrun/flowrun/flows"
)

// Config is how a run is carried out.
type Config struct {
	// Client sends every request; it should not follow redirects nor hold
	// a cookie jar (each session keeps its own). Required.
	Client *http.Client
	// Concurrency bounds the flows run at once; 0 means DefaultConcurrency.
	Concurrency int
	// Timeout bounds each step that names none; 0 means 30s.
	Timeout time.Duration
	// Retries is how many times a step's request is sent again after a
	// transport error or a retry_on status, at most MaxRetries; 0: never.
	Retries int
	// Limits bound what a run reads: Body is how much of a response body
	// a step reads. (String and ExprMemory bound templates and
	// expressions, and are the plan's: CompileWith.) Unset fields take
	// their defaults.
	Limits flows.Limits
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// ShowSecrets leaves secrets unmasked in the result.
	ShowSecrets bool
	// SecretKey keys the fingerprints that masked secrets are shown as;
	// nil means a random key for each run.
	SecretKey []byte
	// Filter, if set, picks the flows to run.
	Filter func(spec, flow string, tags []string) bool
	// Shard, if set, runs only that share of the flows picked.
	Shard Shard
	// Repeat runs each flow that many times; 0 means once. The runs are
	// reported as one flow with Runs set, unless ReportEach.
	Repeat int
	// ReportEach reports every run of a repeated flow as a flow of its own.
	ReportEach bool
	// FailFast begins no flow once one has not passed.
	FailFast bool
	// KeepBodies keeps the bodies of passed steps; without it a passed
	// step's result keeps only their sizes.
	KeepBodies bool
	// Summarize makes a passed flow keep, once the Observer has had it,
	// only what its line and a summary need: its steps' names, places,
	// outcomes and times, and their reauth and retry checks. Memory then
	// stays flat however many flows pass; set it when no report prints
	// the exchanges of passed steps.
	Summarize bool
	// Observer, if set, hears about the run as it goes.
	Observer Observer
	// FollowRedirects makes a request follow up to 10 redirects, each
	// recorded as an exchange of its step, instead of answering with the
	// redirect. A hop to another host (scheme, host or port) carries no
	// credential: no Authorization, Cookie or Proxy-Authorization, and
	// none of the headers and query parameters that the spec's auth, its
	// secrets or what the flow has learnt make credentials.
	FollowRedirects bool
	// MarkSteps puts in each request's context the step it is sent for,
	// for StepOf (flowrun mutate's proxies read it). Off, a run spends
	// nothing on it.
	MarkSteps bool
}

// DefaultConcurrency is how many flows run at once unless Config says:
// flows wait on the network far more than they compute, so several per CPU.
func DefaultConcurrency() int { return min(max(4, 4*runtime.NumCPU()), 32) }

func (c *Config) defaults() {
	if c.Concurrency <= 0 {
		c.Concurrency = DefaultConcurrency()
	}
	if c.Timeout <= 0 {
		c.Timeout = 30 * time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Repeat <= 0 {
		c.Repeat = 1
	}
	c.Limits = c.Limits.Resolved()
	if len(c.SecretKey) == 0 {
		c.SecretKey = make([]byte, 16)
		_, _ = rand.Read(c.SecretKey)
	}
}

// Run runs the plans' flows and returns the result. It returns when every
// flow has ended; a cancelled ctx skips the steps not yet begun and marks
// the result interrupted.
//
// Flows run concurrently, but the result is ordered by spec and flow,
// and the Observer hears of them in that order: output never depends on
// which flow finished first.
func Run(ctx context.Context, plans []*Plan, cfg Config) *Result {
	cfg.defaults()
	picked := pick(plans, &cfg)
	// A spec none of whose flows is picked is not reported. Every plan
	// is still given to pick: a shard is a share of all of them.
	n := 0
	for _, in := range picked {
		if len(in) > 0 {
			n++
		}
	}
	res := &Result{Started: cfg.Now(), Specs: make([]SpecResult, n), Shard: cfg.Shard.String()}
	var refs []slotRef
	var jobs []*job
	i := -1
	for pi, p := range plans {
		if len(picked[pi]) == 0 {
			continue
		}
		i++
		sr := &res.Specs[i]
		*sr = SpecResult{File: p.Spec.File, Provider: p.Spec.Provider, BaseURL: maskBaseURL(p.BaseURL, &cfg),
			BaseURLEnv: p.Spec.BaseURLEnv, Sandbox: p.Sandbox, Flows: []FlowResult{}}
		for _, name := range slices.Sorted(maps.Keys(p.Servers)) {
			t := p.Servers[name]
			sr.Servers = append(sr.Servers, ServerResult{Name: name, URL: maskBaseURL(t.URL, &cfg), Sandbox: t.Sandbox})
		}
		for _, in := range picked[pi] {
			for _, sl := range slotsOf(in, &cfg) {
				sr.Flows = append(sr.Flows, FlowResult{Name: sl.name, Row: in.row, Pos: in.pos, Tags: in.fp.flow.Tags})
				refs = append(refs, slotRef{spec: i, flow: len(sr.Flows) - 1})
				for _, r := range sl.runs {
					jobs = append(jobs, &job{plan: p, in: in, slot: len(refs) - 1, run: r, leases: in.leases,
						alone: in.fp.flow.Serial, err: in.leaseErr})
				}
			}
		}
	}
	// The slices are complete: pointers into them stay valid while flows run.
	x := &execution{cfg: &cfg, res: res, refs: refs, jobs: jobs}
	x.run(ctx)
	res.Internal = x.internal.errs
	res.Duration = cfg.Now().Sub(res.Started)
	res.Interrupted = ctx.Err() != nil
	return res
}

// flowInstance is one run of a flow: a plain flow runs once, a
// data-driven flow once per row.
type flowInstance struct {
	fp        *flowPlan
	vars      map[string]any
	name, row string
	pos       Pos
	// leases are what the instance holds while it runs; leaseErr says
	// why they could not be known.
	leases   []string
	leaseErr error
}

func instances(fp *flowPlan) []flowInstance {
	f := fp.flow
	if len(f.Rows) == 0 {
		return []flowInstance{{fp: fp, name: f.Name, pos: f.Pos}}
	}
	out := make([]flowInstance, 0, len(f.Rows))
	for _, r := range f.Rows {
		out = append(out, flowInstance{fp: fp, vars: r.Vars, name: f.Name + " [" + r.Name + "]", row: r.Name, pos: r.Pos})
	}
	return out
}

// maskBaseURL masks the password in a base URL, as every URL in a result is.
func maskBaseURL(raw string, cfg *Config) string {
	r := newRedactor(cfg.ShowSecrets, cfg.SecretKey)
	r.learnURLText(raw)
	return r.maskURL(raw)
}
