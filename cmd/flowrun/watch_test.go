package main

import (
	"bytes"
	"context"
	"maps"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/mccutchen/go-httpbin/v2/httpbin"

	"github.com/flowrun/flowrun/flows"
)

// syncBuffer is a buffer that one goroutine writes while another reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// watchRun is the CLI running in a goroutine.
type watchRun struct {
	stdout, stderr syncBuffer
	done           chan struct{} // closed when execute has returned
	code           int
}

func startWatch(ctx context.Context, vars map[string]string, args ...string) *watchRun {
	r := &watchRun{done: make(chan struct{})}
	go func() {
		defer close(r.done)
		r.code = execute(ctx, args, &r.stdout, &r.stderr, env(vars))
	}()
	return r
}

// waitFor waits until the output holds want n times; it fails the test
// after 20 seconds, or at once if the CLI has returned.
func (r *watchRun) waitFor(t *testing.T, out *syncBuffer, want string, n int) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for strings.Count(out.String(), want) < n {
		select {
		case <-r.done:
			if strings.Count(out.String(), want) >= n {
				return
			}
			t.Fatalf("flowrun returned %d before printing %q %d times\nstdout:\n%s\nstderr:\n%s", r.code, want, n, &r.stdout, &r.stderr)
		case <-deadline:
			t.Fatalf("no %q %d times after 20s\nstdout:\n%s\nstderr:\n%s", want, n, &r.stdout, &r.stderr)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// exit waits for the CLI to return and gives its exit code.
func (r *watchRun) exit(t *testing.T) int {
	t.Helper()
	select {
	case <-r.done:
		return r.code
	case <-time.After(10 * time.Second):
		t.Fatalf("flowrun did not return within 10s of the cancel\nstdout:\n%s", &r.stdout)
		return 0
	}
}

// noGoroutineLeft waits until no more goroutines run than before.
func noGoroutineLeft(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Errorf("got %d goroutines, want at most %d as before:\n%s", runtime.NumGoroutine(), before, buf)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// replaceFile writes a file as editors save one: a new file renamed over
// the old.
func replaceFile(t *testing.T, path, body string) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".swp")
	if err := os.WriteFile(tmp, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// watchSpecBody reads the status to ask for from an included file, which
// lies in a folder of its own: the folder watched holds specs only.
const watchSpecBody = `provider: httpbin
base_url: ${URL}
include: [SHARED]
flows:
  - name: status
    steps:
      - request:
          path: /status/{{code}}
          expect: {status: 200}
`

// TestWatchRunsAgainOnChange runs --watch on a folder, then saves the
// spec invalid, then valid again, then changes the file it includes so
// that it fails: each save runs the spec again, the invalid one shows its
// problems, and a cancel while waiting ends with 0 and leaves no
// goroutine behind.
func TestWatchRunsAgainOnChange(t *testing.T) {
	before := runtime.NumGoroutine()
	srv := httptest.NewServer(httpbin.New().Handler())
	dir := t.TempDir()
	spec, shared := filepath.Join(dir, "spec.yaml"), filepath.Join(t.TempDir(), "shared.yaml")
	body := strings.Replace(watchSpecBody, "SHARED", shared, 1)
	replaceFile(t, shared, "vars: {code: \"200\"}\n")
	replaceFile(t, spec, body)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := startWatch(ctx, map[string]string{"URL": srv.URL}, "--watch", dir)

	r.waitFor(t, &r.stdout, "1 flow: 1 passed", 1)
	r.waitFor(t, &r.stdout, "watching 1 spec for changes", 1)

	replaceFile(t, spec, "provider: httpbin\nflows:\n  - name: status\n")
	r.waitFor(t, &r.stderr, "problem(s) found; nothing was run", 1)
	r.waitFor(t, &r.stdout, "watching 1 spec for changes", 2)

	replaceFile(t, spec, body)
	r.waitFor(t, &r.stdout, "1 flow: 1 passed", 2)
	r.waitFor(t, &r.stdout, "watching 1 spec for changes", 3)

	// Written in place, as some editors and tools do.
	if err := os.WriteFile(shared, []byte("vars: {code: \"418\"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r.waitFor(t, &r.stdout, "1 flow: 0 passed, 1 failed", 1)
	r.waitFor(t, &r.stdout, "watching 1 spec for changes", 4)

	cancel()
	if code := r.exit(t); code != exitPassed {
		t.Errorf("exit code after a cancel while waiting: got %d, want %d", code, exitPassed)
	}
	out := r.stdout.String()
	if n := strings.Count(out, "---- "); n != 3 {
		t.Errorf("got %d separator lines, want 3 (one per run after the first):\n%s", n, out)
	}
	if n := strings.Count(out, "running 1 spec: "+spec); n != 3 {
		t.Errorf("got %d runs of %s after a change, want 3:\n%s", n, spec, out)
	}
	srv.Close()
	noGoroutineLeft(t, before)
}

// TestWatchInterruptedRunExits130 cancels --watch during its first run.
func TestWatchInterruptedRunExits130(t *testing.T) {
	srv := httptest.NewServer(httpbin.New().Handler())
	defer srv.Close()
	spec := writeSpec(t, `provider: slow
base_url: ${URL}
flows:
  - name: waits
    steps: [{request: {path: /get}}, {wait: 1m}]
`)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	r := startWatch(ctx, map[string]string{"URL": srv.URL}, "--watch", spec)
	if code := r.exit(t); code != exitInterrupted {
		t.Errorf("exit code: got %d, want %d\n%s", code, exitInterrupted, &r.stdout)
	}
	if !strings.Contains(r.stdout.String(), "(interrupted)") {
		t.Errorf("the report does not say the run was interrupted:\n%s", &r.stdout)
	}
}

func TestWatchUsageErrors(t *testing.T) {
	code, _, stderr := cli(t, context.Background(), nil, "--watch", "no/such/folder")
	if code != exitUsage || !strings.Contains(stderr, "no such file or folder") {
		t.Errorf("got exit code %d and %q, want %d and the missing folder named", code, stderr, exitUsage)
	}
}

func TestSpecFilesNamesWhatASpecReads(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	rows := write("users.csv", "name,id\nalice,1\nbob,2\n")
	shared := write("shared.yaml", "vars: {greeting: hello}\n")
	envFile := write("test.env", "HOST=127.0.0.1\n")
	spec := write("spec.yaml", `provider: demo
include: [shared.yaml]
env_file: [test.env]
base_url: http://${HOST}:1
flows:
  - name: inline
    rows: [{id: 1}]
    steps: [{request: {path: /}}]
  - name: from a file
    rows_file: users.csv
    steps: [{request: {path: "/{{id}}"}}]
`)
	s, err := flows.Load(spec, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	got := specFiles(s)
	if want := []string{spec, shared, envFile, rows}; !slices.Equal(slices.Sorted(slices.Values(got[1:])), slices.Sorted(slices.Values(want[1:]))) || got[0] != spec {
		t.Errorf("got %q, want %q, the spec first", got, want)
	}
}

// TestWatchAffected checks which specs a batch of changes runs again.
func TestWatchAffected(t *testing.T) {
	known := map[string]watchedSpec{
		"s/a.yaml": {files: []string{"/w/s/a.yaml", "/w/data/rows.csv"}, complete: true},
		"s/b.yaml": {files: []string{"/w/s/b.yaml"}, complete: true},
		"t/c.yaml": {files: []string{"/w/t/c.yaml"}, complete: false},
	}
	found := []string{"s/a.yaml", "s/b.yaml", "t/c.yaml"}
	const created, written = fsnotify.Create, fsnotify.Write
	for _, tc := range []struct {
		name    string
		found   []string
		changed map[string]fsnotify.Op
		want    []string
	}{
		{"a spec", found, map[string]fsnotify.Op{"/w/s/b.yaml": written}, []string{"s/b.yaml"}},
		{"a spec saved by rename", found, map[string]fsnotify.Op{"/w/s/b.yaml": created}, []string{"s/b.yaml"}},
		{"an invalid spec", found, map[string]fsnotify.Op{"/w/t/c.yaml": written}, []string{"t/c.yaml"}},
		{"a rows file", found, map[string]fsnotify.Op{"/w/data/rows.csv": written}, []string{"s/a.yaml"}},
		{"a new file beside an invalid spec", found, map[string]fsnotify.Op{"/w/t/new.csv": created}, []string{"t/c.yaml"}},
		{"a file written beside an invalid spec", found, map[string]fsnotify.Op{"/w/t/log.txt": written}, nil},
		{"elsewhere", found, map[string]fsnotify.Op{"/w/other/x.yaml": created, "/w/data/other.csv": created}, nil},
		{"a new spec", append(slices.Clone(found), "s/d.yaml"), map[string]fsnotify.Op{"/w/s/d.yaml": created}, []string{"s/d.yaml"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := &watcher{specs: maps.Clone(known)}
			if got := w.affected(tc.found, tc.changed); !slices.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	t.Run("removed specs are forgotten", func(t *testing.T) {
		w := &watcher{specs: maps.Clone(known)}
		w.affected([]string{"s/a.yaml"}, nil)
		if _, ok := w.specs["s/b.yaml"]; ok || len(w.specs) != 1 {
			t.Errorf("got %v, want only s/a.yaml", w.specs)
		}
	})
	t.Run("lost events run every spec", func(t *testing.T) {
		w := &watcher{specs: maps.Clone(known), overflow: true}
		if got := w.affected(found, nil); !slices.Equal(got, found) {
			t.Errorf("got %q, want %q", got, found)
		}
	})
}
