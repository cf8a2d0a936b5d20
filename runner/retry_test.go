package runner_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flowrun/flowrun/flows"
	"github.com/flowrun/flowrun/runner"
)

// labels returns the labels of a step's exchanges.
func labels(st runner.StepResult) []string {
	out := make([]string, len(st.Exchanges))
	for i, x := range st.Exchanges {
		out[i] = x.Label
	}
	return out
}

// retryCheck returns a step's retry check, and how many attempts it counts.
func retryCheck(t *testing.T, st runner.StepResult) (runner.Check, int) {
	t.Helper()
	for _, c := range st.Checks {
		if c.Kind == runner.CheckRetry {
			var n int
			if err := json.Unmarshal(c.Actual.JSON, &n); err != nil {
				t.Fatalf("retry check: actual %s is not a number of attempts", c.Actual.JSON)
			}
			return c, n
		}
	}
	t.Fatalf("no retry check in %+v", st.Checks)
	return runner.Check{}, 0
}

// answers serves the statuses given in turn, then 200 ever after; each
// answer may set headers.
func answers(t *testing.T, seq ...func(w http.ResponseWriter) int) (*httptest.Server, *atomic.Int32) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(hits.Add(1)) - 1
		if i < len(seq) {
			w.WriteHeader(seq[i](w))
			return
		}
		fmt.Fprint(w, `{"ok":true}`)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func status(code int, retryAfter string) func(w http.ResponseWriter) int {
	return func(w http.ResponseWriter) int {
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		return code
	}
}

const retrySpec = `
provider: retry
base_url: http://unused
retry_on: [429, 503]
flows:
  - name: a
    steps:
      - request: {path: /x}
`

func TestRetriesAfterARetryOnStatus(t *testing.T) {
	date := func(w http.ResponseWriter) int {
		w.Header().Set("Retry-After", time.Now().Add(time.Second).UTC().Format(http.TimeFormat))
		return http.StatusTooManyRequests
	}
	for _, tc := range []struct {
		name    string
		seq     []func(http.ResponseWriter) int
		retries int
		want    runner.Status
		labels  []string
		// wait is the least the retries must have waited.
		wait time.Duration
	}{
		{"503 with Retry-After in seconds, twice", []func(http.ResponseWriter) int{status(503, "1"), status(503, "1")}, 3, runner.Passed,
			[]string{"attempt 1 of 4: 503, retried after 1s (Retry-After)", "attempt 2 of 4: 503, retried after 1s (Retry-After)", "attempt 3 of 4: 200"}, 2 * time.Second},
		{"429 with an HTTP date", []func(http.ResponseWriter) int{date}, 1, runner.Passed,
			[]string{"attempt 1 of 2: 429, retried after", "attempt 2 of 2: 200"}, 0},
		{"503 without Retry-After backs off", []func(http.ResponseWriter) int{status(503, "")}, 2, runner.Passed,
			[]string{"attempt 1 of 3: 503, retried after", "attempt 2 of 3: 200"}, 100 * time.Millisecond},
		{"a status retry_on does not name", []func(http.ResponseWriter) int{status(502, "1")}, 3, runner.Failed,
			[]string{""}, 0},
		{"retries exhausted", []func(http.ResponseWriter) int{status(503, "0"), status(503, "0"), status(503, "0")}, 2, runner.Failed,
			[]string{"attempt 1 of 3: 503, retried after 0s (Retry-After)", "attempt 2 of 3: 503, retried after 0s (Retry-After)", "attempt 3 of 3: 503, no retries left"}, 0},
		{"a Retry-After longer than the step's time limit", []func(http.ResponseWriter) int{status(503, "120")}, 3, runner.Failed,
			[]string{"attempt 1 of 4: 503, not retried: Retry-After asks 2m0s, more than a wait may last (1m0s)"}, 0},
		{"no retries", []func(http.ResponseWriter) int{status(503, "1")}, 0, runner.Failed,
			[]string{""}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, hits := answers(t, tc.seq...)
			start := time.Now()
			st := run(t, plan(t, srv.URL, retrySpec), runner.Config{Retries: tc.retries}).Specs[0].Flows[0].Steps[0]
			took := time.Since(start)
			if st.Status != tc.want {
				t.Errorf("status: got %s, want %s (%s)", st.Status, tc.want, st.Error)
			}
			got := labels(st)
			if len(got) != len(tc.labels) || int(hits.Load()) != len(tc.labels) {
				t.Fatalf("exchanges: got %q (%d requests served), want %d", got, hits.Load(), len(tc.labels))
			}
			for i, want := range tc.labels {
				if !strings.HasPrefix(got[i], want) {
					t.Errorf("exchange %d: got label %q, want %q", i, got[i], want)
				}
			}
			if took < tc.wait {
				t.Errorf("took %s, want at least %s of waits", took, tc.wait)
			}
			if len(got) == 1 {
				for _, c := range st.Checks {
					if c.Kind == runner.CheckRetry {
						t.Errorf("a single attempt has a retry check: %+v", c)
					}
				}
				return
			}
			c, n := retryCheck(t, st)
			if n != len(got) || c.Exchange != len(got)-1 || c.Status != tc.want {
				t.Errorf("retry check: got %d attempts, exchange %d, %s; want %d, %d, %s", n, c.Exchange, c.Status, len(got), len(got)-1, tc.want)
			}
		})
	}
}

// refusingAddr returns an address where nothing listens, and starts a
// server there once after has passed.
func refusingAddr(t *testing.T, after time.Duration) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"token":"t-1234567890"}`)
	})}
	done := make(chan struct{})
	go func() {
		defer close(done)
		time.Sleep(after)
		l, err := net.Listen("tcp", addr)
		if err != nil {
			t.Errorf("listen again on %s: %v", addr, err)
			return
		}
		srv.Serve(l)
	}()
	t.Cleanup(func() {
		srv.Close()
		<-done
	})
	return addr
}

func TestRetriesARefusedConnectionEvenForAPost(t *testing.T) {
	addr := refusingAddr(t, 300*time.Millisecond)
	p := plan(t, "http://"+addr, `
provider: retry
base_url: http://unused
requests:
  login: {method: POST, path: /login, json: {user: a}, capture: {token: token}}
flows:
  - name: a
    steps:
      - login: {}
`)
	st := run(t, p, runner.Config{Retries: runner.MaxRetries}).Specs[0].Flows[0].Steps[0]
	got := labels(st)
	if st.Status != runner.Passed || len(got) < 2 {
		t.Fatalf("got %s after %q (%s), want passed after a refused connection or more", st.Status, got, st.Error)
	}
	if !strings.HasPrefix(got[0], "attempt 1 of 11: connection refused, retried after ") || got[len(got)-1] != fmt.Sprintf("attempt %d of 11: 200", len(got)) {
		t.Errorf("labels: got %q", got)
	}
	if c, n := retryCheck(t, st); n != len(got) || c.Status != runner.Passed {
		t.Errorf("retry check: got %d attempts, %s; want %d, passed", n, c.Status, len(got))
	}
}

// closing answers by closing the connection, the first n times.
func closing(t *testing.T, n int) (*httptest.Server, *atomic.Int32) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if int(hits.Add(1)) <= n {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		fmt.Fprint(w, `{"token":"t-1234567890"}`)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func TestTransportErrorsAfterTheRequestLeft(t *testing.T) {
	for _, tc := range []struct {
		name, method string
		closes       int
		retries      int
		want         runner.Status
		attempts     int
		err          string
	}{
		{"a GET is sent again", "GET", 2, 3, runner.Passed, 3, ""},
		{"a POST is not: it may have been processed", "POST", 1, 3, runner.Errored, 1, "not sent again: a POST may have reached the API"},
		{"retries exhausted", "GET", 5, 2, runner.Errored, 3, "no answer after 3 attempts over"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, hits := closing(t, tc.closes)
			p := plan(t, srv.URL, fmt.Sprintf(`
provider: retry
base_url: http://unused
flows:
  - name: a
    steps:
      - request: {method: %s, path: /x, body: "x"}
`, tc.method))
			st := run(t, p, runner.Config{Retries: tc.retries}).Specs[0].Flows[0].Steps[0]
			if st.Status != tc.want || len(st.Exchanges) != tc.attempts || int(hits.Load()) != tc.attempts {
				t.Fatalf("got %s after %d attempts (%d served): %q, %s; want %s after %d", st.Status, len(st.Exchanges), hits.Load(), labels(st), st.Error, tc.want, tc.attempts)
			}
			if !strings.Contains(st.Error, tc.err) {
				t.Errorf("error: got %q, want it to say %q", st.Error, tc.err)
			}
			if tc.attempts > 1 && !strings.HasPrefix(st.Exchanges[0].Label, fmt.Sprintf("attempt 1 of %d: connection closed, retried after ", tc.retries+1)) {
				t.Errorf("label: got %q", st.Exchanges[0].Label)
			}
		})
	}
}

func TestATimeoutIsRetried(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
			return
		}
		fmt.Fprint(w, `{}`)
	}))
	t.Cleanup(srv.Close)
	p := plan(t, srv.URL, "provider: p\nbase_url: http://unused\nflows:\n  - name: a\n    steps:\n      - request: {path: /x, timeout: 200ms}\n")
	st := run(t, p, runner.Config{Retries: 1}).Specs[0].Flows[0].Steps[0]
	got := labels(st)
	if st.Status != runner.Passed || len(got) != 2 || !strings.HasPrefix(got[0], "attempt 1 of 2: timeout, retried after ") {
		t.Errorf("got %s after %q (%s), want passed after a timeout and a retry", st.Status, got, st.Error)
	}
}

// revoking is a token API whose logout takes effect after a delay, as a
// cache in front of the token store would.
func revoking(t *testing.T, delay time.Duration) *httptest.Server {
	var mu sync.Mutex
	var revoked time.Time
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"token":"t-1234567890"}`)
	})
	mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		revoked = time.Now()
		mu.Unlock()
	})
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer t-1234567890" || !revoked.IsZero() && time.Since(revoked) > delay {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, `{"user":"a"}`)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

const pollSpec = `
provider: poll
base_url: http://unused
auth: {headers: {Authorization: "Bearer {{token}}"}}
requests:
  login: {method: POST, path: /login, capture: {token: token}}
  logout: {method: POST, path: /logout}
flows:
  - name: a
    steps:
      - login: {}
      - logout: {}
      - expect-401:
          path: /me
          retry: {until: "status == 401", every: 50ms, for: %s}
`

func TestPollingUntilARevokedTokenIsRefused(t *testing.T) {
	srv := revoking(t, 300*time.Millisecond)
	f := run(t, plan(t, srv.URL, fmt.Sprintf(pollSpec, "5s")), runner.Config{}).Specs[0].Flows[0]
	st := f.Steps[2]
	if f.Status != runner.Passed {
		t.Fatalf("got %s (%s, %+v), want passed", statuses(f), st.Error, st.Checks)
	}
	got := labels(st)
	if len(got) < 3 || got[0] != "attempt 1: until false, sent again after 50ms" || got[len(got)-1] != fmt.Sprintf("attempt %d: until true", len(got)) {
		t.Errorf("labels: got %q, want attempts until one is refused", got)
	}
	if c, n := retryCheck(t, st); n != len(got) || c.Status != runner.Passed || c.Expr != "retry until status == 401" || c.Pos.Line != 15 {
		t.Errorf("retry check: got %d attempts, %s, %q at %s; want %d, passed, at line 15", n, c.Status, c.Expr, c.Pos, len(got))
	}
}

func TestPollingThatNeverHoldsFailsWithItsOperands(t *testing.T) {
	srv := revoking(t, time.Hour)
	f := run(t, plan(t, srv.URL, fmt.Sprintf(pollSpec, "300ms")), runner.Config{}).Specs[0].Flows[0]
	st := f.Steps[2]
	if st.Status != runner.Failed {
		t.Fatalf("got %s (%s), want failed", st.Status, st.Error)
	}
	c, n := retryCheck(t, st)
	if n != len(st.Exchanges) || n < 3 || c.Status != runner.Failed {
		t.Fatalf("retry check: got %d attempts of %d exchanges, %s; want several, failed", n, len(st.Exchanges), c.Status)
	}
	want := fmt.Sprintf("false after %d attempts over ", n)
	for _, got := range []string{c.Actual.Text, c.Message} {
		if !strings.HasPrefix(got, want) || !strings.HasSuffix(got, ": 200 == 401 is false") {
			t.Errorf("got %q, want %q..., then the operands: 200 == 401 is false", got, want)
		}
	}
	if last := st.Exchanges[n-1].Label; last != fmt.Sprintf("attempt %d: until false, for: 300ms is spent", n) {
		t.Errorf("last label: got %q", last)
	}
}

func TestAnInterruptedWaitEndsAtOnce(t *testing.T) {
	for _, tc := range []struct {
		name, step string
		answer     int
	}{
		{"a backoff", `{path: /x, timeout: 1m}`, 503},
		{"a poll", `{path: /x, retry: {until: "status == 204", every: 1m, for: 2m}}`, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, _ := answers(t, status(tc.answer, "50"))
			p := plan(t, srv.URL, "provider: p\nbase_url: http://unused\nretry_on: [503]\nflows:\n  - name: a\n    steps:\n      - request: "+tc.step+"\n")
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(200*time.Millisecond, cancel)
			start := time.Now()
			res := runner.Run(ctx, []*runner.Plan{p}, runner.Config{Client: noRedirects(), Retries: 3})
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("took %s, want the wait ended when the run was interrupted", took)
			}
			st := res.Specs[0].Flows[0].Steps[0]
			if !res.Interrupted || st.Status != runner.Errored || !strings.Contains(st.Error, "interrupted") {
				t.Errorf("got interrupted=%v, %s: %s; want an errored step that says it was interrupted", res.Interrupted, st.Status, st.Error)
			}
			if l := st.Exchanges[0].Label; !strings.HasSuffix(l, "interrupted during the wait") {
				t.Errorf("label: got %q", l)
			}
		})
	}
}

func TestRetrySpecErrors(t *testing.T) {
	head := "provider: p\nbase_url: http://h\nrequests:\n  login: {method: POST, path: /login, capture: {token: token}}\nflows:\n  - name: a\n    steps:\n      - login: {}\n"
	for _, tc := range []struct{ name, step, want string }{
		{"unknown key", `      - call: {path: /x, retry: {untill: "status == 200"}}`,
			`test.yaml:9:34: flow "a": step 2 (call): retry: unknown key "untill" (did you mean "until"?); known keys: until, every, for`},
		{"until missing", `      - call: {path: /x, retry: {every: 1s}}`,
			`test.yaml:9:33: flow "a": step 2 (call): retry: missing required key "until"`},
		{"every too short", `      - call: {path: /x, retry: {until: "status == 200", every: 5ms}}`,
			`test.yaml:9:65: flow "a": step 2 (call): retry: every: 5ms is too short; pause at least 10ms between attempts`},
		{"for too long", `      - call: {path: /x, retry: {until: "status == 200", for: 1h}}`,
			`test.yaml:9:63: flow "a": step 2 (call): retry: for: 1h0m0s is out of bounds; give more than 0s and at most 10m0s`},
		{"every longer than for", `      - call: {path: /x, retry: {until: "status == 200", every: 10s, for: 5s}}`,
			`test.yaml:9:33: flow "a": step 2 (call): retry: every: 10s is longer than for: 5s`},
		{"until not boolean", `      - call: {path: /x, retry: {until: "status"}}`,
			`test.yaml:9:41: flow "a": step 2 (call): retry: until "status": expected bool, but got int`},
		{"until reads a capture", `      - call: {path: /x, capture: {id: id}, retry: {until: "id != nil"}}`,
			`test.yaml:9:60: flow "a": step 2 (call): retry: until "id != nil": unknown name id (1:1); id is this step's capture, taken from its last answer only: read the answer itself, json("id")`},
		{"not on a wait", `      - wait: {duration: 1s, retry: {until: "true"}}`,
			`test.yaml:9:30: flow "a": step 2 (wait): unknown key "retry"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec, err := flows.Parse("test.yaml", []byte(head+tc.step+"\n"), func(string) (string, bool) { return "", false })
			if err == nil {
				_, err = runner.Compile(spec)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got  %v\nwant %q", err, tc.want)
			}
		})
	}
}
