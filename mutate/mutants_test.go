package mutate

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/flowrun/flowrun/runner"
)

// TestEachMutantIsKilledOrSurvives runs each mutant against testAPI with
// a spec that checks what it breaks (killed, at the step that checks it)
// and with one that does not (survived: the mutant altered the run, and
// the run passed).
func TestEachMutantIsKilledOrSurvives(t *testing.T) {
	noLeaks(t)
	tests := []struct {
		mutant string
		// killedBy is the step that catches the mutant in strong.
		strong, killedBy string
		// weak, refused with weakRefused, lets the mutant survive.
		weak, weakRefused string
	}{
		{
			mutant: "ignores-missing-credentials",
			strong: `
  - name: no token is refused
    steps:
      - login: {}
      - expect-401: {name: no token, use: me, omit: [Authorization]}`,
			killedBy: "step 2 expect-401: no token",
			// Refused on /admin whatever the token: the mutant's too.
			weak: `
  - name: no token is refused where every member is
    steps:
      - login: {}
      - expect-401: {name: no token, path: /admin, omit: [Authorization]}`,
			weakRefused: "[401, 403]",
		},
		{
			mutant: "accepts-tampered",
			strong: `
  - name: a tampered token is refused
    steps:
      - login: {}
      - expect-401: {name: tampered, use: me, tamper: [Authorization]}`,
			killedBy: "step 2 expect-401: tampered",
			weak: `
  - name: a tampered token is refused where every member is
    steps:
      - login: {}
      - expect-401: {name: tampered, path: /admin, tamper: [Authorization]}`,
			weakRefused: "[401, 403]",
		},
		{
			mutant: "ignores-logout",
			strong: `
  - name: logout ends the session
    steps:
      - login: {}
      - call: {use: me}
      - logout: {}
      - expect-401: {name: the logged-out token, use: me}`,
			killedBy: "step 4 expect-401: the logged-out token",
			weak: `
  - name: logout answers
    steps:
      - login: {}
      - call: {use: me}
      - logout: {}`,
		},
		{
			mutant: "no-rotation",
			strong: `
  - name: refresh rotates
    steps:
      - login: {}
      - refresh: {name: refresh, rotate: [refresh_token]}
      - refresh: {name: again, rotate: [refresh_token]}`,
			killedBy: "step 2 refresh",
			weak: `
  - name: refresh works
    steps:
      - login: {}
      - refresh: {name: refresh}
      - call: {use: me}
      - refresh: {name: again}
      - call: {use: me}`,
		},
		{
			mutant: "reuse-accepted",
			strong: `
  - name: a used refresh token is refused
    steps:
      - login: {}
      - refresh: {name: refresh, reuse: refused}`,
			killedBy: "step 2 refresh",
			weak: `
  - name: a used refresh token gets an answer
    steps:
      - login: {}
      - refresh: {name: refresh, vars: {used: "{{refresh_token}}"}}
      - request: {name: used again, method: POST, path: /refresh, json: {refresh_token: "{{used}}"}, expect: {status: [200, 401]}}`,
		},
		{
			mutant: "refusal-status-swapped",
			strong: `
  - name: no token is refused with 401
    steps:
      - expect-401: {name: no token, use: me}`,
			killedBy: "step 1 expect-401: no token",
			weak: `
  - name: no token is refused
    steps:
      - expect-401: {name: no token, use: me}`,
			weakRefused: "[401, 403]",
		},
		{
			mutant: "error-message-changed",
			strong: `
  - name: no token is refused and told why
    steps:
      - expect-401: {name: no token, use: me, expect: {assert: ['json("message") == "missing token"']}}`,
			killedBy: "step 1 expect-401: no token",
			weak: `
  - name: no token is refused
    steps:
      - expect-401: {name: no token, use: me}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.mutant, func(t *testing.T) {
			api, srv := newTestAPI(t)
			strong := mutateOne(t, compile(t, fmt.Sprintf(testSpec, "[401]", tc.strong), srv.URL), tc.mutant)
			got := strong.Specs[0]
			if got.Baseline.Status != runner.Passed {
				t.Fatalf("strong baseline: got %s, want passed: %v", got.Baseline.Status, got.Baseline.Caught)
			}
			if len(got.Mutants) != 1 || got.Mutants[0].Outcome != Killed {
				t.Fatalf("strong spec: got %+v, want the mutant killed", got.Mutants)
			}
			if c := got.Mutants[0].Caught; c == nil || c.Step != tc.killedBy {
				t.Errorf("strong spec: caught by %v, want %q", c, tc.killedBy)
			}
			refused := cmp.Or(tc.weakRefused, "[401]")
			weak := mutateOne(t, compile(t, fmt.Sprintf(testSpec, refused, tc.weak), srv.URL), tc.mutant)
			m := weak.Specs[0].Mutants
			if weak.Specs[0].Baseline.Status != runner.Passed {
				t.Fatalf("weak baseline: got %s, want passed: %v", weak.Specs[0].Baseline.Status, weak.Specs[0].Baseline.Caught)
			}
			if len(m) != 1 || m[0].Outcome != Survived || m[0].Altered == 0 {
				t.Fatalf("weak spec: got %+v, want the mutant to alter the run and survive", m)
			}
			if m[0].Hint == "" {
				t.Errorf("a survivor says nothing of how to catch it")
			}
			if n := api.leaked.Load(); n > 0 {
				t.Errorf("%d request(s) reached the API with flowrun's step header", n)
			}
		})
	}
}

// TestNotApplicable: a mutant that finds nothing to alter does not apply,
// and says why; a mutant that needs a refresh or a logout is not even
// run against a spec whose baseline sent none.
func TestNotApplicable(t *testing.T) {
	noLeaks(t)
	_, srv := newTestAPI(t)
	p := compile(t, fmt.Sprintf(testSpec, "[401]", `
  - name: login and call
    steps:
      - login: {}
      - call: {use: me}`), srv.URL)
	starts := 0
	cfg := Config{Run: runConfig(t), Start: func(*runner.Plan) (func(), error) { starts++; return func() {}, nil }}
	rep, err := Run(context.Background(), []*runner.Plan{p}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"ignores-missing-credentials": "no request lacked a credential",
		"accepts-tampered":            "no request carried a credential the API never issued",
		"ignores-logout":              "no logout",
		"no-rotation":                 "no refresh step",
		"reuse-accepted":              "no refresh step",
		"refusal-status-swapped":      "no answer was 401 or 403",
		"error-message-changed":       "no 4xx answer had a body",
	}
	for _, m := range rep.Specs[0].Mutants {
		if m.Outcome != NotApplicable || !strings.HasPrefix(m.Reason, want[m.Name]) {
			t.Errorf("%s: got %s %q, want n/a %q", m.Name, m.Outcome, m.Reason, want[m.Name])
		}
	}
	if rep.Score != nil || rep.NotApplicable != len(want) {
		t.Errorf("score %v with %d not applicable, want none with %d", rep.Score, rep.NotApplicable, len(want))
	}
	// The baseline, and the four mutants that need no refresh or logout.
	if starts != 5 {
		t.Errorf("servers started %d times, want 5: one per run", starts)
	}
}

// TestBaselineMustPass: a spec that fails as it is is not mutated.
func TestBaselineMustPass(t *testing.T) {
	noLeaks(t)
	_, srv := newTestAPI(t)
	p := compile(t, fmt.Sprintf(testSpec, "[401]", `
  - name: a wrong expectation
    steps:
      - login: {}
      - call: {name: teapot, use: me, expect: {status: 418}}`), srv.URL)
	rep := mutateOne(t, p)
	s := rep.Specs[0]
	if s.Baseline.Status != runner.Failed || len(s.Mutants) != 0 {
		t.Fatalf("got baseline %s with %d mutants, want failed with none", s.Baseline.Status, len(s.Mutants))
	}
	if c := s.Baseline.Caught; c == nil || c.Step != "step 2 call: teapot" || !strings.Contains(c.Message, "418") {
		t.Errorf("baseline caught by %v, want step 2 and its status", c)
	}
	if rep.BaselinesFailed() != 1 {
		t.Errorf("BaselinesFailed: got %d, want 1", rep.BaselinesFailed())
	}
}

func TestUnknownMutant(t *testing.T) {
	_, err := Pick([]string{"ignores-logout", "no-rotaton"})
	if err == nil || !strings.Contains(err.Error(), `did you mean "no-rotation"`) {
		t.Errorf("got %v, want an error that suggests no-rotation", err)
	}
	if _, err := Run(context.Background(), nil, Config{Run: runner.Config{}, Mutants: []string{"nope"}}); err == nil {
		t.Error("Run took an unknown mutant")
	}
	if got := Names(); len(got) != 7 || !slices.Contains(got, "accepts-tampered") {
		t.Errorf("Names: got %v", got)
	}
}
