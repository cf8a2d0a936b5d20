package mutate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/flowrun/flowrun/examples/sandbox"
	"github.com/flowrun/flowrun/runner"
)

// TestStepHeaderStaysInside: the header that tells the proxy a request's
// step reaches neither the API nor the run's result.
func TestStepHeaderStaysInside(t *testing.T) {
	noLeaks(t)
	api, srv := newTestAPI(t)
	// The step fails, so that its exchanges are kept.
	p := compile(t, fmt.Sprintf(testSpec, "[401]", `
  - name: a failing call
    steps:
      - login: {}
      - call: {name: teapot, use: me, expect: {status: 418}}`), srv.URL)
	m := &mutation{cfg: Config{Run: runConfig(t)}, limit: 1 << 20}
	tr, err := specTransport(m.cfg.Run.Client, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.CloseIdleConnections()
	res, sh, err := m.once(context.Background(), p, tr, &messageChanged{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	st := res.Specs[0].Flows[0].Steps[1]
	if st.Status != runner.Failed || len(st.Exchanges) == 0 {
		t.Fatalf("got %s with %d exchanges, want a failed step with its exchange", st.Status, len(st.Exchanges))
	}
	for _, h := range st.Exchanges[0].Request.Headers {
		if strings.EqualFold(h.Name, stepHeader) {
			t.Errorf("the result shows %s: %s", h.Name, h.Value)
		}
	}
	if n := api.leaked.Load(); n > 0 {
		t.Errorf("%d request(s) reached the API with the step header", n)
	}
	if kinds := sh.kinds; !kinds["login"] || !kinds["call"] || kinds["logout"] {
		t.Errorf("kinds seen: got %v, want login and call", sh.kinds)
	}
}

// TestServersEachHaveAProxy: a step sent to one of the spec's servers:
// goes through a proxy too, whose mutant alters its answers.
func TestServersEachHaveAProxy(t *testing.T) {
	noLeaks(t)
	_, main := newTestAPI(t)
	_, other := newTestAPI(t)
	spec := fmt.Sprintf(testSpec, "[401]", `
  - name: the other server refuses and says why
    steps:
      - expect-401:
          name: no token there
          server: other
          use: me
          expect: {assert: ['json("message") == "missing token"']}`)
	spec = strings.Replace(spec, "vars:", "servers: {other: {url: \""+other.URL+"\"}}\nvars:", 1)
	rep := mutateOne(t, compile(t, spec, main.URL), "error-message-changed")
	if m := rep.Specs[0].Mutants; len(m) != 1 || m[0].Outcome != Killed {
		t.Fatalf("got %+v, want the mutant killed on the other server", m)
	}
}

// TestSandboxRunsAreFresh runs a spec against the embedded ampliFi
// simulator, a fresh one for each run: the logout the baseline ended
// does not leak into the mutant's run, and the mutant's replayed logout
// leaves the token alive, which the spec catches.
func TestSandboxRunsAreFresh(t *testing.T) {
	noLeaks(t)
	const spec = `provider: amplifi
sandbox: amplifi
auth: {headers: {token: "{{token}}"}}
requests:
  login: {method: PUT, path: /token, json: {channel: internet, userName: ali, password: qa}, capture: {token: token}}
  logout: {method: DELETE, path: /token}
flows:
  - name: logout disables the token
    steps:
      - login: {}
      - call: {path: /profile}
      - logout: {expect: {assert: ['json("text") == "Logged out successfully"']}}
      - expect-401: {name: the logged-out token, path: /profile}
`
	p := compile(t, spec, "")
	var started []string
	start := func(p *runner.Plan) (func(), error) {
		srv, err := sandbox.Start(p.Spec.Sandbox.Provider, sandbox.Options{})
		if err != nil {
			return nil, err
		}
		p.BaseURL = srv.URL
		started = append(started, srv.URL)
		return srv.Close, nil
	}
	rep, err := Run(context.Background(), []*runner.Plan{p}, Config{Run: runConfig(t), Mutants: []string{"ignores-logout"}, Start: start})
	if err != nil {
		t.Fatal(err)
	}
	m := rep.Specs[0].Mutants
	if len(m) != 1 || m[0].Outcome != Killed || m[0].Caught.Step != "step 4 expect-401: the logged-out token" {
		t.Fatalf("got %+v, want ignores-logout killed at step 4", m)
	}
	if len(started) != 2 || started[0] == started[1] {
		t.Errorf("sandboxes started: %v, want a fresh one for the baseline and for the mutant", started)
	}
}

// TestInterrupted: a cancelled run reports what ended, and says so.
func TestInterrupted(t *testing.T) {
	noLeaks(t)
	_, srv := newTestAPI(t)
	p := compile(t, fmt.Sprintf(testSpec, "[401]", `
  - name: login
    steps:
      - login: {}`), srv.URL)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rep, err := Run(ctx, []*runner.Plan{p}, Config{Run: runConfig(t)})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Interrupted || len(rep.Specs[0].Mutants) != 0 {
		t.Errorf("got interrupted=%v with %d mutants, want interrupted with none", rep.Interrupted, len(rep.Specs[0].Mutants))
	}
}

// TestStartFails: a spec whose servers do not start is reported with
// why, and counts as neither a failed baseline nor a mutant.
func TestStartFails(t *testing.T) {
	noLeaks(t)
	_, srv := newTestAPI(t)
	p := compile(t, fmt.Sprintf(testSpec, "[401]", `
  - name: login
    steps:
      - login: {}`), srv.URL)
	start := func(*runner.Plan) (func(), error) { return nil, errors.New("sandbox api: no such simulator") }
	rep, err := Run(context.Background(), []*runner.Plan{p}, Config{Run: runConfig(t), Start: start})
	if err != nil {
		t.Fatal(err)
	}
	if got := rep.Errors(); len(got) != 1 || !strings.HasSuffix(got[0], "spec.yaml: sandbox api: no such simulator") {
		t.Errorf("Errors: got %q", got)
	}
	if rep.BaselinesFailed() != 0 || rep.Score != nil {
		t.Errorf("got %d failed baselines and score %v, want none", rep.BaselinesFailed(), rep.Score)
	}
}
