package main

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const mutateDoc = "../../docs/mutate.md"

// mutateExample is what `flowrun mutate` must make of an example of
// docs/mutate.md: its exit code and each mutant's outcome.
type mutateExample struct {
	code     int
	outcomes map[string]string
}

// TestMutateDocExamplesRun runs `flowrun mutate` on every example of
// docs/mutate.md against the embedded sandbox: each has the outcome the
// page says, and the output the page shows (but the time it took).
func TestMutateDocExamplesRun(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile(mutateDoc)
	if err != nil {
		t.Fatal(err)
	}
	examples, err := parseRecipes(string(doc))
	if err != nil {
		t.Fatalf("%s:\n%v", mutateDoc, err)
	}
	shown := outputs(string(doc))
	na := "n/a"
	want := map[string]mutateExample{
		"no-expect-401": {code: exitFailed, outcomes: map[string]string{
			"ignores-missing-credentials": na, "accepts-tampered": na, "ignores-logout": "survived", "no-rotation": na,
			"reuse-accepted": na, "refusal-status-swapped": na, "error-message-changed": na}},
		"fixed": {code: exitPassed, outcomes: map[string]string{
			"ignores-missing-credentials": "killed", "accepts-tampered": "killed", "ignores-logout": "killed", "no-rotation": na,
			"reuse-accepted": na, "refusal-status-swapped": "killed", "error-message-changed": "killed"}},
	}
	var names []string
	for _, ex := range examples {
		names = append(names, ex.name)
		t.Run(ex.name, func(t *testing.T) {
			w, ok := want[ex.name]
			if !ok {
				t.Fatalf("%s:%d: example %q is not in this test's table", mutateDoc, ex.line, ex.name)
			}
			dir := t.TempDir()
			spec, report := filepath.Join(dir, ex.name+".yaml"), filepath.Join(dir, "mutants.json")
			os.WriteFile(spec, []byte(ex.yaml), 0o644)
			code, stdout, stderr := cli(t, context.Background(), nil, "mutate", spec, "--json", report)
			if code != w.code {
				t.Fatalf("%s:%d: exit %d, want %d\n%s%s", mutateDoc, ex.line, code, w.code, stdout, stderr)
			}
			var r struct {
				Specs []struct {
					Mutants []struct{ Name, Outcome string }
				}
			}
			b, _ := os.ReadFile(report)
			if err := json.Unmarshal(b, &r); err != nil || len(r.Specs) != 1 {
				t.Fatalf("the JSON report: %v\n%s", err, b)
			}
			got := map[string]string{}
			for _, m := range r.Specs[0].Mutants {
				got[m.Name] = m.Outcome
			}
			if !maps.Equal(got, w.outcomes) {
				t.Errorf("%s:%d: outcomes %v, want %v", mutateDoc, ex.line, got, w.outcomes)
			}
			if out, ok := shown[ex.name]; ok {
				if got := untimed(strings.ReplaceAll(stdout, dir+string(filepath.Separator), "")); got != untimed(out) {
					t.Errorf("%s: the output of %q differs from what the page shows\ngot:\n%s\nthe page:\n%s", mutateDoc, ex.name, got, out)
				}
			}
		})
	}
	for name := range want {
		if !slices.Contains(names, name) {
			t.Errorf("%s has no example %q", mutateDoc, name)
		}
	}
	for name := range shown {
		if !slices.Contains(names, name) {
			t.Errorf("%s shows the output of %q, which is not an example", mutateDoc, name)
		}
	}
}

var outputMarker = regexp.MustCompile(`^<!-- output: ([a-z0-9-]+) -->$`)

// outputs returns the outputs docs/mutate.md shows, by example: the
// text block after each <!-- output: NAME --> line.
func outputs(doc string) map[string]string {
	out := map[string]string{}
	name, in := "", false
	for line := range strings.SplitSeq(doc, "\n") {
		switch {
		case in && strings.TrimSpace(line) == "```":
			name, in = "", false
		case in:
			out[name] += line + "\n"
		case name != "" && strings.HasPrefix(line, "```"):
			in = true
		case outputMarker.MatchString(line):
			name = outputMarker.FindStringSubmatch(line)[1]
		}
	}
	return out
}

// untimed drops the time a run took from its score line.
func untimed(s string) string {
	return regexp.MustCompile(`\) in [0-9.]+[a-zµ]+\n`).ReplaceAllString(s, ")\n")
}
