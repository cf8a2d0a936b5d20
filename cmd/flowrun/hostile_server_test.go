package main

import (
	"bufio"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/flowrun/flowrun/internal/reporttest"
	"github.com/flowrun/flowrun/runner"
)

// rawServer serves each TCP connection with handle, for what an HTTP
// handler cannot do: reset a connection, or never answer. stop closes the
// listener and every connection, and waits for their goroutines.
func rawServer(t *testing.T, handle func(c *net.TCPConn)) (url string, stop func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		conns  []net.Conn
		closed bool
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			if closed {
				c.Close()
			}
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				handle(c.(*net.TCPConn))
			}()
		}
	}()
	return "http://" + ln.Addr().String(), func() {
		ln.Close()
		mu.Lock()
		closed = true
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	}
}

// readRequest reads a request's head off c, as a server does first.
func readRequest(c net.Conn) *bufio.Reader {
	r := bufio.NewReader(c)
	if req, err := http.ReadRequest(r); err == nil {
		io.Copy(io.Discard, req.Body)
	}
	return r
}

// httpServer serves h; stop closes it, waiting for its handlers.
func httpServer(h http.HandlerFunc) (string, func()) {
	srv := httptest.NewServer(h)
	return srv.URL, srv.Close
}

// hostileCase is a server that misbehaves one way, the step that meets
// it, and what flowrun must say of it.
type hostileCase struct {
	name   string
	server func(t *testing.T) (url string, stop func())
	// step is the hostile flow's one step; URL stands for the server's.
	step string
	args []string
	// status is the hostile flow's: failed when the server's answer is
	// not what the spec expects, errored when there is no answer to judge.
	status runner.Status
	// want are the phrases the terminal output must hold, each on one line.
	want []string
	// check looks further at the JSON report, if set.
	check func(t *testing.T, res runner.Result)
}

var hostileCases = []hostileCase{
	{
		name: "connection refused",
		server: func(t *testing.T) (string, func()) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			url := "http://" + ln.Addr().String()
			ln.Close() // nothing listens there now
			return url, func() {}
		},
		step:   `request: {url: "URL/me"}`,
		status: runner.Errored,
		want:   []string{"connect: connection refused"},
	},
	{
		name: "reset mid-body",
		server: func(t *testing.T) (string, func()) {
			return rawServer(t, func(c *net.TCPConn) {
				readRequest(c)
				fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n%s", strings.Repeat(" ", 50))
				time.Sleep(200 * time.Millisecond) // the client has read the head and waits for the rest
				c.SetLinger(0)                     // closing now sends a reset
			})
		},
		step:   `request: {url: "URL/me"}`,
		status: runner.Errored,
		want:   []string{"the body of the 200 response broke off after 50 of 100 bytes", "connection reset by peer"},
	},
	{
		name: "headers that never come",
		server: func(t *testing.T) (string, func()) {
			return rawServer(t, func(c *net.TCPConn) {
				io.Copy(io.Discard, readRequest(c)) // until the client gives up
			})
		},
		step:   `request: {url: "URL/me"}`,
		status: runner.Errored,
		args:   []string{"--timeout", "300ms"},
		want:   []string{"no answer within the step's timeout of 300ms"},
	},
	{
		name: "a trickling body",
		server: func(t *testing.T) (string, func()) {
			return httpServer(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusOK)
				for range 100 { // a byte every 100ms, far beyond the timeout
					if _, err := w.Write([]byte(" ")); err != nil {
						return
					}
					w.(http.Flusher).Flush()
					select {
					case <-r.Context().Done():
						return
					case <-time.After(100 * time.Millisecond):
					}
				}
			})
		},
		step:   `request: {url: "URL/me"}`,
		status: runner.Errored,
		args:   []string{"--timeout", "350ms"},
		want:   []string{"the body of the 200 response did not end within the step's timeout of 350ms"},
	},
	{
		name: "truncated JSON",
		server: func(t *testing.T) (string, func()) {
			return httpServer(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprint(w, `{"name":"alice","ro`)
			})
		},
		step:   `request: {url: "URL/me", expect: {assert: ['json("name") == "alice"']}}`,
		status: runner.Failed,
		want:   []string{`json("name") == "alice": expected true, got body is not JSON (application/json, 19 bytes): unexpected end of JSON input after byte 19`},
	},
	{
		name: "HTML where JSON was expected",
		server: func(t *testing.T) (string, func()) {
			return httpServer(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				fmt.Fprint(w, "<html><body>oops</body></html>")
			})
		},
		step:   `request: {url: "URL/me", capture: {name: user.name}}`,
		status: runner.Failed,
		want:   []string{"capture name: expected a value at user.name, got body is not JSON (text/html, 30 bytes): <html><body>oops</body></html>"},
	},
	{
		name:   "an oversized body",
		server: func(t *testing.T) (string, func()) { return httpServer(hugeBody) },
		step:   `request: {url: "URL/me"}`,
		status: runner.Errored,
		args:   []string{"--max-body", "1KiB"},
		want: []string{"error: the response body is larger than 1 KiB (--max-body); its first 1 KiB were read",
			"response: 200", "X-Trace: trace-4711", "… (larger than 1024 bytes, the most read of a body; only these were read)"},
		check: oversized(1 << 10),
	},
	{
		name:   "200 MiB at the default limit",
		server: func(t *testing.T) (string, func()) { return httpServer(hugeBody) },
		step:   `request: {url: "URL/me"}`,
		status: runner.Errored,
		want: []string{"error: the response body is larger than 10 MiB (--max-body); its first 10 MiB were read",
			"response: 200", "X-Trace: trace-4711", "… (larger than 10485760 bytes, the most read of a body; the first 4096 shown)"},
		check: oversized(10 << 20),
	},
	{
		name: "a redirect loop",
		server: func(t *testing.T) (string, func()) {
			return httpServer(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, r.URL.Path, http.StatusFound)
			})
		},
		step:   `request: {url: "URL/me"}`,
		status: runner.Failed,
		want:   []string{"status: expected 2xx, got 302", "Location: /me"},
	},
	{
		name: "close after the headers",
		server: func(t *testing.T) (string, func()) {
			return rawServer(t, func(c *net.TCPConn) {
				readRequest(c)
				fmt.Fprint(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n")
			})
		},
		step:   `request: {url: "URL/me"}`,
		status: runner.Errored,
		want:   []string{"the body of the 200 response broke off after 0 of 100 bytes: unexpected EOF"},
	},
	{
		name:   "429 with Retry-After, no retries",
		server: busy(http.StatusTooManyRequests),
		step:   `request: {url: "URL/me"}`,
		status: runner.Failed,
		want:   []string{"status: expected 2xx, got 429", "Retry-After: 1"},
	},
	{
		name:   "429 with Retry-After, two retries",
		server: busy(http.StatusTooManyRequests),
		step:   `request: {url: "URL/me"}`,
		status: runner.Failed,
		args:   []string{"--retries", "2"},
		want: []string{"attempt 1 of 3: 429, retried after 1s (Retry-After)", "attempt 2 of 3: 429, retried after 1s (Retry-After)",
			"attempt 3 of 3: 429, no retries left"},
		check: waitedBetween(3, time.Second),
	},
	{
		name:   "503 with Retry-After, no retries",
		server: busy(http.StatusServiceUnavailable),
		step:   `request: {url: "URL/me"}`,
		status: runner.Failed,
		want:   []string{"status: expected 2xx, got 503", "Retry-After: 1"},
	},
	{
		name:   "503 with Retry-After, two retries",
		server: busy(http.StatusServiceUnavailable),
		step:   `request: {url: "URL/me"}`,
		status: runner.Failed,
		args:   []string{"--retries", "2"},
		want: []string{"attempt 1 of 3: 503, retried after 1s (Retry-After)", "attempt 2 of 3: 503, retried after 1s (Retry-After)",
			"attempt 3 of 3: 503, no retries left"},
		check: waitedBetween(3, time.Second),
	},
}

// hugeBody answers with 200 MiB, written until the client stops reading.
func hugeBody(w http.ResponseWriter, r *http.Request) {
	const size = 200 << 20
	w.Header().Set("Content-Type", "text/plain")
	w.Header().Set("Content-Length", fmt.Sprint(size))
	w.Header().Set("X-Trace", "trace-4711")
	chunk := []byte(strings.Repeat("x", 64<<10))
	for n := 0; n < size; n += len(chunk) {
		if _, err := w.Write(chunk); err != nil {
			return
		}
	}
}

// oversized checks that the JSON report keeps the status, the headers and
// the first bytes of a body larger than limit.
func oversized(limit int64) func(t *testing.T, res runner.Result) {
	return func(t *testing.T, res runner.Result) {
		st := hostileStep(t, res)
		if st.Status != runner.Errored || len(st.Exchanges) != 1 || st.Exchanges[0].Response == nil {
			t.Fatalf("JSON report: got step %s with exchanges %+v, want errored with its response", st.Status, st.Exchanges)
		}
		r := st.Exchanges[0].Response
		trace := false
		for _, h := range r.Headers {
			trace = trace || h.Name == "X-Trace" && h.Value == "trace-4711"
		}
		if r.Status != 200 || !trace || r.BodyLimit != limit || int64(r.Body.Size) != limit || !strings.HasPrefix(r.Body.Text, "xxx") {
			t.Errorf("JSON report: got status %d, X-Trace %v, body limit %d, size %d, text %.10q; want 200, true, %d, %d, x…",
				r.Status, trace, r.BodyLimit, r.Body.Size, r.Body.Text, limit, limit)
		}
	}
}

// busy answers status with Retry-After: 1, every time.
func busy(status int) func(t *testing.T) (string, func()) {
	return func(t *testing.T) (string, func()) {
		return httpServer(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(status)
		})
	}
}

// waitedBetween checks, in the JSON report, that the step was sent n
// times at least wait apart.
func waitedBetween(n int, wait time.Duration) func(t *testing.T, res runner.Result) {
	return func(t *testing.T, res runner.Result) {
		xs := hostileStep(t, res).Exchanges
		if len(xs) != n {
			t.Fatalf("JSON report: got %d exchanges, want %d", len(xs), n)
		}
		for i := 1; i < n; i++ {
			if gap := xs[i].Started.Sub(xs[i-1].Started); gap < wait {
				t.Errorf("attempt %d: got %s after the one before, want at least the Retry-After of %s", i+1, gap, wait)
			}
		}
	}
}

func hostileStep(t *testing.T, res runner.Result) runner.StepResult {
	t.Helper()
	for _, f := range res.Specs[0].Flows {
		if f.Name == "hostile" && len(f.Steps) == 1 {
			return f.Steps[0]
		}
	}
	t.Fatal("JSON report: no hostile flow with one step")
	return runner.StepResult{}
}

func TestHostileServers(t *testing.T) {
	for _, tc := range hostileCases {
		t.Run(tc.name, func(t *testing.T) {
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
			healthy, stopHealthy := httpServer(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprint(w, `{"ok":true}`)
			})
			defer stopHealthy()
			url, stop := tc.server(t)
			defer stop()
			spec := writeSpec(t, fmt.Sprintf(`provider: hostile
base_url: %s
retry_on: [429, 503]
flows:
  - name: hostile
    steps:
      - %s
  - name: healthy
    steps:
      - request: {path: /ok, expect: {assert: ['json("ok") == true']}}
`, healthy, strings.ReplaceAll(tc.step, "URL", url)))
			dir := t.TempDir()
			jsonFile, junitFile := filepath.Join(dir, "report.json"), filepath.Join(dir, "junit.xml")
			args := append([]string{"run", spec, "--no-color", "--report-json", jsonFile, "--report-junit", junitFile}, tc.args...)
			code, stdout, stderr := cli(t, context.Background(), nil, args...)
			if code != exitFailed {
				t.Errorf("exit code: got %d, want %d\n%s%s", code, exitFailed, stdout, stderr)
			}
			for _, want := range tc.want {
				if !strings.Contains(stdout, want) {
					t.Errorf("output: got\n%s\nwant a line with %q", stdout, want)
				}
			}
			res := hostileReports(t, jsonFile, junitFile)
			for _, f := range res.Specs[0].Flows {
				want := map[string]runner.Status{"hostile": tc.status, "healthy": runner.Passed}[f.Name]
				if f.Status != want {
					t.Errorf("flow %q: got %s, want %s", f.Name, f.Status, want)
				}
			}
			if tc.check != nil {
				tc.check(t, res)
			}
		})
	}
}

// hostileReports checks that both reports were written and parse, and
// returns the result the JSON report holds.
func hostileReports(t *testing.T, jsonFile, junitFile string) runner.Result {
	t.Helper()
	doc, err := os.ReadFile(jsonFile)
	if err != nil {
		t.Fatalf("JSON report: %v", err)
	}
	reporttest.ValidateJSON(t, doc)
	var res runner.Result
	if err := json.Unmarshal(doc, &res); err != nil || len(res.Specs) != 1 || len(res.Specs[0].Flows) != 2 {
		t.Fatalf("JSON report: got %v with %d specs, want one spec of two flows", err, len(res.Specs))
	}
	x, err := os.ReadFile(junitFile)
	if err != nil {
		t.Fatalf("JUnit report: %v", err)
	}
	var suites struct {
		Suites []struct {
			Tests int `xml:"tests,attr"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(x, &suites); err != nil || len(suites.Suites) != 1 || suites.Suites[0].Tests != 2 {
		t.Errorf("JUnit report: got %v, %+v, want one suite of two tests", err, suites.Suites)
	}
	return res
}
