package runner

import (
	"context"
	"crypto/rand"
	"maps"
	"net/http"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"
)

// Config is how a run is carried out.
type Config struct {
	// Client sends every request; it should not follow redirects nor hold
	// a cookie jar (each session keeps its own). Required.
	Client *http.Client
	// Concurrency bounds the flows run at once; 0 means 4.
	Concurrency int
	// Timeout bounds each step that names none; 0 means 30s.
	Timeout time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// ShowSecrets leaves secrets unmasked in the result.
	ShowSecrets bool
	// SecretKey keys the fingerprints that masked secrets are shown as;
	// nil means a random key for each run.
	SecretKey []byte
	// Filter, if set, picks the flows to run.
	Filter func(spec, flow string, tags []string) bool
}

func (c *Config) defaults() {
	if c.Concurrency <= 0 {
		c.Concurrency = 4
	}
	if c.Timeout <= 0 {
		c.Timeout = 30 * time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if len(c.SecretKey) == 0 {
		c.SecretKey = make([]byte, 16)
		_, _ = rand.Read(c.SecretKey)
	}
}

// Run runs the plans' flows and returns the result. It returns when every
// flow has ended; a cancelled ctx skips the steps not yet begun and marks
// the result interrupted.
func Run(ctx context.Context, plans []*Plan, cfg Config) *Result {
	cfg.defaults()
	res := &Result{Started: cfg.Now(), Specs: make([]SpecResult, len(plans))}
	g := new(errgroup.Group)
	g.SetLimit(cfg.Concurrency)
	for i, p := range plans {
		sr := &res.Specs[i]
		*sr = SpecResult{File: p.Spec.File, Provider: p.Spec.Provider, BaseURL: maskBaseURL(p.BaseURL, &cfg),
			BaseURLEnv: p.Spec.BaseURLEnv, Sandbox: p.Sandbox}
		for _, name := range slices.Sorted(maps.Keys(p.Servers)) {
			t := p.Servers[name]
			sr.Servers = append(sr.Servers, ServerResult{Name: name, URL: maskBaseURL(t.URL, &cfg), Sandbox: t.Sandbox})
		}
		picked := p.picked(cfg.Filter)
		for _, in := range picked {
			sr.Flows = append(sr.Flows, FlowResult{Name: in.name, Row: in.row, Pos: in.pos, Tags: in.fp.flow.Tags})
		}
		// The slice is complete: pointers into it stay valid while flows run.
		for j, in := range picked {
			fr := &sr.Flows[j]
			g.Go(func() error {
				(&flowRun{plan: p, fp: in.fp, row: in.vars, cfg: &cfg, res: fr}).run(ctx)
				return nil
			})
		}
	}
	_ = g.Wait()
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
