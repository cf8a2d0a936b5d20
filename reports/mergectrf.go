package reports

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/flowrun/flowrun/runner"
)

// ctrfIn is a CTRF document as Merge reads it.
type ctrfIn struct {
	SpecVersion string          `json:"specVersion"`
	RunID       string          `json:"runId"`
	GeneratedBy string          `json:"generatedBy"`
	Extra       json.RawMessage `json:"extra"`
	Results     struct {
		Tool        json.RawMessage `json:"tool"`
		Summary     struct{ Start, Stop int64 }
		Tests       []json.RawMessage `json:"tests"`
		Environment json.RawMessage   `json:"environment"`
		Extra       json.RawMessage   `json:"extra"`
	} `json:"results"`
}

// ctrfOut is the merged document: what CTRF writes, in its order, with
// another producer's tests and tool kept as they are.
type ctrfOut struct {
	ReportFormat string          `json:"reportFormat"`
	SpecVersion  string          `json:"specVersion"`
	RunID        string          `json:"runId,omitempty"`
	Timestamp    string          `json:"timestamp,omitempty"`
	GeneratedBy  string          `json:"generatedBy,omitempty"`
	Results      ctrfOutResults  `json:"results"`
	Extra        json.RawMessage `json:"extra,omitempty"`
}

type ctrfOutResults struct {
	Tool        json.RawMessage   `json:"tool"`
	Summary     ctrfSummary       `json:"summary"`
	Tests       []json.RawMessage `json:"tests"`
	Environment json.RawMessage   `json:"environment,omitempty"`
	Extra       json.RawMessage   `json:"extra,omitempty"`
}

// ctrfEntry is a test with what orders and counts it.
type ctrfEntry struct {
	raw  json.RawMessage
	spec string
	// rank is the place of the test's spec among the merged specs.
	rank                              int
	at                                place
	Name, Status, RawStatus, FilePath string
	Line                              int
	Suite                             []string
}

// mergeCTRF merges CTRF documents; the tool, environment and run id are
// the first's, the summary is counted again and, for flowrun's, so is
// the run's extra (outcome, interrupted, specs).
func mergeCTRF(w io.Writer, rs []Report) error {
	docs := make([]ctrfIn, len(rs))
	extras := make([]ctrfRunExtra, len(rs))
	specLists := make([][]ctrfSpec, len(rs))
	for i, r := range rs {
		if err := json.Unmarshal(r.Data, &docs[i]); err != nil {
			return fmt.Errorf("%s: %w", r.Name, err)
		}
		if len(docs[i].Results.Extra) > 0 {
			_ = json.Unmarshal(docs[i].Results.Extra, &extras[i]) // another producer's extra has other fields
		}
		specLists[i] = extras[i].Specs
	}
	specs := mergeOrder(specLists, func(s ctrfSpec) string { return s.File },
		func(a, b ctrfSpec) int { return strings.Compare(a.File, b.File) })
	tests, err := mergeCTRFTests(rs, docs, specLists, specs)
	if err != nil {
		return err
	}
	out := ctrfMerged(docs, tests, specs)
	var tool ctrfTool
	if json.Unmarshal(docs[0].Results.Tool, &tool) == nil && tool.Name == "flowrun" {
		run := ctrfRunExtra{Status: runner.Passed, Specs: specs}
		for _, x := range extras {
			run.Interrupted = run.Interrupted || x.Interrupted
		}
		for _, e := range tests {
			run.Status = worse(run.Status, runner.Status(e.RawStatus))
		}
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false) // as CTRF writes it
		if err := enc.Encode(run); err != nil {
			return err
		}
		out.Results.Extra = b.Bytes()
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

// mergeCTRFTests returns the tests of the documents, each of which holds
// the specs of its list, in the order of the merged specs and of their
// places in each spec.
func mergeCTRFTests(rs []Report, docs []ctrfIn, specLists [][]ctrfSpec, specs []ctrfSpec) ([]ctrfEntry, error) {
	rank := func(spec string) int {
		if i := slices.IndexFunc(specs, func(s ctrfSpec) bool { return s.File == spec }); i >= 0 {
			return i
		}
		return len(specs)
	}
	var lists [][]ctrfEntry
	seen := owners{}
	for i, r := range rs {
		var l []ctrfEntry
		for _, raw := range docs[i].Results.Tests {
			e := ctrfEntry{raw: raw}
			if err := json.Unmarshal(raw, &e); err != nil {
				return nil, fmt.Errorf("%s: a test: %w", r.Name, err)
			}
			e.spec = ctrfSpecOf(e, specLists[i])
			e.rank = rank(e.spec)
			if err := seen.claim(e.spec, e.Name, r.Name); err != nil {
				return nil, err
			}
			l = append(l, e)
		}
		placeTests(l)
		lists = append(lists, l)
	}
	return mergeOrder(lists, func(e ctrfEntry) string { return e.spec + "\x00" + e.Name }, func(a, b ctrfEntry) int {
		return cmp.Or(cmp.Compare(a.rank, b.rank), strings.Compare(a.spec, b.spec), a.at.compare(b.at))
	}), nil
}

// ctrfMerged is the merged document of the tests: the first document's
// parts, the summary counted again.
func ctrfMerged(docs []ctrfIn, tests []ctrfEntry, specs []ctrfSpec) ctrfOut {
	first := docs[0]
	out := ctrfOut{ReportFormat: "CTRF", SpecVersion: first.SpecVersion, RunID: first.RunID, GeneratedBy: first.GeneratedBy,
		Extra: first.Extra, Results: ctrfOutResults{Tool: first.Results.Tool, Tests: make([]json.RawMessage, 0, len(tests)),
			Environment: first.Results.Environment, Extra: first.Results.Extra}}
	sum := &out.Results.Summary
	for _, d := range docs {
		if d.Results.Summary.Start != 0 && (sum.Start == 0 || d.Results.Summary.Start < sum.Start) {
			sum.Start = d.Results.Summary.Start
		}
		sum.Stop = max(sum.Stop, d.Results.Summary.Stop)
	}
	sum.Duration = sum.Stop - sum.Start
	if sum.Start != 0 {
		// The report is written when the run ends.
		out.Timestamp = time.UnixMilli(sum.Stop).UTC().Format("2006-01-02T15:04:05.000Z07:00")
	}
	suites := map[string]bool{}
	for _, s := range specs {
		suites[s.Provider] = true
	}
	for _, e := range tests {
		out.Results.Tests = append(out.Results.Tests, e.raw)
		ctrfCount(sum, e.Status, runner.Status(e.RawStatus))
		if len(e.Suite) > 0 {
			suites[e.Suite[0]] = true
		}
	}
	sum.Suites = len(suites)
	return out
}

// placeTests places a report's tests among those of their specs: a
// test's file and line are its flow's, or those of the step that failed,
// which is written within the flow.
func placeTests(l []ctrfEntry) {
	bySpec := map[string][]int{}
	for i, e := range l {
		bySpec[e.spec] = append(bySpec[e.spec], i)
	}
	for spec, idx := range bySpec {
		ps := make([]runner.Pos, len(idx))
		for k, i := range idx {
			ps[k] = runner.Pos{File: l[i].FilePath, Line: l[i].Line}
		}
		for k, at := range places(spec, ps) {
			l[idx[k]].at = at
		}
	}
}

// ctrfSpecOf is the spec file of a test: the spec of its provider (its
// suite) whose file the test names, else the first of its provider, else
// the file it names.
func ctrfSpecOf(e ctrfEntry, specs []ctrfSpec) string {
	provider := ""
	if len(e.Suite) > 0 {
		provider = e.Suite[0]
	}
	for _, match := range []func(ctrfSpec) bool{
		func(s ctrfSpec) bool { return s.File == e.FilePath && s.Provider == provider },
		func(s ctrfSpec) bool { return s.Provider == provider },
		func(s ctrfSpec) bool { return s.File == e.FilePath },
	} {
		if i := slices.IndexFunc(specs, match); i >= 0 {
			return specs[i].File
		}
	}
	return e.FilePath
}

// ctrfCount counts a test in the summary: its CTRF status, and whether
// flowrun's own status says it errored.
func ctrfCount(sum *ctrfSummary, status string, raw runner.Status) {
	sum.Tests++
	switch status {
	case "passed":
		sum.Passed++
	case "failed":
		sum.Failed++
	case "skipped":
		sum.Skipped++
	case "pending":
		sum.Pending++
	default:
		sum.Other++
	}
	if raw == runner.Errored {
		sum.Extra.Errored++
	}
}

// worse is a run's outcome once a flow of status flow is added, as
// runner.Result.Status counts it.
func worse(run, flow runner.Status) runner.Status {
	switch {
	case run == runner.Failed || flow == runner.Failed:
		return runner.Failed
	case flow == runner.Errored || flow == runner.Skipped:
		return runner.Errored
	}
	return run
}
