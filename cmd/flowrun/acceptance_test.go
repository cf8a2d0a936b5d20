package main

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"maps"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mccutchen/go-httpbin/v2/httpbin"

	"github.com/flowrun/flowrun/internal/reporttest"
)

// acceptanceRun is one run of the real CLI that writes every report, and
// what the reports must say. Test cases of JUnit and tests of CTRF not
// named in junit and ctrf must have passed.
type acceptanceRun struct {
	name string
	// spec runs against go-httpbin at ${HTTPBIN_URL}; without one the
	// run is of ../../specs against the embedded sandboxes.
	spec      string
	args      []string
	interrupt time.Duration // the run's context is cancelled after this long; 0: never
	code      int

	json  jsonSummary       // flowrun's JSON: status, interrupted, counts
	junit map[string]string // "suite › test case" → passed, failure, error or skipped
	ctrf  map[string]string // "suite › test" → status/rawStatus
	html  htmlWant
}

// jsonSummary is the part of flowrun's JSON report read here.
type jsonSummary struct {
	Status      string     `json:"status"`
	Interrupted bool       `json:"interrupted"`
	Summary     flowCounts `json:"summary"`
}

// flowCounts are the flows of a run by outcome.
type flowCounts struct {
	Flows   int `json:"flows"`
	Passed  int `json:"passed"`
	Failed  int `json:"failed"`
	Errored int `json:"errored"`
	Skipped int `json:"skipped"`
}

// htmlWant is what a person must see on the HTML page.
type htmlWant struct {
	summary []string // in the summary
	open    []string // flows shown open
	texts   []string // visible somewhere
}

var acceptanceRuns = []acceptanceRun{
	{
		name: "passing",
		code: exitPassed,
		json: jsonSummary{Status: "passed", Summary: flowCounts{Flows: 61, Passed: 61}},
		html: htmlWant{summary: []string{"Passed\n", "61 flows", "61 passed", "0 failed", "0 errored", "0 not run"}},
	},
	{
		name: "failing",
		spec: `provider: httpbin
base_url: ${HTTPBIN_URL}
flows:
  - name: reads json
    steps: [{request: {path: /json}}]
  - name: teapot
    steps:
      - request:
          path: /status/418
          expect: {status: 200}
`,
		code:  exitFailed,
		json:  jsonSummary{Status: "failed", Summary: flowCounts{Flows: 2, Passed: 1, Failed: 1}},
		junit: map[string]string{"httpbin › teapot": "failure"},
		ctrf:  map[string]string{"httpbin › teapot": "failed/failed"},
		html: htmlWant{summary: []string{"Failed\n", "2 flows", "1 passed", "1 failed", "0 errored"},
			open: []string{"teapot"}, texts: []string{"expected 200, got 418", "/status/418"}},
	},
	{
		name: "erroring",
		spec: `provider: httpbin
base_url: ${HTTPBIN_URL}
flows:
  - name: too slow
    steps: [{request: {path: /delay/2, timeout: 50ms}}]
`,
		code:  exitFailed,
		json:  jsonSummary{Status: "error", Summary: flowCounts{Flows: 1, Errored: 1}},
		junit: map[string]string{"httpbin › too slow": "error"},
		ctrf:  map[string]string{"httpbin › too slow": "failed/error"},
		html: htmlWant{summary: []string{"Errored\n", "1 flow\n", "0 passed", "1 errored"},
			open: []string{"too slow"}, texts: []string{"no answer within the step's timeout of 50ms"}},
	},
	{
		name: "interrupted",
		spec: `provider: slow
base_url: ${HTTPBIN_URL}
flows:
  - name: waits
    steps: [{request: {path: /get}}, {wait: 1m}, {request: {path: /get}}]
  - name: queued
    steps: [{request: {path: /get}}]
`,
		args:      []string{"-c", "1"},
		interrupt: 300 * time.Millisecond,
		code:      exitInterrupted,
		json:      jsonSummary{Status: "error", Interrupted: true, Summary: flowCounts{Flows: 2, Errored: 1, Skipped: 1}},
		junit:     map[string]string{"slow › waits": "error", "slow › queued": "skipped"},
		ctrf:      map[string]string{"slow › waits": "failed/error", "slow › queued": "skipped/skipped"},
		html: htmlWant{summary: []string{"Interrupted\n", "Interrupted. The run was stopped before it finished", "1 errored", "1 not run"},
			open: []string{"waits"}, texts: []string{"the run was interrupted during the wait",
				"not run: the run was interrupted before this flow began"}},
	},
}

// TestReportsOfRealRunsValidate runs the CLI as a user would, writing
// every report, for a passing, a failing, an erroring and an interrupted
// run. Each file must be valid where its readers check it: JUnit against
// the Ant and Jenkins schemas, CTRF and flowrun's JSON against their JSON
// Schemas, and the HTML page in Chromium, which must render what the run
// found without a console error or a request.
func TestReportsOfRealRunsValidate(t *testing.T) {
	srv := httptest.NewServer(httpbin.New().Handler())
	t.Cleanup(srv.Close)
	for _, tc := range acceptanceRuns {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			files := tc.run(t, srv.URL)
			r := readReports(t, files)
			t.Run("json", func(t *testing.T) { tc.checkJSON(t, []byte(r["json"])) })
			t.Run("junit", func(t *testing.T) { tc.checkJUnit(t, []byte(r["junit"])) })
			t.Run("ctrf", func(t *testing.T) { tc.checkCTRF(t, []byte(r["ctrf"])) })
			t.Run("html", func(t *testing.T) { tc.checkHTML(t, files["html"]) })
		})
	}
}

// run runs the CLI and checks its exit code; it returns the reports' paths.
func (tc acceptanceRun) run(t *testing.T, httpbinURL string) map[string]string {
	t.Helper()
	target := "../../specs"
	if tc.spec != "" {
		target = writeSpec(t, tc.spec)
	}
	ctx := t.Context()
	if tc.interrupt > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, tc.interrupt)
		defer cancel()
	}
	reportArgs, files := allReports(t.TempDir())
	args := append(append([]string{target}, tc.args...), reportArgs...)
	code, stdout, stderr := cli(t, ctx, map[string]string{"HTTPBIN_URL": httpbinURL}, args...)
	if code != tc.code {
		t.Fatalf("flowrun %s: got exit code %d, want %d\n%s%s", strings.Join(args, " "), code, tc.code, stdout, stderr)
	}
	return files
}

func (tc acceptanceRun) checkJSON(t *testing.T, doc []byte) {
	t.Helper()
	reporttest.ValidateJSON(t, doc)
	var got jsonSummary
	if err := json.Unmarshal(doc, &got); err != nil {
		t.Fatal(err)
	}
	if got != tc.json {
		t.Errorf("got %+v, want %+v", got, tc.json)
	}
}

// junitDoc is the part of a JUnit report read here.
type junitDoc struct {
	Suites []struct {
		Name  string `xml:"name,attr"`
		Cases []struct {
			Name    string    `xml:"name,attr"`
			Failure *struct{} `xml:"failure"`
			Error   *struct{} `xml:"error"`
			Skipped *struct{} `xml:"skipped"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func (tc acceptanceRun) checkJUnit(t *testing.T, doc []byte) {
	t.Helper()
	reporttest.ValidateJUnit(t, doc)
	var d junitDoc
	if err := xml.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, s := range d.Suites {
		for _, c := range s.Cases {
			name := s.Name + " › " + c.Name
			switch {
			case c.Failure != nil:
				got[name] = "failure"
			case c.Error != nil:
				got[name] = "error"
			case c.Skipped != nil:
				got[name] = "skipped"
			default:
				got[name] = "passed"
			}
		}
	}
	compareOutcomes(t, "test case", got, tc.junit, "passed", tc.json.Summary.Flows)
}

// ctrfDoc is the part of a CTRF report read here.
type ctrfDoc struct {
	Results struct {
		Tests []struct {
			Name, Status, RawStatus string
		}
	}
}

func (tc acceptanceRun) checkCTRF(t *testing.T, doc []byte) {
	t.Helper()
	reporttest.ValidateCTRF(t, doc)
	var d ctrfDoc
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, x := range d.Results.Tests {
		got[x.Name] = x.Status + "/" + x.RawStatus
	}
	compareOutcomes(t, "test", got, tc.ctrf, "passed/passed", tc.json.Summary.Flows)
}

// compareOutcomes checks that there are n tests, that each one named in
// want has its outcome, and every other one passed.
func compareOutcomes(t *testing.T, what string, got, want map[string]string, passed string, n int) {
	t.Helper()
	if len(got) != n {
		t.Errorf("got %d %ss, want %d (one per flow)", len(got), what, n)
	}
	for name, w := range want {
		if g, ok := got[name]; !ok {
			t.Errorf("no %s %q; got %q", what, name, slices.Sorted(maps.Keys(got)))
		} else if g != w {
			t.Errorf("%s %q: got %s, want %s", what, name, g, w)
		}
	}
	for name, g := range got {
		if _, named := want[name]; !named && g != passed {
			t.Errorf("%s %q: got %s, want %s", what, name, g, passed)
		}
	}
}

// checkHTML opens the page in Chromium: it must show the summary, open
// the flows that did not pass and show why. The page fails the test if it
// logs a problem or makes a request.
func (tc acceptanceRun) checkHTML(t *testing.T, path string) {
	t.Helper()
	p := reporttest.OpenHTML(t, path)
	summary := p.Summary(t)
	for _, want := range tc.html.summary {
		if !strings.Contains(summary, want) {
			t.Errorf("the summary does not show %q:\n%s", want, summary)
		}
	}
	if n := reporttest.Evaluate[int](t, p, `document.querySelectorAll(".flow").length`); n != tc.json.Summary.Flows {
		t.Errorf("got %d flows on the page, want %d", n, tc.json.Summary.Flows)
	}
	for name, f := range p.Flows(t) {
		if want := slices.Contains(tc.html.open, name); f.Open != want || !f.Visible {
			t.Errorf("flow %q: got %+v, want it visible and open %v", name, f, want)
		}
	}
	for _, text := range tc.html.texts {
		if !p.Sees(t, text) {
			t.Errorf("%q is not visible", text)
		}
	}
	p.Screenshot(t, "acceptance_"+tc.name+".png")
}
