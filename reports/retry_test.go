package reports_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/flowrun/flowrun/internal/reporttest"
	"github.com/flowrun/flowrun/reports"
	"github.com/flowrun/flowrun/runner"
)

// retriedResult is a run whose steps sent their requests again: one after
// two 503s, one polling until a token was refused.
func retriedResult() *runner.Result {
	attempt := func(ms, status int, label string) runner.Exchange {
		return runner.Exchange{Label: label, Started: at(ms), Duration: time.Millisecond,
			Request:  &runner.Request{Method: "GET", URL: "http://127.0.0.1:4000/me"},
			Response: &runner.Response{Status: status}}
	}
	steps := []runner.StepResult{
		{Name: "call", Kind: "call", Pos: pos(12, 9), Session: "default", Status: runner.Passed, Started: at(0), Duration: 2 * time.Second,
			Exchanges: []runner.Exchange{
				attempt(0, 503, "attempt 1 of 4: 503, retried after 1s (Retry-After)"),
				attempt(1000, 503, "attempt 2 of 4: 503, retried after 1s (Retry-After)"),
				attempt(2000, 200, "attempt 3 of 4: 200"),
			},
			Checks: []runner.Check{
				{Pos: pos(12, 9), Kind: runner.CheckRetry, Expr: "retry (--retries 3)", Status: runner.Passed,
					Expected: val("an answer other than 503 within 4 attempts", "an answer other than 503 within 4 attempts"),
					Actual:   val(3, "200 after 3 attempts over 2s"), Exchange: 2},
				{Pos: pos(12, 9), Kind: runner.CheckStatus, Expr: "status", Status: runner.Passed, Expected: val("2xx", "2xx"), Actual: val(200, "200"), Exchange: 2},
			}},
		{Name: "expect-401", Kind: "expect-401", Pos: pos(14, 9), Session: "default", Status: runner.Failed, Started: at(2000), Duration: time.Second,
			Exchanges: []runner.Exchange{
				attempt(2000, 200, "attempt 1: until false, sent again after 500ms"),
				attempt(2500, 200, "attempt 2: until false, for: 1s is spent"),
			},
			Checks: []runner.Check{
				{Pos: pos(16, 26), Kind: runner.CheckRetry, Expr: "retry until status == 401", Status: runner.Failed,
					Expected: val("true within 1s", "true within 1s"), Actual: val(2, "false after 2 attempts over 1s: 200 == 401 is false"),
					Message: "false after 2 attempts over 1s: 200 == 401 is false", Exchange: 1},
				{Pos: pos(14, 9), Kind: runner.CheckStatus, Expr: "status", Status: runner.Failed, Expected: val([]int{401}, "401"), Actual: val(200, "200"), Exchange: 1},
			}},
	}
	return &runner.Result{Started: at(0), Duration: 3 * time.Second, Specs: []runner.SpecResult{{File: "specs/demo.yaml", Provider: "demo",
		BaseURL: "http://127.0.0.1:4000", Flows: []runner.FlowResult{{Name: "eventually refused", Pos: pos(10, 5), Status: runner.Failed,
			Started: at(0), Duration: 3 * time.Second, Steps: steps}}}}}
}

func TestCTRFCountsRetries(t *testing.T) {
	var b bytes.Buffer
	if err := reports.CTRF(&b, retriedResult(), reports.Options{}); err != nil {
		t.Fatal(err)
	}
	reporttest.ValidateCTRF(t, b.Bytes())
	var doc struct {
		Results struct {
			Tests []struct {
				Retries int
				Steps   []struct{ Extra struct{ Retries int } }
			}
		}
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	test := doc.Results.Tests[0]
	if test.Retries != 3 || test.Steps[0].Extra.Retries != 2 || test.Steps[1].Extra.Retries != 1 {
		t.Errorf("got retries %d, by step %d and %d; want 3, by step 2 and 1", test.Retries, test.Steps[0].Extra.Retries, test.Steps[1].Extra.Retries)
	}
}

func TestJSONWithRetriesMatchesSchema(t *testing.T) {
	var b bytes.Buffer
	if err := reports.JSON(&b, retriedResult(), reports.Options{}); err != nil {
		t.Fatal(err)
	}
	reporttest.ValidateJSON(t, b.Bytes())
}
