package reports

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/flowrun/flowrun/runner"
)

// CTRFSpecVersion is the version of the Common Test Report Format that
// CTRF writes.
const CTRFSpecVersion = "1.0.0"

// CTRF writes the run as a Common Test Report Format document
// (https://ctrf.io), the open JSON test-report standard that CI plugins
// read: one test per flow, or per row of a data-driven flow, in spec and
// flow order, named "provider › flow", with its steps.
//
// CTRF's statuses are passed, failed, skipped, pending and other: it has
// no error. A flow that errored (a transport error, a timeout, an
// expression that could not be evaluated, an interrupted run) is written
// as failed, not other, because CTRF tools count, list and fail a build
// on failed tests and treat other as neutral, while an errored flow is as
// much a reason to stop a pipeline as a failed one (flowrun's own exit
// code says so). The difference stays visible: every test and step keeps
// flowrun's status in rawStatus ("error"), and the summary's
// extra.errored counts the failed tests that errored. A flow that did
// not run is skipped, with the reason as its message.
func CTRF(w io.Writer, r *runner.Result, o Options) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(ctrfReport(r, o))
}

// ctrfDoc is a CTRF document: only the parts flowrun fills, in the
// schema's names.
type ctrfDoc struct {
	ReportFormat string      `json:"reportFormat"`
	SpecVersion  string      `json:"specVersion"`
	Timestamp    string      `json:"timestamp,omitempty"`
	GeneratedBy  string      `json:"generatedBy"`
	Results      ctrfResults `json:"results"`
}

type ctrfResults struct {
	Tool    ctrfTool     `json:"tool"`
	Summary ctrfSummary  `json:"summary"`
	Tests   []ctrfTest   `json:"tests"`
	Extra   ctrfRunExtra `json:"extra"`
}

type ctrfTool struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
}

type ctrfSummary struct {
	Tests   int `json:"tests"`
	Passed  int `json:"passed"`
	Failed  int `json:"failed"`
	Pending int `json:"pending"`
	Skipped int `json:"skipped"`
	Other   int `json:"other"`
	// Suites counts the providers: each is a test's suite.
	Suites   int              `json:"suites"`
	Start    int64            `json:"start"`
	Stop     int64            `json:"stop"`
	Duration int64            `json:"duration"`
	Extra    ctrfSummaryExtra `json:"extra"`
}

// ctrfSummaryExtra keeps flowrun's counts that CTRF's statuses fold.
type ctrfSummaryExtra struct {
	// Errored counts the tests written as failed that errored.
	Errored int `json:"errored"`
}

// ctrfRunExtra is what flowrun knows of the run beyond CTRF's fields.
type ctrfRunExtra struct {
	// Status is the run's outcome in flowrun's terms.
	Status      runner.Status `json:"status"`
	Interrupted bool          `json:"interrupted,omitempty"`
	Specs       []ctrfSpec    `json:"specs"`
}

// ctrfSpec says where a spec's requests went.
type ctrfSpec struct {
	File     string `json:"file"`
	Provider string `json:"provider"`
	BaseURL  string `json:"baseUrl"`
	Sandbox  string `json:"sandbox,omitempty"`
}

type ctrfTest struct {
	Name       string            `json:"name"`
	Status     string            `json:"status"`
	RawStatus  runner.Status     `json:"rawStatus"`
	Duration   int64             `json:"duration"`
	Start      int64             `json:"start,omitempty"`
	Stop       int64             `json:"stop,omitempty"`
	Suite      []string          `json:"suite"`
	Message    string            `json:"message,omitempty"`
	Trace      string            `json:"trace,omitempty"`
	FilePath   string            `json:"filePath"`
	Line       int               `json:"line"`
	Tags       []string          `json:"tags,omitempty"`
	Retries    int               `json:"retries"`
	Flaky      bool              `json:"flaky,omitempty"`
	Parameters map[string]string `json:"parameters,omitempty"`
	Steps      []ctrfStep        `json:"steps,omitempty"`
	Extra      *ctrfTestExtra    `json:"extra,omitempty"`
}

// ctrfTestExtra is what CTRF's test has no fields for: the runs of a flow
// run several times (--repeat).
type ctrfTestExtra struct {
	Runs *runner.Runs `json:"runs,omitempty"`
}

type ctrfStep struct {
	Name   string        `json:"name"`
	Status string        `json:"status"`
	Extra  ctrfStepExtra `json:"extra"`
}

// ctrfStepExtra is a step's place, kind and flowrun status, which CTRF's
// step has no fields for.
type ctrfStepExtra struct {
	RawStatus runner.Status `json:"rawStatus"`
	Kind      string        `json:"kind"`
	Line      int           `json:"line"`
	Col       int           `json:"col"`
	Error     string        `json:"error,omitempty"`
	// Reauth is set when the step logged in again after a 401 and retried.
	Reauth bool `json:"reauth,omitempty"`
	// Retries counts the times the step sent its request again.
	Retries int `json:"retries,omitempty"`
}

// ctrfReport builds the document; it reads no clock, so the same result
// always gives the same report.
func ctrfReport(r *runner.Result, o Options) ctrfDoc {
	start, stop := ctrfMillis(r.Started, r.Duration)
	doc := ctrfDoc{
		ReportFormat: "CTRF",
		SpecVersion:  CTRFSpecVersion,
		GeneratedBy:  "flowrun",
		Results: ctrfResults{
			Tool:    ctrfTool{Name: "flowrun", Version: o.Version},
			Summary: ctrfSummary{Start: start, Stop: stop, Duration: stop - start},
			Tests:   []ctrfTest{},
			Extra:   ctrfRunExtra{Status: r.Status(), Interrupted: r.Interrupted, Specs: []ctrfSpec{}},
		},
	}
	if !r.Started.IsZero() {
		// The report is written when the run ends.
		doc.Timestamp = r.Started.Add(r.Duration).UTC().Format("2006-01-02T15:04:05.000Z07:00")
	}
	sum := &doc.Results.Summary
	suites := map[string]bool{}
	for _, s := range r.Specs {
		if !suites[s.Provider] {
			suites[s.Provider] = true
			sum.Suites++
		}
		doc.Results.Extra.Specs = append(doc.Results.Extra.Specs,
			ctrfSpec{File: s.File, Provider: s.Provider, BaseURL: s.BaseURL, Sandbox: s.Sandbox})
		for _, f := range s.Flows {
			t := ctrfFlow(s, f)
			doc.Results.Tests = append(doc.Results.Tests, t)
			ctrfCount(sum, t.Status, f.Status)
		}
	}
	return doc
}

// ctrfFlow is one flow as a CTRF test.
func ctrfFlow(s runner.SpecResult, f runner.FlowResult) ctrfTest {
	t := ctrfTest{
		Name:      s.Provider + " › " + f.Name,
		Status:    ctrfStatus(f.Status),
		RawStatus: f.Status,
		Suite:     []string{s.Provider},
		Tags:      f.Tags,
		Steps:     make([]ctrfStep, 0, len(f.Steps)),
	}
	if !f.Started.IsZero() {
		t.Start, t.Stop = ctrfMillis(f.Started, f.Duration)
		t.Duration = t.Stop - t.Start
	}
	if f.Row != "" {
		t.Parameters = map[string]string{"row": f.Row}
	}
	if f.Runs != nil {
		t.Extra = &ctrfTestExtra{Runs: f.Runs}
		// Some runs passed and some did not: CTRF's word for it.
		t.Flaky = f.Runs.Passed > 0 && f.Runs.Passed < f.Runs.Count
	}
	at := f.Pos
	if i := ctrfFailingStep(f); i >= 0 {
		st := f.Steps[i]
		at = st.Pos
		t.Message = stepName(i, st) + ": " + ctrfFirstLine(ctrfCause(st))
	} else if f.Status == runner.Skipped && f.Reason != "" {
		t.Message = "not run: " + f.Reason
	} else if f.Reason != "" {
		t.Message = f.Reason
	}
	t.FilePath, t.Line = at.File, at.Line
	if t.FilePath == "" {
		t.FilePath = s.File
	}
	t.Trace = ctrfTrace(f)
	for i, st := range f.Steps {
		n := retries(st)
		t.Retries += n
		t.Steps = append(t.Steps, ctrfStep{Name: stepName(i, st), Status: ctrfStatus(st.Status),
			Extra: ctrfStepExtra{RawStatus: st.Status, Kind: st.Kind, Line: st.Pos.Line, Col: st.Pos.Col, Error: st.Error, Reauth: reauthed(st), Retries: n}})
	}
	return t
}

// ctrfStatus maps flowrun's status to CTRF's; see CTRF for why an error
// is failed.
func ctrfStatus(s runner.Status) string {
	switch s {
	case runner.Passed:
		return "passed"
	case runner.Failed, runner.Errored:
		return "failed"
	case runner.Skipped:
		return "skipped"
	}
	return "other"
}

// ctrfFailingStep returns the index of the flow's first failed or errored
// step, or -1.
func ctrfFailingStep(f runner.FlowResult) int {
	for i, st := range f.Steps {
		if st.Status == runner.Failed || st.Status == runner.Errored {
			return i
		}
	}
	return -1
}

// ctrfCause says in one line why a step did not pass: its error, or its
// first check that did not hold.
func ctrfCause(st runner.StepResult) string {
	if st.Error != "" {
		return st.Error
	}
	for _, c := range st.Checks {
		if !c.Passed() {
			return checkLine(c)
		}
	}
	return statusWord(st.Status)
}

// ctrfTrace lists, for each step that did not pass, its place, its error,
// every check that did not hold and each request it sent.
func ctrfTrace(f runner.FlowResult) string {
	var b strings.Builder
	for i, st := range f.Steps {
		if st.Status != runner.Failed && st.Status != runner.Errored {
			continue
		}
		fmt.Fprintf(&b, "%s (%s): %s\n", stepName(i, st), st.Pos, statusWord(st.Status))
		if st.Error != "" {
			fmt.Fprintf(&b, "  error: %s\n", st.Error)
		}
		for _, c := range st.Checks {
			if !c.Passed() {
				fmt.Fprintf(&b, "  %s %s\n", mark(c.Status), checkLine(c))
			}
		}
		for _, x := range st.Exchanges {
			if x.Request == nil {
				continue
			}
			line := fmt.Sprintf("  %s %s", x.Request.Method, x.Request.URL)
			switch {
			case x.Response != nil:
				line += fmt.Sprintf(" → %d", x.Response.Status)
			case x.Error != "" && x.Error != st.Error:
				line += " → no response: " + x.Error
			case x.Error != "":
				line += " → no response"
			}
			if x.Label != "" {
				line += " (" + x.Label + ")"
			}
			fmt.Fprintln(&b, line)
		}
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// ctrfMillis returns when something started and stopped, in
// milliseconds since the Unix epoch; 0, 0 for a zero start.
func ctrfMillis(start time.Time, d time.Duration) (int64, int64) {
	if start.IsZero() {
		return 0, 0
	}
	return start.UnixMilli(), start.Add(d).UnixMilli()
}

// ctrfFirstLine cuts s at its first line break.
func ctrfFirstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// retries counts the times a step sent its request again: each retry
// check's attempts (its actual value) but the first.
func retries(st runner.StepResult) int {
	n := 0
	for _, c := range st.Checks {
		var attempts int
		if c.Kind == runner.CheckRetry && json.Unmarshal(c.Actual.JSON, &attempts) == nil && attempts > 1 {
			n += attempts - 1
		}
	}
	return n
}
