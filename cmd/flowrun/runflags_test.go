package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/mccutchen/go-httpbin/v2/httpbin"
)

// runFlagsSpec has a flow that passes, one that fails and one that is slow.
const runFlagsSpec = `provider: demo
base_url: ${URL}
flows:
  - name: passes
    steps: [{request: {path: /get}}]
  - name: fails
    steps: [{request: {path: /status/500}}]
  - name: slow
    steps: [{request: {path: /delay/3}}]
`

func TestRunFlags(t *testing.T) {
	srv := httptest.NewServer(httpbin.New().Handler())
	defer srv.Close()
	spec := writeSpec(t, runFlagsSpec)
	vars := map[string]string{"URL": srv.URL}
	t.Run("--repeat sums up the runs", func(t *testing.T) {
		code, out, stderr := cli(t, context.Background(), vars, spec, "--flow", "passes", "--repeat", "5")
		if code != exitPassed {
			t.Fatalf("got exit %d, want 0\n%s%s", code, out, stderr)
		}
		if !regexp.MustCompile(`✓ demo  passes\s+\S+  \(5 runs: 5 passed; p50 \S+, p90 \S+, p99 \S+, max \S+\)`).MatchString(out) {
			t.Errorf("got:\n%s\nwant the flow's line to sum up its 5 runs", out)
		}
		if !strings.Contains(out, "1 flow: 1 passed") {
			t.Errorf("got:\n%s\nwant the runs counted as one flow", out)
		}
	})
	t.Run("--repeat --report-each", func(t *testing.T) {
		_, out, _ := cli(t, context.Background(), vars, spec, "--flow", "passes", "--repeat", "2", "--report-each")
		if !strings.Contains(out, "passes (run 1/2)") || !strings.Contains(out, "passes (run 2/2)") {
			t.Errorf("got:\n%s\nwant each run as a flow", out)
		}
	})
	t.Run("--fail-fast", func(t *testing.T) {
		code, out, _ := cli(t, context.Background(), vars, spec, "-c", "1", "--fail-fast")
		if code != exitFailed {
			t.Errorf("got exit %d, want 1", code)
		}
		if !regexp.MustCompile(`- demo  slow +not run: an earlier flow did not pass \(--fail-fast\)`).MatchString(out) {
			t.Errorf("got:\n%s\nwant the flow after the failure not run", out)
		}
	})
	t.Run("--run-timeout", func(t *testing.T) {
		report := filepath.Join(t.TempDir(), "r.json")
		code, out, stderr := cli(t, context.Background(), vars, spec, "--run-timeout", "500ms", "--report-json", report)
		if code != exitFailed || !strings.Contains(stderr, "the run reached its time limit (--run-timeout 500ms)") {
			t.Errorf("got exit %d, %q; want 1 and the time limit named", code, stderr)
		}
		var r struct {
			Specs []struct {
				Flows []struct{ Name, Status string }
			}
		}
		b, err := os.ReadFile(report)
		if err != nil || json.Unmarshal(b, &r) != nil || len(r.Specs) != 1 || len(r.Specs[0].Flows) != 3 {
			t.Fatalf("the report should hold every flow: %v\n%s", err, b)
		}
		if st := r.Specs[0].Flows[2].Status; st != "error" {
			t.Errorf("the slow flow: got %s, want error\n%s", st, out)
		}
	})
	t.Run("bad values", func(t *testing.T) {
		for _, args := range [][]string{{"--repeat", "0"}, {"-c", "0"}} {
			if code, _, _ := cli(t, context.Background(), vars, append([]string{spec}, args...)...); code != exitUsage {
				t.Errorf("%v: got exit %d, want 2", args, code)
			}
		}
	})
}

func TestRetriesFromTheCommandLine(t *testing.T) {
	var mu sync.Mutex
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		n++
		busy := n <= 2
		mu.Unlock()
		if busy {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	spec := writeSpec(t, "provider: demo\nbase_url: ${URL}\nretry_on: [503]\nflows:\n  - name: busy\n    steps: [{request: {path: /}}]\n")
	ctrf := filepath.Join(t.TempDir(), "ctrf.json")
	code, out, stderr := cli(t, context.Background(), map[string]string{"URL": srv.URL}, spec, "--retries", "3", "-v", "--report-ctrf", ctrf)
	if code != exitPassed {
		t.Fatalf("got exit %d, want 0\n%s%s", code, out, stderr)
	}
	for _, want := range []string{"attempt 1 of 4: 503", "attempt 2 of 4: 503", "attempt 3 of 4"} {
		if !strings.Contains(out, want) {
			t.Errorf("got:\n%s\nwant %q", out, want)
		}
	}
	b, _ := os.ReadFile(ctrf)
	if !strings.Contains(string(b), `"retries": 2`) {
		t.Errorf("the CTRF report should count 2 retries:\n%s", b)
	}
	if code, _, _ := cli(t, context.Background(), map[string]string{"URL": srv.URL}, spec, "--retries", "11"); code != exitUsage {
		t.Errorf("--retries 11: got exit %d, want 2", code)
	}
}
