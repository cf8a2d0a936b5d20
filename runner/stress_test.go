package runner_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/flowrun/flowrun/examples/sandbox"
	"github.com/flowrun/flowrun/runner"
)

// stressRowSpec is one data-driven flow whose rows each log in as one of
// the sandbox's two users, read the user, refresh with rotation, read it
// again, log out and see the token refused. Tokens live an hour, so no
// flow depends on timing.
const stressRowSpec = `
provider: mic
base_url: http://unused
headers: {x-api-key: sandbox-api-key}
auth:
  refused: [401, 403]
  headers: {Authorization: "{{token}}", identityId: "{{identity_id}}"}
requests:
  login:
    method: POST
    path: /auth/login
    json: {userName: "{{user}}", password: "{{user}}-password"}
    capture: {token: credentials.token, identity_id: credentials.identityId, refresh_token: credentials.refreshToken}
    expect: {status: 200}
  refresh:
    method: POST
    path: /auth/refresh
    json: {refreshToken: "{{refresh_token}}"}
    capture: {token: credentials.token, identity_id: credentials.identityId, refresh_token: credentials.refreshToken}
    rotate: [token, refresh_token]
    expect: {status: 200}
  logout: {method: POST, path: /auth/logout, expect: {status: 200}}
  user: {method: GET, path: "/users/{{user}}"}
# Every call is sent again with each credential left out, altered and
# with the wrong scheme: more requests, and the probes' own code, at once.
probe: [missing, tampered, wrong-scheme]
flows:
  - name: log in, refresh, log out
    steps:
      - login: {}
      - call: {use: user, expect: {assert: ['json("userName") == user']}}
      - refresh: {}
      - call: {name: the new token works, use: user, expect: {assert: ['json("userName") == user']}}
      - logout: {}
      - expect-401: {name: the token is refused, use: user, expect: {status: 401}}
`

// stressSessionFlow is one of many flows with three sessions of two
// users each: every session works on its own, and a logout or a refresh
// in one leaves the others working.
const stressSessionFlow = `
  - name: sessions %03d
    steps:
      - login: {name: first, session: first, json: {userName: alice, password: alice-password}}
      - login: {name: second, session: second, json: {userName: alice, password: alice-password}}
      - login: {name: other, session: other, json: {userName: bob, password: bob-password}}
      - call: {session: first, path: /users/alice}
      - call: {session: other, path: /users/bob, expect: {assert: ['json("userName") == "bob"']}}
      - refresh: {session: second}
      - logout: {session: first}
      - call: {name: second still works, session: second, path: /users/alice}
      - call: {name: other still works, session: other, path: /users/bob}
      - logout: {session: second}
      - logout: {session: other}
`

// TestStressManyFlowsRace runs 400 flows, 64 at a time, against the
// embedded MIC sandbox: 200 rows of a data-driven flow in one spec and
// 200 flows of three sessions each in another, 3,400 steps and, with
// their refusal probes, 15,400 requests.
// Under -race it is the engine's concurrency test: every flow passes,
// the result and the observer see the flows in spec order whatever order
// they end in, and no goroutine outlives the run.
func TestStressManyFlowsRace(t *testing.T) {
	if testing.Short() {
		t.Skip("400 flows against the sandbox; skipped with -short")
	}
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	const rows, sessionFlows = 200, 200
	srv, err := sandbox.Start("mic", sandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	var rowList strings.Builder
	for i := range rows {
		fmt.Fprintf(&rowList, "{name: r%03d, user: %s},", i, []string{"alice", "bob"}[i%2])
	}
	first := plan(t, srv.URL, stressRowSpec+"    rows: ["+strings.TrimSuffix(rowList.String(), ",")+"]\n")
	var many strings.Builder
	many.WriteString(strings.SplitAfter(stressRowSpec, "flows:\n")[0])
	var want []string
	for i := range rows {
		want = append(want, fmt.Sprintf("log in, refresh, log out [r%03d]", i))
	}
	for i := range sessionFlows {
		fmt.Fprintf(&many, stressSessionFlow, i)
		want = append(want, fmt.Sprintf("sessions %03d", i))
	}
	second := plan(t, srv.URL, many.String())

	transport := &http.Transport{MaxIdleConnsPerHost: 64}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	obs := &orderObserver{}
	res := runner.Run(context.Background(), []*runner.Plan{first, second},
		runner.Config{Client: client, Concurrency: 64, Observer: obs})

	var got []string
	failed := 0
	for _, s := range res.Specs {
		for _, f := range s.Flows {
			got = append(got, f.Name)
			if f.Status != runner.Passed {
				if failed++; failed == 1 {
					t.Errorf("flow %q: got %s, want passed (%s)", f.Name, f.Status, failure(f))
				}
			}
		}
	}
	if failed > 0 {
		t.Errorf("%d of %d flows did not pass: %v", failed, len(got), res.Counts())
	}
	if d := diff(got, want); d != "" {
		t.Errorf("result order: %s", d)
	}
	if d := diff(obs.flows, want); d != "" {
		t.Errorf("observer order: %s", d)
	}
	if obs.started != len(want) || obs.ended != len(want) {
		t.Errorf("tracker: got %d started and %d ended, want %d each", obs.started, obs.ended, len(want))
	}
}

// orderObserver records the flows in the order Run passes them on. Run
// calls it from one goroutine at a time, so it needs no lock; -race
// would say otherwise.
type orderObserver struct {
	flows          []string
	started, ended int
}

func (o *orderObserver) Begin(*runner.Result) {}
func (o *orderObserver) Flow(_ *runner.SpecResult, f *runner.FlowResult) {
	o.flows = append(o.flows, f.Name)
}
func (o *orderObserver) Started(*runner.FlowResult) { o.started++ }
func (o *orderObserver) Ended(*runner.FlowResult)   { o.ended++ }

// failure names a flow's first step that did not pass, and why.
func failure(f runner.FlowResult) string {
	for _, s := range f.Steps {
		if s.Status == runner.Passed {
			continue
		}
		why := s.Error
		for _, c := range s.Checks {
			if c.Status != runner.Passed {
				why = fmt.Sprintf("%s: %s, expected %s", c.Expr, c.Actual.Text, c.Expected.Text)
				break
			}
		}
		return fmt.Sprintf("step %q %s: %s", s.Name, s.Status, why)
	}
	return "every step passed"
}

// diff says where a list of flow names first differs from the one
// wanted, or returns "".
func diff(got, want []string) string {
	for i := range max(len(got), len(want)) {
		switch {
		case i >= len(got):
			return fmt.Sprintf("got %d flows, want %d: %q is missing", len(got), len(want), want[i])
		case i >= len(want):
			return fmt.Sprintf("got %d flows, want %d: %q is extra", len(got), len(want), got[i])
		case got[i] != want[i]:
			return fmt.Sprintf("flow %d: got %q, want %q", i+1, got[i], want[i])
		}
	}
	return ""
}
