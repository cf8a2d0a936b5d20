package runner_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mccutchen/go-httpbin/v2/httpbin"

	"github.com/flowrun/flowrun/examples/sandbox"
	"github.com/flowrun/flowrun/flows"
	"github.com/flowrun/flowrun/runner"
)

// plan loads and compiles a spec written inline, pointed at baseURL.
func plan(t testing.TB, baseURL, src string) *runner.Plan {
	t.Helper()
	spec, err := flows.Parse("test.yaml", []byte(src), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	p, err := runner.Compile(spec)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	p.BaseURL = baseURL
	return p
}

func noRedirects() *http.Client {
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// run runs one plan; the result keeps every body, so that tests can see
// how each was masked (TestPassedStepsKeepNoBodies runs without).
func run(t testing.TB, p *runner.Plan, cfg runner.Config) *runner.Result {
	t.Helper()
	if cfg.Client == nil {
		cfg.Client = noRedirects()
	}
	cfg.KeepBodies = true
	return runner.Run(context.Background(), []*runner.Plan{p}, cfg)
}

// flow returns the named flow's result.
func flow(t *testing.T, r *runner.Result, name string) runner.FlowResult {
	t.Helper()
	for _, f := range r.Specs[0].Flows {
		if f.Name == name {
			return f
		}
	}
	t.Fatalf("no flow %q in the result", name)
	return runner.FlowResult{}
}

func statuses(f runner.FlowResult) string {
	var out []string
	for _, s := range f.Steps {
		out = append(out, string(s.Status))
	}
	return strings.Join(out, ",")
}

func httpbinServer(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(httpbin.New().Handler())
	t.Cleanup(srv.Close)
	return srv
}

func TestStepOutcomes(t *testing.T) {
	srv := httpbinServer(t)
	p := plan(t, srv.URL, `
provider: httpbin
base_url: http://unused
flows:
  - name: pass
    steps:
      - request: {path: /status/204}
      - request: {path: /get, query: {a: "1"}, expect: {assert: ['json("args.a") == ["1"]']}}
  - name: fail skips the rest
    steps:
      - request: {path: /status/500}
      - request: {path: /get}
  - name: timeout
    steps:
      - request: {path: /delay/2, timeout: 100ms}
  - name: redirect is not followed
    steps:
      - request: {path: /redirect-to, query: {url: /get}, expect: {status: 302, assert: ['header("Location") == "/get"']}}
  - name: non-boolean assertion
    steps:
      - request: {path: /json, expect: {assert: ['json("slideshow.title")']}}
`)
	res := run(t, p, runner.Config{})
	for _, tc := range []struct {
		flow   string
		status runner.Status
		steps  string
		detail string
	}{
		{"pass", runner.Passed, "passed,passed", ""},
		{"fail skips the rest", runner.Failed, "failed,skipped", ""},
		{"timeout", runner.Errored, "error", "no answer within the step's timeout of 100ms"},
		{"redirect is not followed", runner.Passed, "passed", ""},
		{"non-boolean assertion", runner.Errored, "error", "Sample Slide Show\\\", not true or false"},
	} {
		f := flow(t, res, tc.flow)
		if f.Status != tc.status || statuses(f) != tc.steps {
			t.Errorf("%s: got %s (%s), want %s (%s)", tc.flow, f.Status, statuses(f), tc.status, tc.steps)
		}
		if tc.detail != "" {
			b, _ := json.Marshal(f)
			if !strings.Contains(string(b), tc.detail) {
				t.Errorf("%s: result lacks %q: %s", tc.flow, tc.detail, b)
			}
		}
	}
	if got := res.Status(); got != runner.Failed {
		t.Errorf("run status: got %s, want failed", got)
	}
}

func TestAssertionExplainsOperands(t *testing.T) {
	srv := httpbinServer(t)
	p := plan(t, srv.URL, `
provider: httpbin
base_url: http://unused
flows:
  - name: explain
    steps:
      - request:
          path: /status/404
          expect: {status: [404], assert: ["status == 200", 'len(text) < 0']}
`)
	f := flow(t, run(t, p, runner.Config{}), "explain")
	checks := f.Steps[0].Checks
	if len(checks) != 3 {
		t.Fatalf("checks: got %d, want 3: %+v", len(checks), checks)
	}
	if got, want := checks[1].Message, "404 == 200 is false"; got != want {
		t.Errorf("explanation: got %q, want %q", got, want)
	}
	if got, want := checks[1].Pos, (runner.Pos{File: "test.yaml", Line: 9, Col: 44}); got != want {
		t.Errorf("place: got %+v, want %+v", got, want)
	}
	if got, want := string(checks[1].Actual.JSON), "false"; got != want {
		t.Errorf("actual: got %s, want %s", got, want)
	}
	if got, want := checks[2].Message, "0 < 0 is false"; got != want {
		t.Errorf("explanation: got %q, want %q", got, want)
	}
}

func TestSessionsKeepTheirOwnCookies(t *testing.T) {
	srv := httpbinServer(t)
	p := plan(t, srv.URL, `
provider: httpbin
base_url: http://unused
flows:
  - name: cookies
    steps:
      - request: {path: /cookies/set, query: {sid: a1}, expect: {status: 302}}
      - request: {path: /cookies, expect: {assert: ['json("cookies.sid") == "a1"']}}
      - request: {session: other, path: /cookies, expect: {assert: ['json("cookies.sid") == nil']}}
      - request:
          path: /response-headers
          query: {X-Token: t-42}
          capture: {tok: "header:X-Token", code: status}
          expect: {assert: ['tok == "t-42" && code == 200', 'len(split(tok, "-")) == 2', 'upper(tok) == "T-42"']}
      - request: {path: "/anything/{{tok}}", expect: {assert: ['json("url") endsWith "/anything/t-42"']}}
`)
	if f := flow(t, run(t, p, runner.Config{}), "cookies"); f.Status != runner.Passed {
		b, _ := json.MarshalIndent(f, "", " ")
		t.Errorf("got %s, want passed: %s", f.Status, b)
	}
}

func TestAuthFlowsAgainstSandbox(t *testing.T) {
	for _, tc := range []struct {
		name   string
		faults []string
		flow   string
		want   runner.Status
		check  string
	}{
		{"rotation holds", nil, "refresh", runner.Passed, ""},
		{"no rotation is caught", []string{"no-rotation"}, "refresh", runner.Failed, "rotate refresh_token"},
		{"tampered token refused", nil, "tamper", runner.Passed, ""},
		{"missing token refused", nil, "no token", runner.Passed, ""},
		{"set credential refused", nil, "set", runner.Passed, ""},
		{"accepting no token is caught", []string{"accept-no-token"}, "no token", runner.Failed, "status"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, err := sandbox.Start("openloyalty", sandbox.Options{Faults: tc.faults})
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			p := plan(t, srv.URL, `
provider: openloyalty
sandbox: openloyalty
vars: {password: password123}
secrets: [password]
auth: {headers: {Authorization: "Bearer {{token}}"}}
requests:
  login:
    method: POST
    path: /api/DEFAULT/member/login_check
    json: {username: member@example.com, password: "{{password}}"}
    capture: {token: token, refresh_token: refresh_token}
  refresh:
    path: /api/DEFAULT/token/refresh
    json: {refresh_token: "{{refresh_token}}"}
    capture: {token: token, refresh_token: refresh_token}
    rotate: [token, refresh_token]
  profile: {path: /api/DEFAULT/member/profile}
flows:
  - name: refresh
    steps: [{login: {}}, {refresh: {}}, {call: {use: profile}}]
  - name: tamper
    steps: [{login: {}}, {expect-401: {use: profile, tamper: [Authorization]}}]
  - name: no token
    steps: [{login: {}}, {expect-401: {use: profile, omit: [all]}}]
  - name: set
    steps: [{expect-401: {use: profile, set: {Authorization: "Bearer not.a.jwt"}}}]
`)
			res := run(t, p, runner.Config{})
			f := flow(t, res, tc.flow)
			if f.Status != tc.want {
				t.Fatalf("got %s (%s), want %s", f.Status, statuses(f), tc.want)
			}
			if tc.check != "" {
				last := f.Steps[len(f.Steps)-1]
				for _, s := range f.Steps {
					if s.Status == runner.Failed {
						last = s
					}
				}
				found := false
				for _, c := range last.Checks {
					found = found || (!c.Passed() && c.Expr == tc.check)
				}
				if !found {
					t.Errorf("no failed check %q in %+v", tc.check, last.Checks)
				}
			}
			b, _ := json.Marshal(res)
			if strings.Contains(string(b), "password123") {
				t.Errorf("the result holds the password")
			}
		})
	}
}

func TestStepRemovesASpecHeader(t *testing.T) {
	srv := httpbinServer(t)
	p := plan(t, srv.URL, `
provider: httpbin
base_url: http://unused
headers: {X-Api-Key: k-123, X-Trace: on}
flows:
  - name: remove
    steps:
      - request: {path: /headers, expect: {assert: ['json("headers.X-Api-Key") == ["k-123"]']}}
      - request: {path: /headers, headers: {X-Api-Key: null}, expect: {assert: ['json("headers.X-Api-Key") == nil', 'json("headers.X-Trace") == ["on"]']}}
`)
	if f := flow(t, run(t, p, runner.Config{}), "remove"); f.Status != runner.Passed {
		t.Errorf("got %s (%s), want passed: %+v", f.Status, statuses(f), f.Steps)
	}
}

func TestResultMasksCapturedTokens(t *testing.T) {
	const token = "eyJhbGciOiJIUzI1NiJ9.e30.ZmFrZS1zaWduYXR1cmU"
	mux := http.NewServeMux()
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Set-Cookie", "sid=c00kie-value")
		w.Write([]byte(`{"token":"` + token + `","refresh_token":"r-uncaptured-123","user":{"apiKey":"k-uncaptured-456"}}`))
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"auth":"` + r.Header.Get("Authorization") + `"}`))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	p := plan(t, srv.URL, `
provider: echo
base_url: http://unused
auth: {headers: {Authorization: "{{token}}"}}
flows:
  - name: echo
    steps:
      - login: {path: /login, capture: {token: token}}
      - call: {path: /echo, expect: {assert: ['json("auth") == "x"']}}
`)
	res := run(t, p, runner.Config{})
	b, _ := json.Marshal(res)
	for _, secret := range []string{token, "c00kie-value", "r-uncaptured-123", "k-uncaptured-456"} {
		if strings.Contains(string(b), secret) {
			t.Errorf("the result shows %q: %s", secret, b)
		}
	}
	shown := run(t, p, runner.Config{ShowSecrets: true})
	if b, _ := json.Marshal(shown); !strings.Contains(string(b), token) {
		t.Errorf("ShowSecrets did not show the token")
	}
}

func TestShortSecretsAreMaskedAsJSONStrings(t *testing.T) {
	srv := httpbinServer(t)
	p := plan(t, srv.URL, `
provider: httpbin
base_url: http://unused
vars: {password: qa}
secrets: [password]
flows:
  - name: short
    steps:
      - request: {method: POST, path: /anything, json: {user: quality, password: "{{password}}"}}
`)
	x := run(t, p, runner.Config{}).Specs[0].Flows[0].Steps[0].Exchanges[0]
	masked := regexp.MustCompile(`"<password#[0-9a-f]{4}>"`)
	for _, got := range []string{x.Request.Body.Text, x.Response.Body.Text} {
		if strings.Contains(got, `"qa"`) || strings.Contains(got, `\"qa\"`) {
			t.Errorf("the short secret shows as a JSON string: %s", got)
		}
		if !masked.MatchString(got) || !strings.Contains(got, "quality") {
			t.Errorf("want the JSON string masked and other text left alone: %s", got)
		}
	}
}

func TestRowsRunAsFlowsOfTheirOwn(t *testing.T) {
	srv := httpbinServer(t)
	p := plan(t, srv.URL, `
provider: httpbin
base_url: http://unused
flows:
  - name: status
    rows:
      - {name: ok, code: 200}
      - {name: created, code: 201}
      - {name: gone, code: 410}
    steps:
      - request: {path: "/status/{{code}}", expect: {status: [200, 201]}}
`)
	res := run(t, p, runner.Config{})
	var got []string
	for _, f := range res.Specs[0].Flows {
		got = append(got, f.Name+"="+string(f.Status))
	}
	want := "status [ok]=passed status [created]=passed status [gone]=failed"
	if strings.Join(got, " ") != want {
		t.Errorf("got %s, want %s", strings.Join(got, " "), want)
	}
}

func TestConcurrencyIsBounded(t *testing.T) {
	var inFlight, peak atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
		inFlight.Add(-1)
	}))
	defer srv.Close()
	var b strings.Builder
	b.WriteString("provider: x\nbase_url: http://unused\nflows:\n")
	for i := range 12 {
		b.WriteString("  - name: f" + string(rune('a'+i)) + "\n    steps: [{request: {path: /}}]\n")
	}
	res := run(t, plan(t, srv.URL, b.String()), runner.Config{Concurrency: 3})
	if got := res.Counts()[runner.Passed]; got != 12 {
		t.Errorf("passed flows: got %d, want 12", got)
	}
	if got := peak.Load(); got > 3 || got < 2 {
		t.Errorf("peak concurrent requests: got %d, want 2 or 3", got)
	}
}

func TestInterruptSkipsRemainingSteps(t *testing.T) {
	srv := httpbinServer(t)
	p := plan(t, srv.URL, `
provider: x
base_url: http://unused
flows:
  - name: slow
    steps: [{request: {path: /get}}, {wait: 1m}, {request: {path: /get}}]
`)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	res := runner.Run(ctx, []*runner.Plan{p}, runner.Config{Client: noRedirects()})
	if !res.Interrupted {
		t.Error("the result is not marked interrupted")
	}
	if got := statuses(res.Specs[0].Flows[0]); got != "passed,error,skipped" {
		t.Errorf("steps: got %s, want passed,error,skipped", got)
	}
}

func TestBodyIsAnyJSON(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/string", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`"jwt malformed"`)) })
	mux.HandleFunc("/list", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`[{"id":1},{"id":2}]`)) })
	mux.HandleFunc("/number", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`42`)) })
	mux.HandleFunc("/object", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"token":"t"}`)) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	p := plan(t, srv.URL, `
provider: body
base_url: http://unused
flows:
  - name: shapes
    steps:
      - request: {path: /string, expect: {assert: ['body == "jwt malformed"']}}
      - request: {path: /list, expect: {assert: ['body[0].id == 1', 'len(body) == 2', 'body[1]["id"] == 2']}}
      - request: {path: /number, expect: {assert: ['body == 42', 'body > 40']}}
      - request: {path: /object, expect: {assert: ['body.token == "t"', 'body.missing == nil']}}
`)
	if f := flow(t, run(t, p, runner.Config{}), "shapes"); f.Status != runner.Passed {
		b, _ := json.MarshalIndent(f, "", " ")
		t.Errorf("got %s: %s", f.Status, b)
	}
}
