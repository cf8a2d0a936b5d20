package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/mccutchen/go-httpbin/v2/httpbin"

	"github.com/flowrun/flowrun/internal/reporttest"
)

// specRun is a run of ../../specs that writes its JSON, JUnit and CTRF
// reports into dir.
type specRun struct {
	args   []string
	dir    string
	code   int
	output string
}

func (r *specRun) report(format string) string {
	return filepath.Join(r.dir, map[string]string{"json": "result.json", "junit": "junit.xml", "ctrf": "ctrf.json"}[format])
}

// runsAtOnce bounds the runs runSpecs carries out at once, one a CPU:
// some flows must end within the sandbox's token lifetime of a second,
// which a machine running more runs under the race detector misses.
func runsAtOnce() int { return max(2, runtime.NumCPU()) }

// runSpecs carries out the runs, a few at once, each the real CLI
// in-process, and fails t unless every one passes.
func runSpecs(t *testing.T, runs ...*specRun) {
	t.Helper()
	var wg sync.WaitGroup
	slots := make(chan struct{}, runsAtOnce())
	for _, r := range runs {
		r.dir = t.TempDir()
		args := append([]string{"../../specs", "-c", "8", "--no-color", "--report-json", r.report("json"),
			"--report-junit", r.report("junit"), "--report-ctrf", r.report("ctrf")}, r.args...)
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			var out bytes.Buffer
			r.code = execute(t.Context(), args, &out, &out, env(nil))
			r.output = out.String()
		})
	}
	wg.Wait()
	for _, r := range runs {
		if r.code != exitPassed {
			t.Fatalf("flowrun specs %s: got exit %d, want %d\n%s", strings.Join(r.args, " "), r.code, exitPassed, r.output)
		}
	}
}

// mergeReports runs `flowrun merge` on the format's report of each run
// and returns the merged report.
func mergeReports(t *testing.T, format string, runs []*specRun) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "merged")
	args := []string{"merge", "-o", out}
	for _, r := range runs {
		args = append(args, r.report(format))
	}
	if code, stdout, stderr := cli(t, context.Background(), nil, args...); code != exitPassed {
		t.Fatalf("flowrun %s: got exit %d, want %d\n%s%s", strings.Join(args, " "), code, exitPassed, stdout, stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// summary is what a merged report must say as the whole run's does: its
// flows, each as "spec: flow status", in order, and its counts.
type summary struct {
	flows  []string
	counts string
}

func readSummary(t *testing.T, format string, data []byte) summary {
	t.Helper()
	var s summary
	switch format {
	case "json":
		var doc struct {
			Summary map[string]int
			Specs   []struct {
				File  string
				Flows []struct{ Name, Status string }
			}
		}
		mustDecode(t, json.Unmarshal(data, &doc), data)
		for _, sp := range doc.Specs {
			for _, f := range sp.Flows {
				s.flows = append(s.flows, sp.File+": "+f.Name+" "+f.Status)
			}
		}
		s.counts = fmt.Sprint(doc.Summary)
	case "ctrf":
		var doc struct {
			Results struct {
				Summary struct{ Tests, Passed, Failed, Pending, Skipped, Other, Suites int }
				Tests   []struct{ Name, Status, FilePath string }
			}
		}
		mustDecode(t, json.Unmarshal(data, &doc), data)
		for _, x := range doc.Results.Tests {
			s.flows = append(s.flows, x.FilePath+": "+x.Name+" "+x.Status)
		}
		s.counts = fmt.Sprintf("%+v", doc.Results.Summary)
	case "junit":
		var doc struct {
			Suites []struct {
				Name     string `xml:"name,attr"`
				Tests    int    `xml:"tests,attr"`
				Failures int    `xml:"failures,attr"`
				Errors   int    `xml:"errors,attr"`
				Skipped  int    `xml:"skipped,attr"`
				Cases    []struct {
					Name string `xml:"name,attr"`
				} `xml:"testcase"`
			} `xml:"testsuite"`
		}
		mustDecode(t, xml.Unmarshal(data, &doc), data)
		for _, su := range doc.Suites {
			for _, c := range su.Cases {
				s.flows = append(s.flows, su.Name+": "+c.Name)
			}
			s.counts += fmt.Sprintf("%s: %d %d %d %d; ", su.Name, su.Tests, su.Failures, su.Errors, su.Skipped)
		}
	}
	return s
}

func mustDecode(t *testing.T, err error, data []byte) {
	t.Helper()
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
}

// checkMerged merges the parts' reports of every format and checks each
// against the whole run's, and against its schema.
func checkMerged(t *testing.T, whole *specRun, parts []*specRun) {
	t.Helper()
	validate := map[string]func(testing.TB, []byte){
		"json": reporttest.ValidateJSON, "ctrf": reporttest.ValidateCTRF, "junit": reporttest.ValidateJUnit}
	for _, format := range []string{"json", "junit", "ctrf"} {
		merged := mergeReports(t, format, parts)
		validate[format](t, merged)
		want, err := os.ReadFile(whole.report(format))
		if err != nil {
			t.Fatal(err)
		}
		got, wantS := readSummary(t, format, merged), readSummary(t, format, want)
		if !slices.Equal(got.flows, wantS.flows) {
			t.Errorf("%s: got flows\n%s\nwant the whole run's\n%s", format, strings.Join(got.flows, "\n"), strings.Join(wantS.flows, "\n"))
		}
		if got.counts != wantS.counts {
			t.Errorf("%s: got counts %s, want %s", format, got.counts, wantS.counts)
		}
	}
}

// TestMergeRunsSplitByFlow splits the specs' flows between two runs with
// --flow, a spec's flows on both, and checks that merging their reports
// gives the whole run's.
func TestMergeRunsSplitByFlow(t *testing.T) {
	code, stdout, stderr := cli(t, context.Background(), nil, "list", "--json", "../../specs")
	if code != exitPassed {
		t.Fatalf("flowrun list: exit %d\n%s", code, stderr)
	}
	var l listing
	mustDecode(t, json.Unmarshal([]byte(stdout), &l), []byte(stdout))
	parts := []*specRun{{}, {}}
	seen := map[string]bool{}
	for _, in := range l.Flows {
		if !seen[in.Name] {
			seen[in.Name] = true
			p := parts[len(seen)%2]
			p.args = append(p.args, "--flow", "^"+regexp.QuoteMeta(in.Name)+"$")
		}
	}
	whole := &specRun{}
	runSpecs(t, append([]*specRun{whole}, parts...)...)
	checkMerged(t, whole, parts)
}

// TestShardsMergeToTheWholeRun checks that the shards of a run are
// disjoint, together run every flow of the whole run once, and merge to
// its reports.
func TestShardsMergeToTheWholeRun(t *testing.T) {
	whole := &specRun{}
	runs := []*specRun{whole}
	shards := map[int][]*specRun{}
	for _, n := range []int{2, 3, 5} {
		for k := 1; k <= n; k++ {
			r := &specRun{args: []string{"--shard", fmt.Sprintf("%d/%d", k, n)}}
			shards[n] = append(shards[n], r)
			runs = append(runs, r)
		}
	}
	runSpecs(t, runs...)
	all := readSummary(t, "json", mustRead(t, whole.report("json"))).flows
	for _, n := range []int{2, 3, 5} {
		t.Run(fmt.Sprintf("%d shards", n), func(t *testing.T) {
			ran := map[string]int{}
			for _, s := range shards[n] {
				for _, f := range readSummary(t, "json", mustRead(t, s.report("json"))).flows {
					ran[f]++
				}
			}
			for _, f := range all {
				if ran[f] != 1 {
					t.Errorf("%s: got %d runs of it over the shards, want 1", f, ran[f])
				}
				delete(ran, f)
			}
			for f := range ran {
				t.Errorf("%s: run by a shard, not by the whole run", f)
			}
			checkMerged(t, whole, shards[n])
		})
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// smallReports runs a spec of two flows and returns the folder its
// reports are in: result.json, junit.xml, ctrf.json.
func smallReports(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(httpbin.New().Handler())
	defer srv.Close()
	dir := t.TempDir()
	spec := filepath.Join(dir, "spec.yaml")
	if err := os.WriteFile(spec, []byte(`provider: httpbin
base_url: ${URL}
flows:
  - name: passes
    steps: [{request: {path: /get}}]
  - name: fails
    steps: [{request: {path: /status/418}}]
`), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := cli(t, context.Background(), map[string]string{"URL": srv.URL}, spec, "--report-json", filepath.Join(dir, "result.json"),
		"--report-junit", filepath.Join(dir, "junit.xml"), "--report-ctrf", filepath.Join(dir, "ctrf.json"))
	if code != exitFailed {
		t.Fatalf("got exit %d, want %d\n%s%s", code, exitFailed, stdout, stderr)
	}
	return dir
}

// TestMergeOutput checks that -o writes what stdout would show, whole,
// for every format.
func TestMergeOutput(t *testing.T) {
	dir := smallReports(t)
	for _, name := range []string{"result.json", "junit.xml", "ctrf.json"} {
		in := filepath.Join(dir, name)
		code, stdout, stderr := cli(t, context.Background(), nil, "merge", in)
		if code != exitPassed || stderr != "" {
			t.Fatalf("merge %s: got exit %d, stderr %q", name, code, stderr)
		}
		if want := string(mustRead(t, in)); stdout != want {
			t.Errorf("merge %s: got\n%s\nwant the report itself:\n%s", name, stdout, want)
		}
		out := filepath.Join(t.TempDir(), name)
		if code, _, stderr := cli(t, context.Background(), nil, "merge", "-o", out, in); code != exitPassed {
			t.Fatalf("merge -o: got exit %d\n%s", code, stderr)
		}
		if got := string(mustRead(t, out)); got != stdout {
			t.Errorf("merge -o %s: got\n%s\nwant what stdout shows:\n%s", name, got, stdout)
		}
		if left, _ := filepath.Glob(filepath.Join(filepath.Dir(out), ".*tmp")); len(left) > 0 {
			t.Errorf("temporary files left behind: %v", left)
		}
	}
}

// TestMergeErrorsGolden runs merge on inputs it must refuse, each with
// exit code 2 and a message naming the file.
func TestMergeErrorsGolden(t *testing.T) {
	dir := smallReports(t)
	file := func(name, data string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	huge := filepath.Join(dir, "huge.json")
	if err := os.WriteFile(huge, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(huge, maxMergeInput+1); err != nil { // sparse: no disk is used
		t.Fatal(err)
	}
	in := func(name string) string { return filepath.Join(dir, name) }
	cases := []struct {
		name string
		args []string
	}{
		{"no report", nil},
		{"missing file", []string{in("missing.json")}},
		{"a folder", []string{dir}},
		{"too large", []string{huge}},
		{"not a report", []string{file("notes.txt", "61 flows: 61 passed\n")}},
		{"other XML", []string{file("page.html", "<html><body>report</body></html>\n")}},
		{"other JSON", []string{file("package.json", `{"name": "app"}`)}},
		{"mixed formats", []string{in("result.json"), in("junit.xml")}},
		{"a flow in two reports", []string{in("result.json"), in("result.json")}},
		{"output folder missing", []string{"-o", in("no/such/merged.json"), in("result.json")}},
		{"output is a folder", []string{"-o", dir, in("result.json")}},
	}
	if runtime.GOOS != "windows" {
		cases = append(cases, struct {
			name string
			args []string
		}{"not a regular file", []string{os.DevNull}})
	}
	var b strings.Builder
	for _, tc := range cases {
		code, stdout, stderr := cli(t, context.Background(), nil, append([]string{"merge"}, tc.args...)...)
		if code != exitUsage {
			t.Errorf("%s: got exit %d, want %d", tc.name, code, exitUsage)
		}
		if stdout != "" {
			t.Errorf("%s: got stdout %q, want none", tc.name, stdout)
		}
		fmt.Fprintf(&b, "# %s\n$ %s\n%s\n", tc.name, strings.Join(append([]string{"flowrun", "merge"}, tc.args...), " "), stderr)
	}
	golden(t, "testdata/merge/errors.golden", strings.ReplaceAll(b.String(), dir, "$TMP"))
}
