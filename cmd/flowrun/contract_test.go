package main

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const contractDoc = "../../docs/auth-contract.md"

// contractCounts is what a run of an example of docs/auth-contract.md
// must show: how many checks it makes of each kind the page is about (0
// where none is given), and a line its terminal output holds, if any.
type contractCounts struct {
	probe, jwt, reuse, verify, reauth int
	says                              string
}

// kinds returns the counts by check kind, as the JSON report names them.
func (c contractCounts) kinds() map[string]int {
	return map[string]int{"probe": c.probe, "jwt": c.jwt, "reuse": c.reuse, "verify": c.verify, "reauth": c.reauth}
}

// TestAuthContractExamplesRun runs every example of docs/auth-contract.md
// against the embedded sandbox, and checks each does what the page says:
// how many probes, JWT, reuse, verify and reauth checks it makes.
func TestAuthContractExamplesRun(t *testing.T) {
	doc, err := os.ReadFile(contractDoc)
	if err != nil {
		t.Fatal(err)
	}
	examples, err := parseRecipes(string(doc))
	if err != nil {
		t.Fatalf("%s:\n%v", contractDoc, err)
	}
	want := map[string]contractCounts{
		"probe-every-call": {probe: 6},
		"refused-status":   {probe: 10},
		"refusal-probes":   {probe: 3},
		"jwt-lifetime":     {jwt: 3},
		"sessions":         {},
		// Two calls, each probed with the one other session's credentials.
		"other-session": {probe: 2},
		// refused: the refresh sent again once.
		"refresh-reuse": {reuse: 1},
		// The first call comes before anything is revoked: no probe. Then
		// one after the revoking refresh, one after the logout and login.
		"revoked": {probe: 2},
		// One per request named in verify: user and refresh.
		"logout-verify": {verify: 2},
		// The expect-401's expired probe, once the exp has passed; the
		// flow that waits has no probe.
		"expired": {probe: 1},
		// The call answered 401, logged in again and retried once.
		"reauth": {reauth: 1, says: "(re-logged in after a 401 at step 3)"},
	}
	var names []string
	for _, ex := range examples {
		names = append(names, ex.name)
		t.Run(ex.name, func(t *testing.T) {
			w, ok := want[ex.name]
			if !ok {
				t.Fatalf("%s:%d: example %q is not in this test's table", contractDoc, ex.line, ex.name)
			}
			dir := t.TempDir()
			spec, report := filepath.Join(dir, ex.name+".yaml"), filepath.Join(dir, "r.json")
			os.WriteFile(spec, []byte(ex.yaml), 0o644)
			code, stdout, stderr := cli(t, context.Background(), nil, spec, "--report-json", report)
			if code != exitPassed {
				t.Fatalf("%s:%d: exit %d\n%s%s", contractDoc, ex.line, code, stdout, stderr)
			}
			var r struct {
				Specs []struct {
					Flows []struct {
						Steps []struct {
							Checks []struct{ Kind string }
						}
					}
				}
			}
			b, _ := os.ReadFile(report)
			json.Unmarshal(b, &r)
			got := map[string]int{}
			for _, s := range r.Specs {
				for _, f := range s.Flows {
					for _, st := range f.Steps {
						for _, c := range st.Checks {
							got[c.Kind]++
						}
					}
				}
			}
			kinds := w.kinds()
			for _, kind := range slices.Sorted(maps.Keys(kinds)) {
				if got[kind] != kinds[kind] {
					t.Errorf("%s:%d: %d %s checks, want %d", contractDoc, ex.line, got[kind], kind, kinds[kind])
				}
			}
			if w.says != "" && !strings.Contains(stdout, w.says) {
				t.Errorf("%s:%d: the output does not say %q:\n%s", contractDoc, ex.line, w.says, stdout)
			}
		})
	}
	for name := range want {
		if !slices.Contains(names, name) {
			t.Errorf("%s has no example %q", contractDoc, name)
		}
	}
}
