package mutate

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"testing"
	"time"

	"github.com/flowrun/flowrun/runner"
)

var update = flag.Bool("update", false, "rewrite golden files")

// fixture is a report built by hand: a killed, a survived and a not
// applicable mutant, and a spec whose baseline failed.
func fixture() *Report {
	r := &Report{
		Started:  time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
		Duration: 2345 * time.Millisecond,
		Mutants:  Mutants()[:3],
		Specs: []SpecReport{
			{File: "specs/api.yaml", Provider: "api", Baseline: Baseline{Status: runner.Passed, Flows: 3}, Mutants: []MutantResult{
				{Name: "ignores-missing-credentials", Outcome: Killed, Altered: 2, Caught: &Catch{Flow: "no token is refused",
					Step: "step 1 expect-401: no token", Pos: runner.Pos{File: "specs/api.yaml", Line: 12, Col: 9}, Status: runner.Failed,
					Check: "status", Message: "status: expected 401, got 200"}},
				{Name: "accepts-tampered", Outcome: NotApplicable, Reason: "no request carried a credential the API never issued: no step checks that a tampered one is refused"},
				{Name: "ignores-logout", Outcome: Survived, Altered: 1, Hint: Mutants()[2].Kills},
			}},
			{File: "specs/broken.yaml", Provider: "broken", Baseline: Baseline{Status: runner.Failed, Flows: 1, Caught: &Catch{Flow: "login",
				Step: "step 1 login", Pos: runner.Pos{File: "specs/broken.yaml", Line: 7, Col: 9}, Status: runner.Failed,
				Check: "status", Message: "status: expected 200, got 500"}}, Mutants: []MutantResult{}},
		},
	}
	r.tally()
	return r
}

func TestTextGolden(t *testing.T) {
	var b bytes.Buffer
	if err := Text(&b, fixture()); err != nil {
		t.Fatal(err)
	}
	golden(t, "testdata/report.golden", b.String())
}

func TestJSONGolden(t *testing.T) {
	var b bytes.Buffer
	if err := JSON(&b, fixture()); err != nil {
		t.Fatal(err)
	}
	golden(t, "testdata/report.json.golden", b.String())
	var back Report
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.Score == nil || *back.Score != 50 || back.Killed != 1 || back.Survived != 1 || back.NotApplicable != 1 {
		t.Errorf("got score %v, %d killed, %d survived, %d n/a; want 50, 1, 1, 1", back.Score, back.Killed, back.Survived, back.NotApplicable)
	}
}

func TestScoreText(t *testing.T) {
	tests := []struct {
		killed, survived int
		want             string
	}{
		{0, 0, "none"},
		{3, 0, "100%"},
		{1, 2, "33.3%"},
		// Never rounded up to a score that would pass --min-score 100.
		{9999, 1, "99.9%"},
	}
	for _, tc := range tests {
		r := &Report{Specs: []SpecReport{{}}}
		for range tc.killed {
			r.Specs[0].Mutants = append(r.Specs[0].Mutants, MutantResult{Outcome: Killed})
		}
		for range tc.survived {
			r.Specs[0].Mutants = append(r.Specs[0].Mutants, MutantResult{Outcome: Survived})
		}
		r.tally()
		if got := r.ScoreText(); got != tc.want {
			t.Errorf("%d killed, %d survived: got %s, want %s", tc.killed, tc.survived, got, tc.want)
		}
	}
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test -update rewrites it)\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}
