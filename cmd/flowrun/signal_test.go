package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mccutchen/go-httpbin/v2/httpbin"
)

// TestSignalWritesReports runs the real binary and stops it with SIGTERM
// and with SIGINT during a wait: it exits 130 within a second and its
// reports are written.
func TestSignalWritesReports(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "flowrun")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	hit := make(chan struct{}, 4)
	hb := httpbin.New().Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hb.ServeHTTP(w, r)
		hit <- struct{}{}
	}))
	defer srv.Close()
	spec := writeSpec(t, `provider: slow
base_url: ${URL}
flows:
  - name: waits
    steps: [{request: {path: /get}}, {wait: 1m}]
  - name: queued
    steps: [{request: {path: /get}}]
`)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			args, files := allReports(dir)
			cmd := exec.Command(bin, append([]string{"-c", "1", "-v", spec}, args...)...)
			cmd.Env = append(os.Environ(), "URL="+srv.URL)
			out, _ := cmd.StdoutPipe()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// Signal once the first request has been answered: the flow is
			// then in its wait.
			select {
			case <-hit:
			case <-time.After(20 * time.Second):
				cmd.Process.Kill()
				t.Fatal("the run sent no request")
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
