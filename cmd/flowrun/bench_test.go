package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// benchAPI is the token API the process benchmark runs against: random
// tokens, a refresh that rotates them, a logout that revokes them. It is
// the server testdata/rawclient expects.
type benchAPI struct {
	mu      sync.Mutex
	access  map[string]bool   // live access tokens
	refresh map[string]string // live refresh token → its access token
}

func newBenchAPI() *httptest.Server {
	api := &benchAPI{access: map[string]bool{}, refresh: map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		var in struct{ User, Password string }
		if json.NewDecoder(r.Body).Decode(&in) != nil || in.Password != "secret-password" {
			benchRefuse(w)
			return
		}
		api.issue(w, "")
	})
	mux.HandleFunc("POST /refresh", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Refresh string `json:"refresh_token"`
		}
		_ = json.NewDecoder(r.Body).Decode(&in)
		api.issue(w, in.Refresh)
	})
	mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		api.mu.Lock()
		live := api.access[tok]
		delete(api.access, tok)
		api.mu.Unlock()
		if !live {
			benchRefuse(w)
			return
		}
		io.WriteString(w, `{"message":"logged out"}`)
	})
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		api.mu.Lock()
		live := api.access[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
		api.mu.Unlock()
		if !live {
			benchRefuse(w)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":7,"name":"Mary","points":1250}`)
	})
	return httptest.NewServer(mux)
}

// issue answers a new token pair; a refresh spends the refresh token
// used, and revokes the access token issued with it.
func (api *benchAPI) issue(w http.ResponseWriter, used string) {
	api.mu.Lock()
	defer api.mu.Unlock()
	if used != "" {
		tok, ok := api.refresh[used]
		if !ok {
			benchRefuse(w)
			return
		}
		delete(api.refresh, used)
		delete(api.access, tok)
	}
	tok, ref := rand.Text(), rand.Text()
	api.access[tok], api.refresh[ref] = true, tok
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"token":%q,"refresh_token":%q,"expires_in":3600}`, tok, ref)
}

func benchRefuse(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusUnauthorized)
	io.WriteString(w, `{"message":"unauthorized"}`)
}

// processSpec is testdata/rawclient's flow as a spec: seven requests.
const processSpec = `
provider: bench
base_url: ${BENCH_BASE_URL}
vars: {password: secret-password}
secrets: [password]
auth: {headers: {Authorization: "Bearer {{token}}"}}
requests:
  login: {method: POST, path: /login, json: {user: mary, password: "{{password}}"}, capture: {token: token, refresh_token: refresh_token}}
  refresh: {method: POST, path: /refresh, json: {refresh_token: "{{refresh_token}}"}, capture: {token: token, refresh_token: refresh_token}}
  logout: {method: POST, path: /logout}
flows:
  - name: session
    steps:
      - login: {}
      - call: {path: /me, expect: {status: 200, assert: ['json("name") == "Mary"']}}
      - expect-401: {name: no token, path: /me, omit: [all]}
      - refresh: {}
      - call: {path: /me, expect: {assert: ['json("name") == "Mary"']}}
      - logout: {}
      - expect-401: {name: old token, path: /me}
`

// BenchmarkProcess runs the whole flowrun process on one seven-request
// flow, and testdata/rawclient doing the same requests by hand, side by
// side against one server, alternating which goes first. Both are built
// once with go build. An op is one run of each; ratio-vs-raw is
// flowrun's time per run over the raw client's.
func BenchmarkProcess(b *testing.B) {
	dir := b.TempDir()
	flowrun, raw := filepath.Join(dir, "flowrun"), filepath.Join(dir, "rawclient")
	goBuild(b, flowrun, ".")
	goBuild(b, raw, "./testdata/rawclient")
	spec := filepath.Join(dir, "bench.yaml")
	if err := os.WriteFile(spec, []byte(processSpec), 0o600); err != nil {
		b.Fatal(err)
	}
	srv := newBenchAPI()
	defer srv.Close()
	env := append(os.Environ(), "BENCH_BASE_URL="+srv.URL, "NO_COLOR=1")
	cmds := [2][]string{{flowrun, spec}, {raw, srv.URL}}
	var took [2]time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		for j := range 2 {
			k := (i + j) % 2 // alternate which goes first
			start := time.Now()
			runProcess(b, env, cmds[k])
			took[k] += time.Since(start)
		}
	}
	b.ReportMetric(float64(took[0].Microseconds())/1e3/float64(b.N), "flowrun-ms/run")
	b.ReportMetric(float64(took[1].Microseconds())/1e3/float64(b.N), "raw-ms/run")
	b.ReportMetric(float64(took[0])/float64(took[1]), "ratio-vs-raw")
}

// BenchmarkExecute runs the CLI in-process on BenchmarkProcess's spec:
// what the flowrun process does besides starting, for a profile.
func BenchmarkExecute(b *testing.B) {
	spec := filepath.Join(b.TempDir(), "bench.yaml")
	if err := os.WriteFile(spec, []byte(processSpec), 0o600); err != nil {
		b.Fatal(err)
	}
	srv := newBenchAPI()
	defer srv.Close()
	getenv := func(name string) (string, bool) {
		if name == "BENCH_BASE_URL" {
			return srv.URL, true
		}
		return "", false
	}
	b.ReportAllocs()
	for b.Loop() {
		if code := execute(context.Background(), []string{spec}, io.Discard, io.Discard, getenv); code != exitPassed {
			b.Fatalf("exit %d", code)
		}
	}
}

func goBuild(b *testing.B, out, pkg string) {
	b.Helper()
	cmd := exec.Command("go", "build", "-o", out, pkg)
	if msg, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("go build %s: %v\n%s", pkg, err, msg)
	}
}

func runProcess(b *testing.B, env, args []string) {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		b.Fatalf("%s: %v\n%s", filepath.Base(args[0]), err, out.String())
	}
}

// BenchmarkLoadSpecs loads, validates and compiles 1,000 spec files, as
// the CLI does before running them: copies of the specs in specs/. An op
// is the 1,000 files; ms/spec is the time per file.
func BenchmarkLoadSpecs(b *testing.B) {
	srcs, err := filepath.Glob("../../specs/*.yaml")
	if err != nil || len(srcs) == 0 {
		b.Fatalf("no specs: %v", err)
	}
	dir := b.TempDir()
	const n = 1000
	for i := range n {
		data, err := os.ReadFile(srcs[i%len(srcs)])
		if err != nil {
			b.Fatal(err)
		}
		name := fmt.Sprintf("%04d-%s", i, filepath.Base(srcs[i%len(srcs)]))
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			b.Fatal(err)
		}
	}
	a := &app{stdout: io.Discard, stderr: io.Discard, getenv: func(string) (string, bool) { return "", false }}
	b.ReportAllocs()
	var took time.Duration
	runs := 0
	for b.Loop() {
		start := time.Now()
		plans, err := a.loadPlans([]string{dir})
		took += time.Since(start)
		runs++
		if err != nil || len(plans) != n {
			b.Fatalf("%d plans: %v", len(plans), err)
		}
	}
	b.ReportMetric(float64(took.Microseconds())/1e3/float64(runs*n), "ms/spec")
}
