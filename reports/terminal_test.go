package reports_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/flowrun/flowrun/reports"
	"github.com/flowrun/flowrun/runner"
)

func TestTerminalGolden(t *testing.T) {
	for _, name := range names {
		for _, tc := range []struct {
			suffix string
			opts   reports.Options
		}{
			{"", reports.Options{}},
			{"_verbose", reports.Options{Verbose: true}},
			{"_quiet", reports.Options{Quiet: true}},
			{"_curl", reports.Options{Curl: true}},
		} {
			t.Run(name+tc.suffix, func(t *testing.T) {
				var b bytes.Buffer
				if err := reports.Terminal(&b, results()[name], tc.opts); err != nil {
					t.Fatal(err)
				}
				golden(t, "terminal_"+name+tc.suffix+".golden", b.Bytes())
			})
		}
	}
}

func TestTerminalColorOnlyWhenAsked(t *testing.T) {
	var plain, colored bytes.Buffer
	reports.Terminal(&plain, results()["failed"], reports.Options{})
	reports.Terminal(&colored, results()["failed"], reports.Options{Color: true})
	if strings.Contains(plain.String(), "\x1b[") {
		t.Error("colour codes without Color")
	}
	if !strings.Contains(colored.String(), "\x1b[31m✗\x1b[0m") {
		t.Errorf("no red mark with Color:\n%s", colored.String())
	}
}

func TestSummary(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"passed", "1 flow: 1 passed, 0 failed, 0 errored in 15ms"},
		{"failed", "4 flows: 1 passed, 2 failed, 1 errored in 20ms"},
		{"interrupted", "3 flows: 1 passed, 0 failed, 1 errored, 1 not run in 310ms (interrupted)"},
	} {
		if got := reports.Summary(results()[tc.name]); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestTerminalBodyOverLimit(t *testing.T) {
	step := func(text string, size int) runner.StepResult {
		return runner.StepResult{Name: "call", Kind: "call", Pos: pos(38, 9), Status: runner.Errored,
			Error: "the response body is larger than 1 KiB (--max-body); its first 1 KiB were read",
			Exchanges: []runner.Exchange{{Started: at(0),
				Request: &runner.Request{Method: "GET", URL: "http://127.0.0.1:4000/export"},
				Response: &runner.Response{Status: 200, Headers: []runner.Header{{Name: "X-Trace", Value: "trace-4711"}},
					Body: runner.Body{Text: text, Size: size, Truncated: len(text) < size}, BodyLimit: int64(size)}}}}
	}
	for _, tc := range []struct {
		name string
		step runner.StepResult
		want string
	}{
		{"all read shown", step(strings.Repeat("ab", 512), 1024), `
  error: the response body is larger than 1 KiB (--max-body); its first 1 KiB were read
  request:  GET http://127.0.0.1:4000/export
  response: 200
            X-Trace: trace-4711
            ` + strings.Repeat("ab", 512) + `
            … (larger than 1024 bytes, the most read of a body; only these were read)
`},
		{"part of it shown", step("id,name", 10<<20), `
            id,name
            … (larger than 10485760 bytes, the most read of a body; the first 7 shown)
`},
	} {
		res := &runner.Result{Started: t0, Specs: []runner.SpecResult{spec(runner.FlowResult{Name: "export", Pos: pos(36, 5),
			Status: runner.Errored, Steps: []runner.StepResult{tc.step}})}}
		var b bytes.Buffer
		if err := reports.Terminal(&b, res, reports.Options{}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), tc.want[1:]) {
			t.Errorf("%s: got\n%s\nwant it to hold\n%s", tc.name, b.String(), tc.want[1:])
		}
	}
}
