package runner

import (
	"context"
	"fmt"
	"maps"
	"net/http/cookiejar"
	"slices"
	"time"
)

// flowRun is the state of one flow while it runs: its variables and its
// sessions. Only the flow's goroutine touches it.
type flowRun struct {
	plan     *Plan
	fp       *flowPlan
	row      map[string]any
	cfg      *Config
	res      *FlowResult
	vars     map[string]any
	sessions map[string]*session
	secrets  *secrets
}

// session is one logged-in identity: its credentials and its cookies.
type session struct {
	creds map[string]any
	live  bool
	jar   *cookiejar.Jar
}

func (f *flowRun) session(name string) *session {
	s, ok := f.sessions[name]
	if !ok {
		jar, _ := cookiejar.New(nil)
		s = &session{jar: jar}
		f.sessions[name] = s
	}
	return s
}

// env returns what templates and assertions of a step in session s see:
// the helpers, the flow's variables and the session's credentials.
func (f *flowRun) env(s *session) map[string]any {
	vars := maps.Clone(f.vars)
	if s != nil {
		maps.Copy(vars, s.creds)
	}
	env := helpers(f.cfg.Now)
	env[varsKey] = vars
	return env
}

// setVar sets a flow variable, in the flow and in a step's env.
func (f *flowRun) setVar(env map[string]any, name string, v any) {
	f.vars[name] = v
	env[varsKey].(map[string]any)[name] = v
}

func (f *flowRun) run(ctx context.Context) {
	start := f.cfg.Now()
	f.vars, f.sessions = map[string]any{}, map[string]*session{}
	f.secrets = newSecrets(f.plan.Spec.Auth.Names(), f.cfg.ShowSecrets)
	err := f.setVars()
	maps.Copy(f.vars, f.row)
	f.res.Status = Passed
	for _, sp := range f.fp.steps {
		sr := StepResult{Name: sp.step.Name, Kind: sp.step.Action.Kind(), Place: sp.step.Pos.String()}
		if sp.req != nil {
			sr.Session = sp.req.Session
		}
		switch {
		case err != nil:
			sr.Status, sr.Error, err = Errored, err.Error(), nil
		case f.res.Status != Passed:
			sr.Status = Skipped
		case ctx.Err() != nil:
			sr.Status, sr.Error = Skipped, "the run was interrupted"
		default:
			f.step(ctx, sp, &sr)
		}
		if f.res.Status == Passed && sr.Status != Passed {
			f.res.Status = sr.Status
		}
		f.res.Steps = append(f.res.Steps, sr)
	}
	if f.res.Status == Skipped {
		f.res.Status = Errored
	}
	for _, st := range f.res.Steps {
		f.secrets.addFromBodies(st)
	}
	f.secrets.mask(f.res.Steps)
	f.res.Duration = f.cfg.Now().Sub(start)
}

// setVars evaluates the spec's variables in order.
func (f *flowRun) setVars() error {
	for _, v := range f.plan.vars {
		val, err := v.tpl.value(f.env(nil))
		if err != nil {
			return fmt.Errorf("vars: %s: %v", v.name, err)
		}
		f.vars[v.name] = val
		if slices.Contains(f.plan.Spec.Secrets, v.name) {
			f.secrets.add(v.name, val)
		}
	}
	return nil
}

// wait pauses for d, or until ctx is done.
func (f *flowRun) wait(ctx context.Context, d time.Duration, sr *StepResult) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		sr.Status = Passed
	case <-ctx.Done():
		sr.Status, sr.Error = Errored, "the run was interrupted during the wait"
	}
}
