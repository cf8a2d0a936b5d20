package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

const contractDoc = "../../docs/auth-contract.md"

// TestAuthContractExamplesRun runs every example of docs/auth-contract.md
// against the embedded sandbox, and checks each does what the page says:
// how many probes and JWT checks it makes.
func TestAuthContractExamplesRun(t *testing.T) {
	doc, err := os.ReadFile(contractDoc)
	if err != nil {
		t.Fatal(err)
	}
	examples, err := parseRecipes(string(doc))
	if err != nil {
		t.Fatalf("%s:\n%v", contractDoc, err)
	}
	want := map[string]struct{ probes, jwt int }{
		"probe-every-call": {probes: 6},
		"refused-status":   {probes: 10},
		"refusal-probes":   {probes: 3},
		"jwt-lifetime":     {jwt: 3},
		"sessions":         {},
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
			if got["probe"] != w.probes || got["jwt"] != w.jwt {
				t.Errorf("got %d probes and %d jwt checks, want %d and %d", got["probe"], got["jwt"], w.probes, w.jwt)
			}
		})
	}
	for name := range want {
		if !slices.Contains(names, name) {
			t.Errorf("%s has no example %q", contractDoc, name)
		}
	}
}
