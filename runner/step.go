package runner

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/flowrun/flowrun/flows"
	"github.com/tidwall/gjson"
)

// maxResponse caps what a step reads of a response body.
const maxResponse = 10 << 20

// step runs one step and fills sr.
func (f *flowRun) step(ctx context.Context, sp *stepPlan, sr *StepResult) {
	start := f.cfg.Now()
	defer func() { sr.Duration = f.cfg.Now().Sub(start) }()
	if sp.send == nil {
		f.wait(ctx, sp.wait, sr)
		return
	}
	s := f.session(sp.req.Session)
	env := f.env(s)
	for _, v := range sp.vars {
		if v.tpl == nil {
			f.setVar(env, v.name, nil)
			continue
		}
		val, err := v.tpl.value(env)
		if err != nil {
			sr.Status, sr.Error = Errored, fmt.Sprintf("vars: %s: %v", v.name, err)
			return
		}
		f.setVar(env, v.name, val)
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout(sp))
	defer cancel()
	req, err := f.build(ctx, sp, s, env, sr)
	if err != nil {
		sr.Status, sr.Error = Errored, err.Error()
		return
	}
	resp, err := f.send(req, s)
	if err != nil {
		sr.Status, sr.Error = Errored, sendError(err, f.timeout(sp))
		return
	}
	sr.Response = &Response{Status: resp.status, Headers: headerList(resp.header), Body: cut(resp.body)}
	sr.Status = f.check(sp, s, resp, env, sr)
}

func (f *flowRun) timeout(sp *stepPlan) time.Duration {
	switch {
	case sp.req.Timeout > 0:
		return sp.req.Timeout
	case f.plan.Spec.Timeout > 0:
		return f.plan.Spec.Timeout
	}
	return f.cfg.Timeout
}

// send sends req and reads the whole response, keeping the session's cookies.
func (f *flowRun) send(req *http.Request, s *session) (*response, error) {
	start := time.Now()
	resp, err := f.cfg.Client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := readBody(resp.Body, maxResponse)
	if err != nil {
		return nil, err
	}
	s.jar.SetCookies(req.URL, resp.Cookies())
	return &response{status: resp.StatusCode, header: resp.Header, cookies: resp.Cookies(), body: body,
		duration: time.Since(start)}, nil
}

func sendError(err error, timeout time.Duration) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Sprintf("no answer within the step's timeout of %s", timeout)
	}
	if errors.Is(err, context.Canceled) {
		return "the run was interrupted"
	}
	return err.Error()
}

// check checks the status, takes the captures, checks the assertions and
// applies the step's effect on its session.
func (f *flowRun) check(sp *stepPlan, s *session, resp *response, env map[string]any, sr *StepResult) Status {
	st := statusCheck(sp, resp.status)
	sr.Checks = append(sr.Checks, st)
	if !st.Passed {
		return Failed
	}
	captured := map[string]any{}
	for _, c := range sp.req.Capture {
		v, ok := capture(resp, c.Source)
		if !ok {
			sr.Checks = append(sr.Checks, Check{Place: c.Pos.String(), Expr: "capture " + c.Name,
				Expected: "a value at " + c.Source, Actual: "nothing there"})
			return Failed
		}
		captured[c.Name] = v
		sr.Captured = append(sr.Captured, c.Name)
	}
	for k, v := range responseEnv(resp, sp.uses) {
		env[k] = v
	}
	for k, v := range captured {
		env[varsKey].(map[string]any)[k] = v
	}
	status := Passed
	for _, a := range sp.asserts {
		c := a.check(env)
		sr.Checks = append(sr.Checks, c)
		if !c.Passed {
			status = Failed
		}
	}
	if status == Passed {
		status = f.apply(sp, s, captured, sr)
	}
	return status
}

// apply carries out the step's effect on its session.
func (f *flowRun) apply(sp *stepPlan, s *session, captured map[string]any, sr *StepResult) Status {
	switch sp.send.Effect() {
	case flows.Start:
		s.creds, s.live = captured, true
		f.secrets.addAll(captured)
		return Passed
	case flows.Rotate:
		status := Passed
		for _, name := range sp.req.Rotate {
			c := Check{Place: sp.req.RotatePos.String(), Expr: "rotate " + name, Expected: "a new value", Actual: "a new value", Passed: true}
			if fmt.Sprint(s.creds[name]) == fmt.Sprint(captured[name]) {
				c.Actual, c.Passed, status = "the same value as before", false, Failed
			}
			sr.Checks = append(sr.Checks, c)
		}
		if s.creds == nil {
			s.creds = map[string]any{}
		}
		for k, v := range captured {
			s.creds[k] = v
		}
		f.secrets.addAll(captured)
		return status
	case flows.End:
		s.live = false
	default:
		for k, v := range captured {
			f.vars[k] = v
		}
	}
	return Passed
}

// statusCheck checks the response status against the step's expectation.
func statusCheck(sp *stepPlan, got int) Check {
	want := sp.req.Expect.Status
	if want == nil {
		want = sp.send.DefaultStatus()
	}
	c := Check{Place: sp.step.Pos.String(), Expr: "status", Actual: strconv.Itoa(got)}
	if sp.req.Expect.Status != nil {
		c.Place = sp.req.Expect.StatusPos.String()
	}
	if want == nil {
		c.Expected, c.Passed = "2xx", got >= 200 && got < 300
		return c
	}
	var parts []string
	for _, w := range want {
		parts = append(parts, strconv.Itoa(w))
		c.Passed = c.Passed || got == w
	}
	c.Expected = strings.Join(parts, " or ")
	return c
}

// capture takes a value from a response by source: "status",
// "header:NAME", "cookie:NAME" or a gjson path into the body.
func capture(r *response, source string) (any, bool) {
	if source == "status" {
		return r.status, true
	}
	if name, ok := strings.CutPrefix(source, "header:"); ok {
		v := r.header.Get(strings.TrimSpace(name))
		return v, v != ""
	}
	if name, ok := strings.CutPrefix(source, "cookie:"); ok {
		v := r.cookie(strings.TrimSpace(name))
		return v, v != ""
	}
	res := gjson.GetBytes(r.body, source)
	if !res.Exists() {
		return nil, false
	}
	return res.Value(), true
}
