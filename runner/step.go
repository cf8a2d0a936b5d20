package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/gjson"

	"github.com/flowrun/flowrun/flows"
)

// step runs one step and fills sr.
func (f *flowRun) step(ctx context.Context, sp *stepPlan, sr *StepResult) {
	sr.Started = f.cfg.Now()
	defer func() { sr.Duration = f.cfg.Now().Sub(sr.Started) }()
	if sp.send == nil {
		f.wait(ctx, sp.wait, sr)
		return
	}
	if f.cfg.MarkSteps {
		ctx = context.WithValue(ctx, stepKey{}, StepInfo{Spec: f.plan.Spec.Provider, Flow: f.res.Name, Step: sr.Name, Kind: sp.send.Kind()})
	}
	s := f.session(sp.req.Session)
	env, err := f.stepEnv(sp, s)
	if err != nil {
		sr.Status, sr.Error = Errored, err.Error()
		return
	}
	req, body, resp, ok := f.attempts(ctx, sp, s, env, "", sr)
	if !ok || f.overLimit(resp, sr) {
		return
	}
	if sp.reauth && resp.status == http.StatusUnauthorized && s.login != nil {
		f.conform(ownRole(sp), sp.step.Pos, len(sr.Exchanges)-1, resp, sr) // the 401 that sends the session to log in again
		if env, req, body, resp, ok = f.reauth(ctx, sp, s, sr); !ok || f.overLimit(resp, sr) {
			return
		}
	}
	var before map[string]any // what the followups compare with
	if len(sp.followups) > 0 {
		before = maps.Clone(s.Creds)
	}
	cctx, cancel := ctx, context.CancelFunc(func() {})
	if sp.jwt != nil { // only a jwt check waits on the network: a JWK Set
		cctx, cancel = context.WithTimeout(ctx, f.timeout(sp))
	}
	sr.Status = f.judge(cctx, sp, s, resp, env, sr)
	cancel()
	if sr.Status == Passed {
		// A check judged before the answer, such as a retry's until, counts too.
		sr.Status = worst(sr.Checks)
	}
	if sr.Status == Passed && len(sp.probes) > 0 {
		sr.Status = f.probe(withPart(ctx, "probe"), sp, s, env, sr)
	}
	if sr.Status == Passed && len(sp.followups) > 0 {
		sr.Status = f.followups(withPart(ctx, "followup"), sp, s, before, req, body, sr)
	}
}

// stepEnv returns the env of a step in session s, with the step's vars set.
func (f *flowRun) stepEnv(sp *stepPlan, s *session) (map[string]any, error) {
	env := f.env(s)
	for _, v := range sp.vars {
		if v.tpl == nil {
			f.setVar(env, v.name, nil)
			continue
		}
		val, err := v.tpl.value(env)
		if err != nil {
			return nil, fmt.Errorf("vars: %s: %v", v.name, err)
		}
		f.setVar(env, v.name, val)
	}
	return env, nil
}

// judge checks the step's last exchange: its checks point at it.
func (f *flowRun) judge(ctx context.Context, sp *stepPlan, s *session, resp *response, env map[string]any, sr *StepResult) Status {
	n, xi := len(sr.Checks), len(sr.Exchanges)-1
	status := f.check(ctx, sp, s, resp, env, sr)
	for i := n; i < len(sr.Checks); i++ {
		sr.Checks[i].Exchange = xi
	}
	return worse(status, f.conform(ownRole(sp), sp.step.Pos, xi, resp, sr))
}

// reauth logs session s in again with the login that started it, then
// sends the step's request once more: reauth: on-401 for a call answered
// 401, as providers tell clients to do. The re-login's checks and both
// exchanges are the step's, with a reauth check saying it happened.
func (f *flowRun) reauth(ctx context.Context, sp *stepPlan, s *session, sr *StepResult) (map[string]any, *http.Request, []byte, *response, bool) {
	c := Check{Pos: sp.step.Pos, Kind: CheckReauth, Expr: "reauth on-401", Status: Failed, Exchange: len(sr.Exchanges) - 1,
		Expected: textValue("a new login, then the request retried")}
	login := s.login
	lenv, err := f.stepEnv(login, s)
	if err != nil {
		c.Status, c.Actual, c.Message = Errored, textValue("no re-login"), "re-login: "+err.Error()
		sr.Checks, sr.Status, sr.Error = append(sr.Checks, c), Errored, "re-login: "+err.Error()
		return nil, nil, nil, nil, false
	}
	_, _, lresp, ok := f.exchange(withPart(ctx, "reauth"), login, s, lenv, fmt.Sprintf("re-login after 401 (%s at line %d)", login.step.Name, login.step.Pos.Line), sr)
	if !ok {
		c.Actual, c.Message = textValue("the re-login got no answer"), "the call was answered 401 and the re-login got no answer"
		sr.Checks = append(sr.Checks, c)
		return nil, nil, nil, nil, false
	}
	if f.overLimit(lresp, sr) {
		sr.Error = "re-login: " + sr.Error
		c.Status, c.Actual, c.Message = Errored, textValue("the re-login's answer was too large"), sr.Error
		sr.Checks = append(sr.Checks, c)
		return nil, nil, nil, nil, false
	}
	lctx, cancel := context.WithTimeout(ctx, f.timeout(login))
	n := len(sr.Checks)
	status := f.judge(lctx, login, s, lresp, lenv, sr)
	cancel()
	for i := n; i < len(sr.Checks); i++ {
		sr.Checks[i].Expr = "re-login: " + sr.Checks[i].Expr
	}
	if status != Passed {
		c.Actual, c.Message = textValue("the re-login did not pass"), "the call was answered 401, and logging in again did not pass"
		sr.Checks, sr.Status = append(sr.Checks, c), status
		return nil, nil, nil, nil, false
	}
	env, err := f.stepEnv(sp, s)
	if err != nil {
		sr.Status, sr.Error = Errored, err.Error()
		return nil, nil, nil, nil, false
	}
	c.Status, c.Actual = Passed, textValue("logged in again and retried once")
	c.Message = "the call was answered 401; logged in again and retried once"
	sr.Checks = append(sr.Checks, c)
	req, body, resp, ok := f.attempts(ctx, sp, s, env, "retry after the re-login", sr)
	return env, req, body, resp, ok
}

// exchange builds the step's request in env, sends it in session s and
// records it as one of the step's exchanges, labelled label. ok is false
// when the step errored: no request, or no answer.
func (f *flowRun) exchange(ctx context.Context, sp *stepPlan, s *session, env map[string]any, label string, sr *StepResult) (*http.Request, []byte, *response, bool) {
	ctx, cancel := context.WithTimeout(ctx, f.timeout(sp))
	defer cancel()
	req, body, err := f.build(ctx, sp, s, env)
	if err != nil {
		sr.Status, sr.Error = Errored, err.Error()
		return nil, nil, nil, false
	}
	f.learnRequest(sp, req, body)
	x := Exchange{Label: label, Started: f.cfg.Now(), Request: snapshot(req, body)}
	resp, err := f.send(req, s)
	x.Duration = f.cfg.Now().Sub(x.Started)
	if err != nil {
		x.Error = sendError(err, f.timeout(sp))
		f.addExchange(sr, x)
		sr.Status, sr.Error = Errored, x.Error
		return nil, nil, nil, false
	}
	f.learnResponse(resp)
	x.Response = resp.snapshot()
	f.addExchange(sr, x)
	return req, body, resp, true
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
	f.follow.jar = s.jar // the redirects followed keep the session's cookies
	r, err := f.do(req)
	f.follow.jar = nil
	if err != nil {
		return nil, err
	}
	s.jar.SetCookies(f.finalURL(req), r.cookies)
	return r, nil
}

// do sends req and reads the whole response, up to the limit on a body
// (Config.Limits.Body). A larger body is not read further: the response
// keeps its first part and says so (over), and closing the body drops
// the connection rather than draining it.
func (f *flowRun) do(req *http.Request) (*response, error) {
	start := time.Now()
	resp, err := f.roundTrip(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	limit := f.cfg.Limits.Body
	body, err := readResponse(resp, limit)
	r := &response{status: resp.StatusCode, header: resp.Header, cookies: resp.Cookies(), body: body,
		duration: time.Since(start)}
	var big *tooLarge
	switch {
	case errors.As(err, &big):
		r.over = limit
	case err != nil:
		return nil, &bodyError{status: resp.StatusCode, read: len(body), size: resp.ContentLength, err: err}
	}
	return r, nil
}

func sendError(err error, timeout time.Duration) string {
	var be *bodyError
	switch {
	case errors.Is(err, context.Canceled):
		return "the run was interrupted"
	case errors.As(err, &be) && errors.Is(err, context.DeadlineExceeded):
		return fmt.Sprintf("the body of the %d response did not end within the step's timeout of %s; %s came", be.status, timeout, be.came())
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Sprintf("no answer within the step's timeout of %s", timeout)
	}
	return err.Error()
}

// check checks the status, takes the captures, checks the assertions and
// applies the step's effect on its session.
func (f *flowRun) check(ctx context.Context, sp *stepPlan, s *session, resp *response, env map[string]any, sr *StepResult) Status {
	st := statusCheck(sp, f.plan.Spec.Auth, resp.status)
	sr.Checks = append(sr.Checks, st)
	if !st.Passed() {
		return Failed
	}
	captured := map[string]any{}
	for _, c := range sp.req.Capture {
		v, ok := capture(resp, c.Source)
		if !ok && c.Optional {
			continue
		}
		if !ok {
			ck := Check{Pos: c.Pos, Kind: CheckCapture, Expr: "capture " + c.Name, Status: Failed,
				Expected: textValue("a value at " + c.Source), Actual: Value{JSON: json.RawMessage("null"), Text: "nothing there"}}
			if bodySource(c.Source) {
				if why := resp.notJSON(f.maskedBody(resp)); why != "" {
					ck.Actual.Text, ck.Message = why, why
				}
			}
			sr.Checks = append(sr.Checks, ck)
			return Failed
		}
		// Registered now, so they are masked also when the step then fails.
		if !c.Public && (slices.Contains(sp.credential, c.Name) || credentialKey(c.Name)) {
			f.red.learnAny(c.Name, v)
		}
		captured[c.Name] = v
		sr.Captured = append(sr.Captured, c.Name)
	}
	addResponse(env, resp, stepUses(sp))
	for k, v := range captured {
		env[varsKey].(map[string]any)[k] = v
	}
	status := Passed
	checks := make([]Check, 0, len(sp.asserts))
	for _, a := range sp.asserts {
		c := a.check(env)
		f.explainBody(&c, a.uses, resp)
		checks = append(checks, c)
	}
	if sp.jwt != nil {
		checks = append(checks, f.checkJWT(ctx, sp.jwt, resp, env)...)
	}
	for _, c := range checks {
		sr.Checks = append(sr.Checks, c)
		switch {
		case c.Status == Failed:
			status = Failed
		case c.Status == Errored && status == Passed:
			status = Errored
		}
	}
	if status == Passed {
		status = f.apply(sp, s, captured, sr)
	}
	return status
}

// apply carries out the step's effect on its session.
func (f *flowRun) apply(sp *stepPlan, s *session, captured map[string]any, sr *StepResult) Status {
	status := Passed
	for _, name := range sp.req.Rotate {
		c := Check{Pos: sp.req.RotatePos, Kind: CheckRotate, Expr: "rotate " + name, Status: Passed,
			Expected: textValue("a new value"), Actual: textValue("a new value")}
		if fmt.Sprint(s.Creds[name]) == fmt.Sprint(captured[name]) {
			c.Actual, c.Status, status = textValue("the same value as before"), Failed, Failed
			c.Message = "the " + sp.send.Kind() + " answered the same " + name + " as before"
		}
		sr.Checks = append(sr.Checks, c)
	}
	logins := s.Logins
	maps.Copy(f.vars, sp.send.Advance(&s.Session, captured))
	if len(sp.credential) > 0 {
		s.issued = f.cfg.Now()
	}
	if s.Logins > logins {
		s.login = sp
	}
	return status
}

// statusCheck checks the response status against the step's expectation.
func statusCheck(sp *stepPlan, auth flows.Auth, got int) Check {
	want := sp.req.Expect.Status
	if want == nil {
		want = sp.send.DefaultStatus(auth)
	}
	n := strconv.Itoa(got)
	c := Check{Pos: sp.step.Pos, Kind: CheckStatus, Expr: "status", Status: Failed, Actual: Value{JSON: json.RawMessage(n), Text: n}}
	if sp.req.Expect.Status != nil {
		c.Pos = sp.req.Expect.StatusPos
	}
	if want == nil {
		c.Expected = textValue("2xx")
		if got >= 200 && got < 300 {
			c.Status = Passed
		}
		return c
	}
	// As json.Marshal writes the list, and its words, without reflection.
	js, text := append(make([]byte, 0, 2+4*len(want)), '['), ""
	for i, w := range want {
		n := strconv.Itoa(w)
		if i > 0 {
			js, text = append(js, ','), text+" or "
		}
		js, text = append(js, n...), text+n
		if got == w {
			c.Status = Passed
		}
	}
	c.Expected = Value{JSON: append(js, ']'), Text: text}
	return c
}

// textValue is a value that a check describes in words.
func textValue(s string) Value { return Value{JSON: jsonString(s), Text: s} }

func isFormType(ctype string) bool { return strings.Contains(ctype, "x-www-form-urlencoded") }

// capture takes a value from a response by source: "status",
// "header:NAME", "cookie:NAME" or a gjson path into the body, which is
// read only if it is JSON.
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
	if !r.isJSON() {
		return nil, false
	}
	res := gjson.GetBytes(r.body, source)
	if !res.Exists() {
		return nil, false
	}
	return res.Value(), true
}
