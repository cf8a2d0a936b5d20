package reports_test

import (
	"bytes"
	"flag"
	"os"
	"testing"
	"time"

	"github.com/flowrun/flowrun/reports"
	"github.com/flowrun/flowrun/runner"
)

var update = flag.Bool("update", false, "rewrite golden files")

// sample is a result with a pass, a failure, an error and skips, built by
// hand so the report is the same on every run.
func sample() *runner.Result {
	return &runner.Result{
		Started:  time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Duration: 1234 * time.Millisecond,
		Specs: []runner.SpecResult{{
			File: "specs/demo.yaml", Provider: "demo", BaseURL: "http://127.0.0.1:4000", Sandbox: "demo",
			Flows: []runner.FlowResult{
				{Name: "login and call", Place: "specs/demo.yaml:10:5", Status: runner.Passed, Duration: 12 * time.Millisecond,
					Steps: []runner.StepResult{
						{Name: "login", Kind: "login", Status: runner.Passed, Duration: 8 * time.Millisecond, Captured: []string{"token"}},
						{Name: "read profile", Kind: "call", Status: runner.Passed, Duration: 4 * time.Millisecond},
					}},
				{Name: "refused without token", Place: "specs/demo.yaml:20:5", Status: runner.Failed, Duration: 3 * time.Millisecond,
					Steps: []runner.StepResult{
						{Name: "expect-401", Kind: "expect-401", Place: "specs/demo.yaml:22:9", Status: runner.Failed, Duration: 3 * time.Millisecond,
							Request: &runner.Request{Method: "GET", URL: "http://127.0.0.1:4000/me",
								Headers: []runner.Header{{Name: "Authorization", Value: "Bearer <masked:token>"}}},
							Response: &runner.Response{Status: 200, Headers: []runner.Header{{Name: "Content-Type", Value: "application/json"}},
								Body: `{"name":"Mary"}`},
							Checks: []runner.Check{{Place: "specs/demo.yaml:22:9", Expr: "status", Expected: "401", Actual: "200"}}},
						{Name: "wait", Kind: "wait", Status: runner.Skipped},
					}},
				{Name: "server down", Place: "specs/demo.yaml:30:5", Status: runner.Errored, Duration: 30 * time.Second,
					Steps: []runner.StepResult{
						{Name: "login", Kind: "login", Place: "specs/demo.yaml:32:9", Status: runner.Errored, Duration: 30 * time.Second,
							Request: &runner.Request{Method: "POST", URL: "http://127.0.0.1:4000/login", Body: `{"password":"<masked:password>"}`},
							Error:   "no answer within the step's timeout of 30s"},
					}},
			},
		}},
	}
}

func TestTableGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts reports.Options
	}{
		{"table", reports.Options{}},
		{"table_verbose", reports.Options{Verbose: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := reports.Table(&b, sample(), tc.opts); err != nil {
				t.Fatal(err)
			}
			path := "testdata/" + tc.name + ".golden"
			if *update {
				os.WriteFile(path, b.Bytes(), 0o644)
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (go test -update creates it)", err)
			}
			if b.String() != string(want) {
				t.Errorf("report differs from %s (go test -update rewrites it)\ngot:\n%s\nwant:\n%s", path, b.String(), want)
			}
		})
	}
}

func TestSummary(t *testing.T) {
	r := sample()
	if got, want := reports.Summary(r), "3 flows: 1 passed, 1 failed, 1 errored in 1.234s"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	r.Interrupted = true
	if got, want := reports.Summary(r), "3 flows: 1 passed, 1 failed, 1 errored in 1.234s (interrupted)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
