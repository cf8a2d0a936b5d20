package reports_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flowrun/flowrun/internal/reporttest"
	"github.com/flowrun/flowrun/reports"
	"github.com/flowrun/flowrun/runner"
)

// reporter is a report format as the tests of Merge write it.
type reporter struct {
	name, ext string
	write     func(io.Writer, *runner.Result, reports.Options) error
	perStep   bool
}

var reporters = []reporter{
	{"json", "json", reports.JSON, false},
	{"ctrf", "json", reports.CTRF, false},
	{"junit", "xml", reports.JUnit, false},
	{"junit_per_step", "xml", reports.JUnit, true},
}

func (rp reporter) report(t *testing.T, name string, r *runner.Result) reports.Report {
	t.Helper()
	var b bytes.Buffer
	if err := rp.write(&b, r, reports.Options{Version: "1.4.0", Hostname: "ci-runner", PerStep: rp.perStep}); err != nil {
		t.Fatal(err)
	}
	return reports.Report{Name: name, Data: b.Bytes()}
}

func merge(t *testing.T, rs []reports.Report) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := reports.Merge(&b, rs); err != nil {
		t.Fatalf("Merge: %v", err)
	}
	return b.Bytes()
}

// shard splits a run as n machines would run it: the flows dealt in
// turn, each machine's result holding the specs of its flows, timed as
// the whole run.
func shard(r *runner.Result, n int) []*runner.Result {
	out := make([]*runner.Result, n)
	for i := range out {
		out[i] = &runner.Result{Started: r.Started, Duration: r.Duration, Interrupted: r.Interrupted, Specs: []runner.SpecResult{},
			Shard: fmt.Sprintf("%d/%d", i+1, n)}
	}
	k := 0
	for _, s := range r.Specs {
		for _, f := range s.Flows {
			part := out[k%n]
			k++
			if len(part.Specs) == 0 || part.Specs[len(part.Specs)-1].File != s.File {
				sc := s
				sc.Flows = nil
				part.Specs = append(part.Specs, sc)
			}
			last := &part.Specs[len(part.Specs)-1]
			last.Flows = append(last.Flows, f)
		}
	}
	return out
}

// shardReports writes the shards' reports, the last shard first: the
// order of Merge's inputs does not matter.
func shardReports(t *testing.T, rp reporter, r *runner.Result, n int) []reports.Report {
	t.Helper()
	var rs []reports.Report
	for i, part := range shard(r, n) {
		rs = append(rs, rp.report(t, fmt.Sprintf("shard-%d.%s", i+1, rp.ext), part))
	}
	slices.Reverse(rs)
	return rs
}

// suiteTime matches a suite's time: a shard's report gives its start only
// to the second, so a merged suite's time may differ from the whole run's.
var suiteTime = regexp.MustCompile(`(<testsuite [^>]*) time="[0-9.]+"`)

func TestMergeOneReportIsItself(t *testing.T) {
	for _, rp := range reporters {
		for _, name := range names {
			t.Run(rp.name+"/"+name, func(t *testing.T) {
				whole := rp.report(t, "whole", results()[name])
				if got := merge(t, []reports.Report{whole}); !bytes.Equal(got, whole.Data) {
					t.Errorf("got\n%s\nwant the report itself:\n%s", got, whole.Data)
				}
			})
		}
	}
}

// TestMergeShardsGiveTheWhole splits each run into shards, some empty,
// and checks that their merged report is the whole run's.
func TestMergeShardsGiveTheWhole(t *testing.T) {
	for _, rp := range reporters {
		for _, name := range names {
			for _, n := range []int{2, 3, 5} {
				t.Run(fmt.Sprintf("%s/%s/%d shards", rp.name, name, n), func(t *testing.T) {
					r := results()[name]
					got := merge(t, shardReports(t, rp, r, n))
					want := rp.report(t, "whole", r).Data
					if rp.ext == "xml" {
						got, want = suiteTime.ReplaceAll(got, []byte(`$1 time="*"`)), suiteTime.ReplaceAll(want, []byte(`$1 time="*"`))
					}
					if !bytes.Equal(got, want) {
						t.Errorf("got\n%s\nwant the whole run's report:\n%s", got, want)
					}
				})
			}
		}
	}
}

func TestMergeGolden(t *testing.T) {
	for _, rp := range reporters {
		t.Run(rp.name, func(t *testing.T) {
			golden(t, "merge/"+rp.name+"_failed_2_shards.golden."+rp.ext, merge(t, shardReports(t, rp, results()["failed"], 2)))
		})
	}
}

// TestMergeValidates checks merged reports against the schemas of their
// formats, with the real validators.
func TestMergeValidates(t *testing.T) {
	validate := map[string]func(testing.TB, []byte){
		"json": reporttest.ValidateJSON, "ctrf": reporttest.ValidateCTRF,
		"junit": reporttest.ValidateJUnit, "junit_per_step": reporttest.ValidateJUnit,
	}
	for _, rp := range reporters {
		for _, name := range names {
			t.Run(rp.name+"/"+name, func(t *testing.T) {
				validate[rp.name](t, merge(t, shardReports(t, rp, results()[name], 3)))
			})
		}
	}
}

// flowAt is a flow of a spec, written at a line of a file.
type flowAt struct {
	spec, flow, file string
	line             int
}

// partOf is a shard's result holding flows, in the order given.
func partOf(flows ...flowAt) *runner.Result {
	r := &runner.Result{Started: t0, Duration: time.Second}
	for _, f := range flows {
		if len(r.Specs) == 0 || r.Specs[len(r.Specs)-1].File != f.spec {
			r.Specs = append(r.Specs, runner.SpecResult{File: f.spec, Provider: strings.TrimSuffix(f.spec, ".yaml")})
		}
		s := &r.Specs[len(r.Specs)-1]
		s.Flows = append(s.Flows, runner.FlowResult{Name: f.flow, Pos: runner.Pos{File: f.file, Line: f.line, Col: 5},
			Status: runner.Passed, Started: t0, Duration: time.Millisecond})
	}
	return r
}

// TestMergeOrder checks that the merged report holds the specs and flows
// in the whole run's order: by path and line, but as each part has them
// where a place cannot tell.
func TestMergeOrder(t *testing.T) {
	a := func(flow string, line int) flowAt { return flowAt{"a.yaml", flow, "a.yaml", line} }
	b := func(flow string, line int) flowAt { return flowAt{"b.yaml", flow, "b.yaml", line} }
	row := func(flow string, line int) flowAt { return flowAt{"a.yaml", flow, "rows.csv", line} }
	for _, tc := range []struct {
		name  string
		parts [][]flowAt
		want  []string
	}{
		{"specs by path, flows by line",
			[][]flowAt{{a("a3", 30), b("b2", 20)}, {a("a1", 10), a("a2", 20), b("b1", 10)}},
			[]string{"a.yaml: a1", "a.yaml: a2", "a.yaml: a3", "b.yaml: b1", "b.yaml: b2"}},
		{"specs named out of path order stay so", // flowrun b.yaml a.yaml
			[][]flowAt{{b("b1", 10), a("a2", 20)}, {a("a1", 10)}, {b("b2", 20)}},
			[]string{"b.yaml: b1", "b.yaml: b2", "a.yaml: a1", "a.yaml: a2"}},
		{"rows of a rows_file stay after the flow before them",
			[][]flowAt{{a("first", 10), row("data [x]", 2), row("data [y]", 3)}, {a("last", 40)}},
			[]string{"a.yaml: first", "a.yaml: data [x]", "a.yaml: data [y]", "a.yaml: last"}},
		{"rows of a rows_file stay before the flow after them",
			[][]flowAt{{row("data [x]", 2), a("last", 40)}, {a("first", 10)}},
			[]string{"a.yaml: first", "a.yaml: data [x]", "a.yaml: last"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, rp := range reporters[:3] {
				var rs []reports.Report
				for i, p := range tc.parts {
					rs = append(rs, rp.report(t, fmt.Sprintf("part-%d", i+1), partOf(p...)))
				}
				if got := readMerged(t, rp.name, merge(t, rs)); !slices.Equal(got, tc.want) {
					t.Errorf("%s: got %q, want %q", rp.name, got, tc.want)
				}
			}
		})
	}
}

// readMerged lists the flows of a merged report as "spec: flow".
func readMerged(t *testing.T, format string, data []byte) []string {
	t.Helper()
	var out []string
	switch format {
	case "json":
		var doc runner.Result
		mustUnmarshal(t, data, &doc)
		for _, s := range doc.Specs {
			for _, f := range s.Flows {
				out = append(out, s.File+": "+f.Name)
			}
		}
	case "ctrf":
		var doc ctrfRead
		mustUnmarshal(t, data, &doc)
		for _, x := range doc.Results.Tests {
			provider, flow, _ := strings.Cut(x.Name, " › ")
			out = append(out, provider+".yaml: "+flow)
		}
	default:
		for _, s := range parseJUnit(t, data).Suites {
			for _, c := range s.Cases {
				out = append(out, s.Name+".yaml: "+c.Name)
			}
		}
	}
	return out
}

// TestMergeTimes checks the merged run's start, the earliest shard's, and
// its duration, to the latest shard's end.
func TestMergeTimes(t *testing.T) {
	early, late := partOf(flowAt{"a.yaml", "one", "a.yaml", 1}), partOf(flowAt{"a.yaml", "two", "a.yaml", 2})
	late.Started = t0.Add(3 * time.Second) // ends at t0+4s
	var rs []reports.Report
	for i, r := range []*runner.Result{late, early} {
		rs = append(rs, reporters[0].report(t, fmt.Sprint(i), r))
	}
	var doc runner.Result
	mustUnmarshal(t, merge(t, rs), &doc)
	if !doc.Started.Equal(t0) || doc.Duration != 4*time.Second {
		t.Errorf("got started %v, duration %v; want %v, 4s", doc.Started, doc.Duration, t0)
	}
}

func TestMergeErrors(t *testing.T) {
	jsonOf := func(name string) reports.Report { return reporters[0].report(t, name, results()["failed"]) }
	ctrfOf := func(name string) reports.Report { return reporters[1].report(t, name, results()["failed"]) }
	junitOf := func(name string) reports.Report { return reporters[2].report(t, name, results()["failed"]) }
	text := func(name, data string) reports.Report { return reports.Report{Name: name, Data: []byte(data)} }
	share := func(name, shard string, flows ...flowAt) reports.Report {
		r := partOf(flows...)
		r.Shard = shard
		return reporters[0].report(t, name, r)
	}
	for _, tc := range []struct {
		name string
		in   []reports.Report
		want string
	}{
		{"nothing", nil, "no report to merge"},
		{"text", []reports.Report{text("notes.txt", "flows: 3 passed\n")},
			"notes.txt: not a JUnit XML, CTRF or flowrun JSON report"},
		{"other XML", []reports.Report{text("page.html", "<?xml version=\"1.0\"?>\n<html><body/></html>")},
			"page.html: not a JUnit XML report: its root is <html>, not <testsuites>"},
		{"other JSON", []reports.Report{text("package.json", `{"name": "app"}`)},
			`package.json: not a CTRF report ("reportFormat": "CTRF") nor flowrun's JSON result ("format": "flowrun-result")`},
		{"cut JSON", []reports.Report{text("cut.json", `{"format": "flowrun-result", "specs": [`)},
			"cut.json: not a JUnit XML, CTRF or flowrun JSON report: unexpected end of JSON input"},
		{"cut XML", []reports.Report{text("cut.xml", `<testsuites><testsuite name="a">`)},
			"cut.xml: XML syntax error on line 1: unexpected EOF"},
		{"other JSON version", []reports.Report{text("v2.json", `{"format": "flowrun-result", "version": 2}`)},
			"v2.json: version 2 of flowrun's JSON result; this flowrun reads version 1"},
		{"mixed formats", []reports.Report{jsonOf("a.json"), ctrfOf("b.json")},
			"b.json: a CTRF report, but a.json is a flowrun JSON report; merge reports of one format"},
		{"mixed formats, JUnit", []reports.Report{junitOf("a.xml"), junitOf("b.xml"), jsonOf("c.json")},
			"c.json: a flowrun JSON report, but a.xml is a JUnit XML report; merge reports of one format"},
		{"shards of two splits", []reports.Report{share("a.json", "1/2", flowAt{"a.yaml", "one", "a.yaml", 1}),
			share("b.json", "2/3", flowAt{"a.yaml", "two", "a.yaml", 2})},
			"b.json: shard 2/3 of a run split in 3, but a.json is of a run split in 2; merge the shards of one split"},
		{"a shard twice", []reports.Report{share("a.json", "1/4"), share("b.json", "2/4"), share("c.json", "1/4")},
			"c.json: shard 1/4, as is a.json; merge each shard once"},
		{"a flow twice, JSON", []reports.Report{jsonOf("a.json"), jsonOf("b.json")},
			`flow "login and call" of specs/demo.yaml is in both a.json and b.json; the reports must come from disjoint shards`},
		{"a flow twice, CTRF", []reports.Report{ctrfOf("a.json"), ctrfOf("b.json")},
			`flow "demo › login and call" of specs/demo.yaml is in both a.json and b.json; the reports must come from disjoint shards`},
		{"a flow twice, JUnit", []reports.Report{junitOf("a.xml"), junitOf("a.xml")},
			`flow "login and call" of specs/demo.yaml is in both a.xml and a.xml; the reports must come from disjoint shards`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			err := reports.Merge(&b, tc.in)
			if err == nil || err.Error() != tc.want {
				t.Errorf("got error %v, want %q", err, tc.want)
			}
			if b.Len() > 0 {
				t.Errorf("got %d bytes written, want none on an error", b.Len())
			}
		})
	}
}

func TestDetectFormat(t *testing.T) {
	for _, tc := range []struct {
		rp   int
		want reports.Format
	}{{0, reports.FormatJSON}, {1, reports.FormatCTRF}, {2, reports.FormatJUnit}, {3, reports.FormatJUnit}} {
		rp := reporters[tc.rp]
		data := rp.report(t, "x", results()["passed"]).Data
		for _, prefix := range []string{"", "\uFEFF", "\n  "} {
			if got, err := reports.DetectFormat(append([]byte(prefix), data...)); got != tc.want || err != nil {
				t.Errorf("%s after %q: got %q, %v; want %q", rp.name, prefix, got, err, tc.want)
			}
		}
	}
}

func mustUnmarshal(t *testing.T, data []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
}
