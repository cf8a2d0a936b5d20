package reports_test

import (
	"encoding/json"
	"flag"
	"os"
	"testing"
	"time"

	"github.com/flowrun/flowrun/runner"
)

var update = flag.Bool("update", false, "rewrite golden files")

// golden compares got with testdata/NAME, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := "testdata/" + name
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update creates it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("output differs from %s (go test -update rewrites it)\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

func pos(line, col int) runner.Pos { return runner.Pos{File: "specs/demo.yaml", Line: line, Col: col} }

func val(v any, text string) runner.Value {
	js, _ := json.Marshal(v)
	return runner.Value{JSON: js, Text: text}
}

// Flows of every kind, built by hand so reports are the same on every run.

func passedFlow() runner.FlowResult {
	return runner.FlowResult{Name: "login and call", Pos: pos(10, 5), Tags: []string{"smoke"}, Status: runner.Passed,
		Started: at(0), Duration: 12 * time.Millisecond,
		Steps: []runner.StepResult{
			{Name: "login", Kind: "login", Pos: pos(12, 9), Session: "default", Status: runner.Passed, Started: at(0), Duration: 8 * time.Millisecond,
				Captured: []string{"token"},
				Exchanges: []runner.Exchange{{Started: at(0), Duration: 7 * time.Millisecond,
					Request: &runner.Request{Method: "POST", URL: "http://127.0.0.1:4000/login",
						Headers: []runner.Header{{Name: "Content-Type", Value: "application/json"}},
						Body:    runner.Body{Text: `{"user":"mary","password":"<password#1a2b>"}`, Size: 44}},
					Response: &runner.Response{Status: 200, Headers: []runner.Header{{Name: "Content-Type", Value: "application/json"}},
						Body: runner.Body{Text: `{"token":"<token#9c3d>"}`, Size: 60}}}},
				Checks: []runner.Check{
					{Pos: pos(12, 9), Kind: runner.CheckStatus, Expr: "status", Status: runner.Passed, Expected: val("2xx", "2xx"), Actual: val(200, "200")},
					{Pos: pos(14, 13), Kind: runner.CheckCapture, Expr: "capture token", Status: runner.Passed, Expected: val("a value at token", "a value at token"), Actual: val("a value", "a value")},
				}},
			{Name: "read profile", Kind: "call", Pos: pos(16, 9), Session: "default", Status: runner.Passed, Started: at(8), Duration: 4 * time.Millisecond,
				Exchanges: []runner.Exchange{{Started: at(8), Duration: 3 * time.Millisecond,
					Request:  &runner.Request{Method: "GET", URL: "http://127.0.0.1:4000/me", Headers: []runner.Header{{Name: "Authorization", Value: "Bearer <token#9c3d>"}}},
					Response: &runner.Response{Status: 200, Body: runner.Body{Text: `{"name":"Mary"}`, Size: 15}}}},
				Checks: []runner.Check{
					{Pos: pos(16, 9), Kind: runner.CheckStatus, Expr: "status", Status: runner.Passed, Expected: val("2xx", "2xx"), Actual: val(200, "200")},
					{Pos: pos(18, 15), Kind: runner.CheckAssert, Expr: `json("name") == "Mary"`, Status: runner.Passed, Expected: val(true, "true"), Actual: val(true, "true")},
				}},
		}}
}

func failedFlow() runner.FlowResult {
	return runner.FlowResult{Name: "refused without token", Pos: pos(20, 5), Status: runner.Failed, Started: at(0), Duration: 3 * time.Millisecond,
		Steps: []runner.StepResult{
			{Name: "expect-401", Kind: "expect-401", Pos: pos(22, 9), Session: "default", Status: runner.Failed, Started: at(0), Duration: 3 * time.Millisecond,
				Exchanges: []runner.Exchange{{Started: at(0), Duration: 2 * time.Millisecond,
					Request: &runner.Request{Method: "GET", URL: "http://127.0.0.1:4000/me?q=a&b=<api_key#77aa>"},
					Response: &runner.Response{Status: 200, Headers: []runner.Header{{Name: "Content-Type", Value: "text/html"}},
						Body: runner.Body{Text: "<p>Tom & \"Jerry\" ]]> 'quoted'</p>\n<script>alert(1)</script>", Size: 9000, Truncated: true}}}},
				Checks: []runner.Check{
					{Pos: pos(23, 19), Kind: runner.CheckStatus, Expr: "status", Status: runner.Failed, Expected: val([]int{401}, "401"), Actual: val(200, "200")},
				}},
			{Name: "wait", Kind: "wait", Pos: pos(24, 9), Status: runner.Skipped, Error: "not run: step 1 did not pass"},
		}}
}

func assertFailedFlow() runner.FlowResult {
	return runner.FlowResult{Name: "profile has the right name [mary]", Row: "mary", Pos: pos(40, 9), Status: runner.Failed, Started: at(1), Duration: 5 * time.Millisecond,
		Steps: []runner.StepResult{
			{Name: "call", Kind: "call", Pos: pos(44, 9), Session: "default", Status: runner.Failed, Started: at(1), Duration: 5 * time.Millisecond,
				Exchanges: []runner.Exchange{{Started: at(1), Duration: 4 * time.Millisecond,
					Request:  &runner.Request{Method: "GET", URL: "http://127.0.0.1:4000/users/mary"},
					Response: &runner.Response{Status: 200, Body: runner.Body{Text: `{"name":"Tom"}`, Size: 14}}}},
				Checks: []runner.Check{
					{Pos: pos(44, 9), Kind: runner.CheckStatus, Expr: "status", Status: runner.Passed, Expected: val("2xx", "2xx"), Actual: val(200, "200")},
					{Pos: pos(46, 15), Kind: runner.CheckAssert, Expr: `json("name") == "Mary" && token != old`, Status: runner.Failed,
						Expected: val(true, "true"), Actual: val(false, "false"), Message: `"Tom" == "Mary" is false`},
				}},
		}}
}

func erroredFlow() runner.FlowResult {
	return runner.FlowResult{Name: "server down", Pos: pos(30, 5), Status: runner.Errored, Started: at(0), Duration: 30 * time.Second,
		Steps: []runner.StepResult{
			{Name: "login", Kind: "login", Pos: pos(32, 9), Session: "default", Status: runner.Errored, Started: at(0), Duration: 30 * time.Second,
				Error: "no answer within the step's timeout of 30s",
				Exchanges: []runner.Exchange{{Started: at(0), Duration: 30 * time.Second,
					Request: &runner.Request{Method: "POST", URL: "http://127.0.0.1:4000/login", Body: runner.Body{Text: `{"password":"<password#1a2b>"}`, Size: 30}},
					Error:   "no answer within the step's timeout of 30s"}}},
		}}
}

func exprErrorFlow() runner.FlowResult {
	return runner.FlowResult{Name: "assertion cannot be evaluated", Pos: pos(50, 5), Status: runner.Errored, Started: at(2), Duration: 2 * time.Millisecond,
		Steps: []runner.StepResult{
			{Name: "request", Kind: "request", Pos: pos(52, 9), Session: "default", Status: runner.Errored, Started: at(2), Duration: 2 * time.Millisecond,
				Exchanges: []runner.Exchange{{Started: at(2), Duration: time.Millisecond,
					Request:  &runner.Request{Method: "GET", URL: "http://127.0.0.1:4000/json"},
					Response: &runner.Response{Status: 200, Body: runner.Body{Text: `{"slideshow":{"title":"Sample"}}`, Size: 32}}}},
				Checks: []runner.Check{
					{Pos: pos(52, 9), Kind: runner.CheckStatus, Expr: "status", Status: runner.Passed, Expected: val("2xx", "2xx"), Actual: val(200, "200")},
					{Pos: pos(53, 28), Kind: runner.CheckAssert, Expr: `json("slideshow.title")`, Status: runner.Errored,
						Expected: val(true, "true"), Actual: val("Sample", `"Sample"`), Message: `the expression gave "Sample", not true or false`},
				}},
		}}
}

func interruptedFlow() runner.FlowResult {
	return runner.FlowResult{Name: "waits for expiry", Pos: pos(60, 5), Status: runner.Errored, Started: at(3), Duration: 300 * time.Millisecond,
		Reason: "the run was interrupted",
		Steps: []runner.StepResult{
			{Name: "wait", Kind: "wait", Pos: pos(62, 9), Status: runner.Errored, Started: at(3), Duration: 300 * time.Millisecond,
				Error: "the run was interrupted during the wait"},
			{Name: "call", Kind: "call", Pos: pos(63, 9), Session: "default", Status: runner.Skipped, Error: "not run: step 1 did not pass"},
		}}
}

func notRunFlow() runner.FlowResult {
	return runner.FlowResult{Name: "never began", Pos: pos(70, 5), Status: runner.Skipped, Reason: "the run was interrupted before this flow began",
		Steps: []runner.StepResult{
			{Name: "login", Kind: "login", Pos: pos(72, 9), Session: "default", Status: runner.Skipped},
		}}
}

func spec(flows ...runner.FlowResult) runner.SpecResult {
	return runner.SpecResult{File: "specs/demo.yaml", Provider: "demo", BaseURL: "http://127.0.0.1:4000", BaseURLEnv: []string{"DEMO_BASE_URL"},
		Sandbox: "demo", Flows: flows}
}

// results are the runs every reporter is tested on: one of each outcome.
func results() map[string]*runner.Result {
	other := runner.SpecResult{File: "specs/other.yaml", Provider: "other", BaseURL: "https://user:<url-password#5e6f>@api.example.com",
		Flows: []runner.FlowResult{assertFailedFlow(), exprErrorFlow()}}
	return map[string]*runner.Result{
		"passed": {Started: t0, Duration: 15 * time.Millisecond, Specs: []runner.SpecResult{spec(passedFlow())}},
		"failed": {Started: t0, Duration: 20 * time.Millisecond, Specs: []runner.SpecResult{spec(passedFlow(), failedFlow()), other}},
		"errored": {Started: t0, Duration: 30 * time.Second, Specs: []runner.SpecResult{spec(passedFlow(), erroredFlow()),
			{File: "specs/other.yaml", Provider: "other", BaseURL: "https://api.example.com", Flows: []runner.FlowResult{exprErrorFlow()}}}},
		"interrupted": {Started: t0, Duration: 310 * time.Millisecond, Interrupted: true,
			Specs: []runner.SpecResult{spec(passedFlow(), interruptedFlow(), notRunFlow())}},
	}
}

// names lists the results in a fixed order.
var names = []string{"passed", "failed", "errored", "interrupted"}
