package runner

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/http/cookiejar"
	"slices"
	"time"

	"github.com/MicahParks/keyfunc/v3"

	"github.com/flowrun/flowrun/flows"
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
	red      *redactor
	// jwks are the JWK Sets fetched for jwt checks, by URL.
	jwks map[string]keyfunc.Keyfunc
	// client sends the flow's requests: its spec's (tls:), or nil for
	// Config.Client.
	client *http.Client
	// follow holds the redirects the request last sent followed.
	follow following
}

// session is one logged-in identity: its credentials and its cookies.
type session struct {
	flows.Session
	jar *cookiejar.Jar
	// issued is when the session last logged in or refreshed.
	issued time.Time
	// login is the step that started the session, which a re-login repeats.
	login *stepPlan
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
	n := len(f.vars)
	if s != nil {
		n += len(s.Creds)
	}
	// Sized for the step's own variables and captures too, and for the
	// response the step adds, so neither map grows.
	vars := make(map[string]any, n+4)
	maps.Copy(vars, f.vars)
	if s != nil {
		maps.Copy(vars, s.Creds)
	}
	env := make(map[string]any, helperCount+1+responseNames) // the helpers, the variables, the response
	addHelpers(env, f.cfg.Now)
	env[varsKey] = vars
	return env
}

// setVar sets a flow variable, in the flow and in a step's env.
func (f *flowRun) setVar(env map[string]any, name string, v any) {
	f.vars[name] = v
	env[varsKey].(map[string]any)[name] = v
}

func (f *flowRun) run(ctx context.Context) {
	f.red = newRedactor(f.cfg.ShowSecrets, f.cfg.SecretKey)
	// Known before the first request: an error may quote the base URL.
	f.red.learnURLText(f.plan.BaseURL)
	for _, t := range f.plan.Servers {
		f.red.learnURLText(t.URL)
	}
	if ctx.Err() != nil {
		f.notRun("the run was interrupted before this flow began")
		return
	}
	start := f.cfg.Now()
	f.res.Started = start
	f.vars, f.sessions = map[string]any{}, map[string]*session{}
	err := f.setVars()
	if err == nil {
		err = f.setOAuth2(ctx)
	}
	maps.Copy(f.vars, f.row)
	f.res.Status = Passed
	stopped := 0 // the step that did not pass, from 1
	for i, sp := range f.fp.steps {
		sr := f.stepResult(sp)
		switch {
		case err != nil:
			sr.Status, sr.Error, err = Errored, err.Error(), nil
		case stopped > 0:
			sr.Status, sr.Error = Skipped, fmt.Sprintf("not run: step %d did not pass", stopped)
		case ctx.Err() != nil:
			sr.Status, sr.Error = Skipped, "not run: the run was interrupted"
			f.res.Reason = "the run was interrupted"
		default:
			f.step(ctx, sp, &sr)
		}
		if stopped == 0 && sr.Status != Passed {
			stopped = i + 1
			f.res.Status = sr.Status
		}
		f.res.Steps = append(f.res.Steps, sr)
	}
	if f.res.Status == Skipped {
		f.res.Status = Errored
	}
	if ctx.Err() != nil && f.res.Status != Passed && f.res.Reason == "" {
		f.res.Reason = "the run was interrupted"
	}
	for i := range f.res.Steps {
		if !f.cfg.KeepBodies && f.res.Steps[i].Status == Passed {
			f.res.Steps[i].dropBodies()
		}
		f.finish(&f.res.Steps[i])
	}
	f.res.Duration = f.cfg.Now().Sub(start)
}

// stepResult returns a step's result before it runs.
func (f *flowRun) stepResult(sp *stepPlan) StepResult {
	sr := StepResult{Name: sp.step.Name, Kind: sp.step.Action.Kind(), Pos: sp.step.Pos}
	if sp.req != nil {
		sr.Session = sp.req.Session
	}
	return sr
}

// notRun records a flow that never began, and why.
func (f *flowRun) notRun(reason string) {
	f.res.Status, f.res.Reason = Skipped, reason
	for _, sp := range f.fp.steps {
		sr := f.stepResult(sp)
		sr.Status = Skipped
		f.res.Steps = append(f.res.Steps, sr)
	}
}

// setVars evaluates the spec's variables in order.
func (f *flowRun) setVars() error {
	env := f.env(nil) // each value sees those before it
	for _, v := range f.plan.vars {
		val, err := v.tpl.value(env)
		if err != nil {
			return fmt.Errorf("vars: %s: %v", v.name, err)
		}
		f.setVar(env, v.name, val)
		if slices.Contains(f.plan.Spec.Secrets, v.name) {
			f.red.learnAny(v.name, val)
		}
	}
	return nil
}

// wait pauses for the step's duration, or until the time it computes
// from the session, or until ctx is done.
func (f *flowRun) wait(ctx context.Context, w *waitPlan, sr *StepResult) {
	d := w.d
	if w.until != nil || w.afterLogin != nil {
		var err error
		if d, err = f.computedWait(w); err != nil {
			sr.Status, sr.Error = Errored, err.Error()
			return
		}
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		sr.Status = Passed
	case <-ctx.Done():
		sr.Status, sr.Error = Errored, "the run was interrupted during the wait"
	}
}

// computedWait evaluates a wait's until or after_login: how long from now.
func (f *flowRun) computedWait(w *waitPlan) (time.Duration, error) {
	s := f.session(w.session)
	env := f.env(s)
	now := f.cfg.Now()
	var at time.Time
	if w.until != nil {
		v, err := w.until.value(env)
		if err != nil {
			return 0, fmt.Errorf("until: %v", err)
		}
		switch x := v.(type) {
		case time.Time:
			at = x
		default:
			secs, ok := toFloat(v)
			if !ok {
				return 0, fmt.Errorf("until: %s gives %v, not a Unix time in seconds or a time", w.until.src, v)
			}
			at = time.Unix(0, int64(secs*float64(time.Second)))
		}
	} else {
		v, err := w.afterLogin.value(env)
		if err != nil {
			return 0, fmt.Errorf("after_login: %v", err)
		}
		secs, ok := toFloat(v)
		if !ok {
			return 0, fmt.Errorf("after_login: %s gives %v, not a number of seconds", w.afterLogin.src, v)
		}
		if s.issued.IsZero() {
			return 0, fmt.Errorf("after_login: session %q has not logged in", w.session)
		}
		at = s.issued.Add(time.Duration(secs * float64(time.Second)))
	}
	d := max(at.Sub(now), 0)
	if d > w.max {
		return 0, fmt.Errorf("the wait would last %s, more than max: %s; raise max: or use a shorter-lived token", d.Round(time.Second), w.max)
	}
	return d, nil
}
