package runner_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/expr-lang/expr"

	"github.com/flowrun/flowrun/flows"
	"github.com/flowrun/flowrun/runner"
)

// authServer is a minimal token API: the benchmarks measure flowrun's
// overhead, not a simulator's.
func authServer() *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"token":"tok-0123456789abcdef","refresh":"r-1","user":{"id":7,"name":"Mary"}}`)
	})
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok-0123456789abcdef" {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"message":"no"}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":7,"name":"Mary","points":1250}`)
	})
	return httptest.NewServer(mux)
}

const benchSpec = `
provider: bench
base_url: http://unused
vars: {password: secret-password}
secrets: [password]
auth: {headers: {Authorization: "Bearer {{token}}"}}
requests:
  login: {method: POST, path: /login, json: {user: mary, password: "{{password}}"}, capture: {token: token, id: user.id}}
flows:
  - name: session
    steps:
      - login: {}
      - call: {path: /me, expect: {status: 200, assert: ['json("name") == "Mary"', 'json("points") > 1000']}}
      - call: {path: /me, expect: {assert: ['body.id == id']}}
      - expect-401: {path: /me, omit: [all]}
`

// BenchmarkRunFlow runs a four-step auth flow through the engine.
func BenchmarkRunFlow(b *testing.B) {
	srv := authServer()
	defer srv.Close()
	p := plan(b, srv.URL, benchSpec)
	cfg := runner.Config{Client: srv.Client()}
	b.ReportAllocs()
	for b.Loop() {
		if res := runner.Run(context.Background(), []*runner.Plan{p}, cfg); res.Status() != runner.Passed {
			b.Fatalf("the flow did not pass: %+v", res.Specs[0].Flows[0])
		}
	}
}

// BenchmarkRawHTTP does the same four requests and checks by hand with
// net/http and encoding/json: the floor BenchmarkRunFlow is measured against.
func BenchmarkRawHTTP(b *testing.B) {
	srv := authServer()
	defer srv.Close()
	c := srv.Client()
	do := func(req *http.Request) (int, map[string]any) {
		resp, err := c.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	b.ReportAllocs()
	for b.Loop() {
		body, _ := json.Marshal(map[string]any{"user": "mary", "password": "secret-password"})
		req, _ := http.NewRequestWithContext(context.Background(), "POST", srv.URL+"/login", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/json")
		_, m := do(req)
		token := m["token"].(string)
		for range 2 {
			req, _ = http.NewRequestWithContext(context.Background(), "GET", srv.URL+"/me", nil)
			req.Header.Set("Authorization", "Bearer "+token)
			if st, m := do(req); st != 200 || m["name"] != "Mary" {
				b.Fatal("unexpected answer")
			}
		}
		req, _ = http.NewRequestWithContext(context.Background(), "GET", srv.URL+"/me", nil)
		if st, _ := do(req); st != 401 {
			b.Fatal("want 401")
		}
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
