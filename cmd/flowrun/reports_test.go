package main

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mccutchen/go-httpbin/v2/httpbin"
)

// allReports returns the flags that write every report into dir, and the files' paths.
func allReports(dir string) ([]string, map[string]string) {
	files := map[string]string{"junit": filepath.Join(dir, "junit.xml"), "ctrf": filepath.Join(dir, "ctrf.json"),
		"json": filepath.Join(dir, "report.json"), "html": filepath.Join(dir, "report.html")}
	return []string{"--report-junit", files["junit"], "--report-ctrf", files["ctrf"], "--report-json", files["json"],
		"--report-html", files["html"]}, files
}

// readReports reads the report files and checks each is whole: the XML and
// JSON parse, the HTML ends.
func readReports(t *testing.T, files map[string]string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for kind, path := range files {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%s report: %v", kind, err)
		}
		out[kind] = string(b)
		var ok bool
		switch kind {
		case "junit":
			ok = xml.Unmarshal(b, new(struct{})) == nil
		case "ctrf", "json":
			ok = json.Valid(b)
		case "html":
			ok = strings.Contains(string(b), "</html>")
		}
		if !ok {
			t.Errorf("%s report is not whole:\n%s", kind, b)
		}
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(files["json"]), ".*tmp"))
	if len(left) > 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
	return out
}

func TestReportsAreWrittenWhenFlowsFail(t *testing.T) {
	srv := httptest.NewServer(httpbin.New().Handler())
	defer srv.Close()
	spec := writeSpec(t, `provider: httpbin
base_url: ${URL}
flows:
  - name: passes
    steps: [{request: {path: /get}}]
  - name: fails
    steps: [{request: {path: /status/418}}]
  - name: errors
    steps: [{request: {path: /delay/2, timeout: 50ms}}]
`)
	args, files := allReports(t.TempDir())
	code, stdout, stderr := cli(t, context.Background(), map[string]string{"URL": srv.URL}, append([]string{spec}, args...)...)
	if code != exitFailed {
		t.Fatalf("exit code: got %d, want %d\n%s%s", code, exitFailed, stdout, stderr)
	}
	r := readReports(t, files)
	for kind, want := range map[string][]string{
		"junit": {`<failure`, `<error`, `name="fails"`},
		"ctrf":  {`"reportFormat": "CTRF"`, `"failed"`},
		"json":  {`"status": "failed"`, `"status": "error"`, `"line": 8`},
		"html":  {"fails", "errors"},
	} {
		for _, w := range want {
			if !strings.Contains(r[kind], w) {
				t.Errorf("%s report lacks %q", kind, w)
			}
		}
	}
}

func TestReportsAreWrittenOnInterrupt(t *testing.T) {
	srv := httptest.NewServer(httpbin.New().Handler())
	defer srv.Close()
	spec := writeSpec(t, `provider: slow
base_url: ${URL}
flows:
  - name: waits
    steps: [{request: {path: /get}}, {wait: 1m}, {request: {path: /get}}]
  - name: queued
    steps: [{request: {path: /get}}]
`)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	args, files := allReports(t.TempDir())
	code, stdout, _ := cli(t, ctx, map[string]string{"URL": srv.URL}, append([]string{spec, "-c", "1"}, args...)...)
	if code != exitInterrupted {
		t.Fatalf("exit code: got %d, want %d\n%s", code, exitInterrupted, stdout)
	}
	r := readReports(t, files)
	if !strings.Contains(r["json"], `"interrupted": true`) || !strings.Contains(r["json"], "the run was interrupted before this flow began") {
		t.Errorf("the JSON report does not say the run was interrupted and why a flow did not run:\n%s", r["json"])
	}
	if !strings.Contains(r["junit"], "<skipped") {
		t.Errorf("the JUnit report does not mark the flow that did not run:\n%s", r["junit"])
	}
}

func TestReportFolderIsCheckedBeforeRunning(t *testing.T) {
	code, stdout, stderr := cli(t, context.Background(), nil, "../../specs", "--report-junit", "no/such/folder/junit.xml")
	if code != exitUsage || !strings.Contains(stderr, "--report-junit no/such/folder/junit.xml: the folder no/such/folder does not exist") {
		t.Errorf("got exit %d, stderr %q", code, stderr)
	}
	if strings.Contains(stdout, "flows:") {
		t.Errorf("flows ran before the report folder was checked:\n%s", stdout)
	}
}

func TestValidateAndRunCountFlowsAlike(t *testing.T) {
	_, out, _ := cli(t, context.Background(), nil, "validate", "../../specs")
	_, run, _ := cli(t, context.Background(), nil, "-q", "../../specs")
	if !strings.Contains(out, "61 flow(s)") || !strings.HasPrefix(run, "61 flows: 61 passed") {
		t.Errorf("validate and run disagree:\n%s\n%s", out, run)
	}
}
