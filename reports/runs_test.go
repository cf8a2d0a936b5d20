package reports_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/flowrun/flowrun/internal/reporttest"
	"github.com/flowrun/flowrun/reports"
	"github.com/flowrun/flowrun/runner"
)

// repeatedResult is a run of one flow 100 times, two runs failing; its
// steps are those of the first failed run, and a passed step's bodies
// were not kept.
func repeatedResult() *runner.Result {
	f := failedFlow()
	f.Steps = append(passedFlow().Steps[:1:1], f.Steps...)
	f.Duration = 1500 * time.Millisecond
	f.Runs = &runner.Runs{Count: 100, Passed: 98, Failed: 2, First: 17, Min: 9 * time.Millisecond, P50: 11 * time.Millisecond,
		P90: 14 * time.Millisecond, P95: 16 * time.Millisecond, P99: 20 * time.Millisecond, Max: 22 * time.Millisecond}
	for i := range f.Steps {
		for j := range f.Steps[i].Exchanges {
			if r := f.Steps[i].Exchanges[j].Response; r != nil && f.Steps[i].Status == runner.Passed {
				r.Body = runner.Body{Size: 120, Omitted: true}
			}
		}
	}
	return &runner.Result{Started: at(0), Duration: 2 * time.Second, Specs: []runner.SpecResult{spec(f)}}
}

func TestRepeatedFlowInEveryReport(t *testing.T) {
	r := repeatedResult()
	note := "(100 runs: 98 passed, 2 failed; p50 11ms, p90 14ms, p99 20ms, max 22ms; steps of run 17)"
	var term bytes.Buffer
	if err := reports.Terminal(&term, r, reports.Options{Verbose: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(term.String(), note) {
		t.Errorf("terminal: got\n%s\nwant %s", term.String(), note)
	}
	if !strings.Contains(term.String(), "(a body of 120 bytes, not kept: the step passed; --keep-bodies keeps it)") {
		t.Errorf("terminal: got\n%s\nwant the omitted body's size", term.String())
	}
	var junit bytes.Buffer
	if err := reports.JUnit(&junit, r, reports.Options{}); err != nil {
		t.Fatal(err)
	}
	reporttest.ValidateJUnit(t, junit.Bytes())
	if !strings.Contains(junit.String(), note) {
		t.Errorf("JUnit: want %s in the log", note)
	}
	var ctrf bytes.Buffer
	if err := reports.CTRF(&ctrf, r, reports.Options{}); err != nil {
		t.Fatal(err)
	}
	reporttest.ValidateCTRF(t, ctrf.Bytes())
	var doc struct {
		Results struct {
			Tests []struct {
				Flaky bool
				Extra struct{ Runs runner.Runs }
			}
		}
	}
	if err := json.Unmarshal(ctrf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if tc := doc.Results.Tests[0]; !tc.Flaky || tc.Extra.Runs.Count != 100 || tc.Extra.Runs.P99 != 20*time.Millisecond {
		t.Errorf("CTRF: got %+v, want a flaky test with its runs", tc)
	}
	var js bytes.Buffer
	if err := reports.JSON(&js, r, reports.Options{}); err != nil {
		t.Fatal(err)
	}
	reporttest.ValidateJSON(t, js.Bytes())
	if !strings.Contains(js.String(), `"p99_ns": 20000000`) || !strings.Contains(js.String(), `"omitted": true`) {
		t.Errorf("JSON: want the runs and the omitted body")
	}
	var html bytes.Buffer
	if err := reports.HTML(&html, r, reports.Options{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(html.String(), "100 runs: 98 passed, 2 failed") || !strings.Contains(html.String(), "a body of 120 bytes, not kept") {
		t.Errorf("HTML: want the runs and the omitted body")
	}
}
