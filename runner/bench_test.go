package runner_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/expr-lang/expr"

	"github.com/flowrun/flowrun/flows"
	"github.com/flowrun/flowrun/internal/rawflow"
	"github.com/flowrun/flowrun/runner"
)

// authServer is a small token API with real state: random tokens, a
// refresh that rotates both tokens and a logout that revokes them. It is
// kept cheap, so the benchmarks measure the client, not the server.
type authServer struct {
	*httptest.Server
	mu      sync.Mutex
	access  map[string]bool   // live access tokens
	refresh map[string]string // live refresh token → its access token
}

func newAuthServer() *authServer {
	s := &authServer{access: map[string]bool{}, refresh: map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", s.login)
	mux.HandleFunc("POST /refresh", s.doRefresh)
	mux.HandleFunc("POST /logout", s.logout)
	mux.HandleFunc("GET /me", s.me)
	s.Server = httptest.NewServer(mux)
	return s
}

// issue answers a new token pair; s.mu is held.
func (s *authServer) issue(w http.ResponseWriter) {
	tok, ref := rand.Text(), rand.Text()
	s.access[tok], s.refresh[ref] = true, tok
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"token":%q,"refresh_token":%q,"expires_in":3600,"user":{"id":7,"name":"Mary"}}`, tok, ref)
}

func (s *authServer) login(w http.ResponseWriter, r *http.Request) {
	var in struct{ User, Password string }
	if json.NewDecoder(r.Body).Decode(&in) != nil || in.Password != "secret-password" {
		refuse(w)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.issue(w)
}

func (s *authServer) doRefresh(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Refresh string `json:"refresh_token"`
	}
	_ = json.NewDecoder(r.Body).Decode(&in)
	s.mu.Lock()
	defer s.mu.Unlock()
	tok, ok := s.refresh[in.Refresh]
	if !ok {
		refuse(w)
		return
	}
	delete(s.refresh, in.Refresh)
	delete(s.access, tok)
	s.issue(w)
}

func (s *authServer) logout(w http.ResponseWriter, r *http.Request) {
	tok, ok := s.bearer(r)
	if !ok {
		refuse(w)
		return
	}
	s.mu.Lock()
	delete(s.access, tok)
	for ref, t := range s.refresh {
		if t == tok {
			delete(s.refresh, ref)
		}
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"message":"logged out"}`)
}

func (s *authServer) me(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.bearer(r); !ok {
		refuse(w)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"id":7,"name":"Mary","points":1250}`)
}

// bearer returns the request's access token if it is live.
func (s *authServer) bearer(r *http.Request) (string, bool) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return "", false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return tok, s.access[tok]
}

func refuse(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusUnauthorized)
	io.WriteString(w, `{"message":"unauthorized"}`)
}

// benchSpec is the auth flow every engine benchmark runs: seven requests.
const benchSpec = `
provider: bench
base_url: http://unused
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

// benchPlan compiles benchSpec against srv; rows > 0 runs its flow once
// per row, rows times.
func benchPlan(b *testing.B, srv string, rows int) *runner.Plan {
	b.Helper()
	src := benchSpec
	if rows > 0 {
		var rs strings.Builder
		for i := range rows {
			fmt.Fprintf(&rs, "{n: %d},", i)
		}
		src += "    rows: [" + strings.TrimSuffix(rs.String(), ",") + "]\n"
	}
	return plan(b, srv, src)
}

// BenchmarkFlow runs the seven-request flow through the engine and through
// the hand-written client, each alone: their allocations per flow.
func BenchmarkFlow(b *testing.B) {
	srv := newAuthServer()
	defer srv.Close()
	b.Run("engine", func(b *testing.B) {
		p := benchPlan(b, srv.URL, 0)
		cfg := runner.Config{Client: srv.Client()}
		b.ReportAllocs()
		for b.Loop() {
			runEngine(b, p, cfg)
		}
	})
	b.Run("raw", func(b *testing.B) {
		c := srv.Client()
		b.ReportAllocs()
		for b.Loop() {
			if err := rawflow.Run(context.Background(), c, srv.URL); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func runEngine(b *testing.B, p *runner.Plan, cfg runner.Config) {
	if res := runner.Run(context.Background(), []*runner.Plan{p}, cfg); res.Status() != runner.Passed {
		b.Fatalf("the flow did not pass: %+v", res.Specs[0].Flows[0])
	}
}

// BenchmarkVsRaw runs the engine and the hand-written client side by side
// in batches, alternating which goes first so drift falls on both alike.
// An op is one flow through each; ratio-vs-raw is the engine's time per
// flow over the raw client's.
func BenchmarkVsRaw(b *testing.B) {
	srv := newAuthServer()
	defer srv.Close()
	b.Run("sequential", func(b *testing.B) {
		p := benchPlan(b, srv.URL, 0)
		cfg := runner.Config{Client: srv.Client()}
		c := srv.Client()
		side(b, 16, func(n int) {
			for range n {
				runEngine(b, p, cfg)
			}
		}, func(n int) {
			for range n {
				if err := rawflow.Run(context.Background(), c, srv.URL); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("parallel-4", func(b *testing.B) {
		// Both sides keep four connections: the client of each side is its own.
		plans := map[int]*runner.Plan{64: benchPlan(b, srv.URL, 64)} // and the last batch's
		cfg := runner.Config{Client: pooled(4), Concurrency: 4}
		c := pooled(4)
		side(b, 64, func(n int) {
			if plans[n] == nil {
				plans[n] = benchPlan(b, srv.URL, n)
			}
			res := runner.Run(context.Background(), []*runner.Plan{plans[n]}, cfg)
			if res.Status() != runner.Passed {
				b.Fatalf("a flow did not pass: %v", res.Counts())
			}
		}, func(n int) {
			if err := rawParallel(c, srv.URL, n, 4); err != nil {
				b.Fatal(err)
			}
		})
	})
}

// side runs engine and raw, batch flows at a time each, until b.N flows
// have gone through both, and reports the time per flow of each and
// their ratio.
func side(b *testing.B, batch int, engine, raw func(n int)) {
	var te, tr time.Duration
	b.ResetTimer()
	for done, i := 0, 0; done < b.N; i++ {
		n := min(batch, b.N-done)
		first, second := engine, raw
		t1, t2 := &te, &tr
		if i%2 == 1 {
			first, second, t1, t2 = raw, engine, &tr, &te
		}
		start := time.Now()
		first(n)
		mid := time.Now()
		second(n)
		*t1 += mid.Sub(start)
		*t2 += time.Since(mid)
		done += n
	}
	b.ReportMetric(float64(te.Nanoseconds())/float64(b.N), "engine-ns/flow")
	b.ReportMetric(float64(tr.Nanoseconds())/float64(b.N), "raw-ns/flow")
	b.ReportMetric(float64(te)/float64(tr), "ratio-vs-raw")
}

// rawParallel runs n raw flows on workers goroutines.
func rawParallel(c *http.Client, base string, n, workers int) error {
	var next atomic.Int64
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for next.Add(1) <= int64(n) {
				if err := rawflow.Run(context.Background(), c, base); err != nil {
					errs[w] = err
					return
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// pooled returns a client that keeps conns idle connections, as the CLI's
// does, and follows no redirects, as the runner wants.
func pooled(conns int) *http.Client {
	return &http.Client{
		Transport:     &http.Transport{MaxIdleConnsPerHost: conns},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// BenchmarkCompile loads and compiles the spec: paid once per run.
func BenchmarkCompile(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		spec, err := flows.Parse("bench.yaml", []byte(benchSpec), func(string) (string, bool) { return "", false })
		if err != nil {
			b.Fatal(err)
		}
		if _, err := runner.Compile(spec); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAssertionCompiledOnce evaluates a compiled expression, as the
// runner does; BenchmarkAssertionRecompiled compiles it every time, as a
// runner that does not plan would.
func BenchmarkAssertionCompiledOnce(b *testing.B) {
	env := map[string]any{"status": 200, "body": map[string]any{"name": "Mary"}}
	prog, err := expr.Compile(`status == 200 && body.name == "Mary"`, expr.Env(env), expr.AsBool())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if out, _ := expr.Run(prog, env); out != true {
			b.Fatal("false")
		}
	}
}

func BenchmarkAssertionRecompiled(b *testing.B) {
	env := map[string]any{"status": 200, "body": map[string]any{"name": "Mary"}}
	b.ReportAllocs()
	for b.Loop() {
		out, err := expr.Eval(`status == 200 && body.name == "Mary"`, env)
		if err != nil || out != true {
			b.Fatal("false")
		}
	}
}
