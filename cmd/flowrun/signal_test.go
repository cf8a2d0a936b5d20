package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mccutchen/go-httpbin/v2/httpbin"
)

// TestSignalWritesReports runs the real binary and stops it with SIGTERM
// and with SIGINT wherever a run can be waiting: in a wait step, in a
// request whose answer never comes, and in a retry's back-off. It exits
// 130 within a second or two and its reports are written.
func TestSignalWritesReports(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	hit := make(chan struct{}, 16)
	hb := httpbin.New().Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hit <- struct{}{}
		switch r.URL.Path {
		case "/hang": // the answer never comes
			<-r.Context().Done()
		case "/busy":
			w.Header().Set("Retry-After", "20")
			w.WriteHeader(http.StatusServiceUnavailable)
		default:
			hb.ServeHTTP(w, r)
		}
	}))
	defer srv.Close()
	for _, where := range []struct {
		name, steps, flags string
		hits               int // requests sent before the signal
	}{
		{"in a wait", "[{request: {path: /get}}, {wait: 1m}]", "", 1},
		{"in a request", "[{request: {path: /get}}, {request: {path: /hang, timeout: 1m}}]", "", 2},
		{"in a back-off", "[{request: {path: /get}}, {request: {path: /busy}}]", "--retries=5", 2},
	} {
		spec := writeSpec(t, `provider: slow
base_url: ${URL}
retry_on: [503]
flows:
  - name: stops
    steps: `+where.steps+`
  - name: queued
    steps: [{request: {path: /get}}]
`)
		for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
			t.Run(where.name+"/"+sig.String(), func(t *testing.T) {
				for len(hit) > 0 {
					<-hit
				}
				dir := t.TempDir()
				args, files := allReports(dir)
				args = append([]string{"-c", "1", "-v", spec}, args...)
				if where.flags != "" {
					args = append(args, where.flags)
				}
				cmd := exec.Command(bin, args...)
				cmd.Env = append(os.Environ(), "URL="+srv.URL)
				out, _ := cmd.StdoutPipe()
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				// Signal once the second request has been sent: the flow is
				// then in its wait, its request or its back-off.
				for range where.hits {
					select {
					case <-hit:
					case <-time.After(20 * time.Second):
						cmd.Process.Kill()
						t.Fatal("the run did not send its requests")
					}
				}
				time.Sleep(50 * time.Millisecond)
				start := time.Now()
				cmd.Process.Signal(sig)
				stdout := new(strings.Builder)
				sc := bufio.NewScanner(out)
				for sc.Scan() {
					stdout.WriteString(sc.Text() + "\n")
				}
				err := cmd.Wait()
				var ee *exec.ExitError
				if !errors.As(err, &ee) || ee.ExitCode() != exitInterrupted {
					t.Fatalf("exit: got %v, want code %d\n%s", err, exitInterrupted, stdout)
				}
				if d := time.Since(start); d > 2*time.Second {
					t.Errorf("took %s to stop after %s", d, sig)
				}
				r := readReports(t, files)
				var doc struct{ Interrupted bool }
				json.Unmarshal([]byte(r["json"]), &doc)
				if !doc.Interrupted || !strings.Contains(stdout.String(), "(interrupted)") {
					t.Errorf("the reports do not say the run was interrupted:\n%s", stdout)
				}
			})
		}
	}
}
