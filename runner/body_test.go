package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/flowrun/flowrun/flows"
)

// bodyPlan compiles a spec written inline, pointed at baseURL.
func bodyPlan(t *testing.T, baseURL, src string) *Plan {
	t.Helper()
	spec, err := flows.Parse("body.yaml", []byte(src), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	p, err := Compile(spec)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	p.BaseURL = baseURL
	return p
}

// bodyRun runs p against srv, keeping every body.
func bodyRun(p *Plan, srv *httptest.Server, cfg Config) *Result {
	cfg.Client = srv.Client()
	cfg.Client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	cfg.KeepBodies = true
	return Run(context.Background(), []*Plan{p}, cfg)
}

// bodyFlow returns the named flow's result.
func bodyFlow(t *testing.T, r *Result, name string) FlowResult {
	t.Helper()
	for _, f := range r.Specs[0].Flows {
		if f.Name == name {
			return f
		}
	}
	t.Fatalf("no flow %q in the result", name)
	return FlowResult{}
}

// zeros is an endless body.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// counted counts the bytes read of r.
type counted struct {
	r io.Reader
	n int64
}

func (c *counted) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func TestReadResponseReadsNoMoreThanTheLimit(t *testing.T) {
	const limit = 1024
	for _, tc := range []struct {
		name     string
		body     io.Reader
		length   int64 // Content-Length; -1 for none
		wantLen  int
		tooLarge bool
	}{
		{"endless, no length", zeros{}, -1, limit, true},
		{"endless, announced larger", zeros{}, 1 << 40, limit, true},
		{"endless, announced smaller", zeros{}, 10, limit, true},
		{"one byte over", io.LimitReader(zeros{}, limit+1), limit + 1, limit, true},
		{"the limit exactly", io.LimitReader(zeros{}, limit), limit, limit, false},
		{"the limit exactly, no length", io.LimitReader(zeros{}, limit), -1, limit, false},
		{"smaller", strings.NewReader("hello"), 5, 5, false},
		{"empty", strings.NewReader(""), 0, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &counted{r: tc.body}
			b, err := readResponse(&http.Response{Body: io.NopCloser(c), ContentLength: tc.length}, limit)
			var big *tooLarge
			if got := errors.As(err, &big); got != tc.tooLarge {
				t.Errorf("error: got %v, want too large %v", err, tc.tooLarge)
			}
			if tc.tooLarge && err.Error() != "the response body is larger than 1 KiB" {
				t.Errorf("error: got %q, want %q", err, "the response body is larger than 1 KiB")
			}
			if len(b) != tc.wantLen {
				t.Errorf("body: got %d bytes, want %d", len(b), tc.wantLen)
			}
			if c.n > limit+1 {
				t.Errorf("read: got %d bytes, want at most the limit and one more, %d", c.n, limit+1)
			}
		})
	}
}

// hugeServer answers /huge with a body of 200 MiB, announced or not,
// written until the client stops reading, and /small with a short one.
// written counts what /huge managed to write.
func hugeServer(t *testing.T, written *atomic.Int64) *httptest.Server {
	const size = 200 << 20
	mux := http.NewServeMux()
	mux.HandleFunc("/huge", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("X-Trace", "trace-4711")
		if r.URL.Query().Get("length") != "" {
			w.Header().Set("Content-Length", fmt.Sprint(size))
		}
		chunk := []byte(strings.Repeat("x", 64<<10))
		for n := 0; n < size; n += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
			written.Add(int64(len(chunk)))
		}
	})
	mux.HandleFunc("/small", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"ok":true}`)
	})
	return httptest.NewServer(mux)
}

func TestOversizedBodyErrsTheStepAndKeepsTheResponse(t *testing.T) {
	for _, tc := range []struct {
		name      string
		limit     int64 // Config.Limits.Body; 0: the default
		query     string
		want      int64
		wantError string
		truncated bool
	}{
		{"200 MiB, announced, the default limit", 0, "?length=1", 10 << 20,
			"the response body is larger than 10 MiB (--max-body); its first 10 MiB were read", true},
		{"200 MiB, chunked, the default limit", 0, "", 10 << 20,
			"the response body is larger than 10 MiB (--max-body); its first 10 MiB were read", true},
		{"200 MiB, a limit of 1 KiB", 1 << 10, "", 1 << 10,
			"the response body is larger than 1 KiB (--max-body); its first 1 KiB were read", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var written atomic.Int64
			srv := hugeServer(t, &written)
			p := bodyPlan(t, srv.URL, `
provider: huge
base_url: http://unused
flows:
  - name: huge
    steps:
      - request: {path: "/huge`+tc.query+`", expect: {status: 200}}
  - name: small
    steps:
      - request: {path: /small, expect: {assert: ['json("ok") == true']}}
`)
			res := bodyRun(p, srv, Config{Limits: flows.Limits{Body: tc.limit}})
			srv.Close() // waits for the handler, which must have stopped writing
			if w := written.Load(); w >= 100<<20 {
				t.Errorf("server wrote %d bytes, want far less than its 200 MiB: the client kept reading", w)
			}
			if f := bodyFlow(t, res, "small"); f.Status != Passed {
				t.Errorf("small: got %s, want passed", f.Status)
			}
			st := bodyFlow(t, res, "huge").Steps[0]
			if st.Status != Errored || st.Error != tc.wantError {
				t.Fatalf("step: got %s %q, want %s %q", st.Status, st.Error, Errored, tc.wantError)
			}
			if len(st.Exchanges) != 1 || st.Exchanges[0].Response == nil {
				t.Fatalf("exchanges: got %+v, want one with its response", st.Exchanges)
			}
			r := st.Exchanges[0].Response
			if r.Status != 200 || r.BodyLimit != tc.want || r.Body.Size != int(tc.want) || r.Body.Truncated != tc.truncated {
				t.Errorf("response: got status %d, limit %d, size %d, truncated %v; want 200, %d, %d, %v",
					r.Status, r.BodyLimit, r.Body.Size, r.Body.Truncated, tc.want, tc.want, tc.truncated)
			}
			if !strings.HasPrefix(r.Body.Text, "xxxx") {
				t.Errorf("body: got %.20q, want its first bytes", r.Body.Text)
			}
			found := false
			for _, h := range r.Headers {
				found = found || h.Name == "X-Trace" && h.Value == "trace-4711"
			}
			if !found {
				t.Errorf("headers: got %v, want X-Trace among them", r.Headers)
			}
		})
	}
}

// notJSONCase is a body served at /body/NAME and what a check reading it
// as JSON says of it.
type notJSONCase struct {
	name, ctype, body string
	want              string
}

var notJSONCases = []notJSONCase{
	{"html", "text/html; charset=utf-8", "<html><body>oops</body></html>",
		"body is not JSON (text/html, 30 bytes): <html><body>oops</body></html>"},
	{"truncated", "application/json", `{"name":"alice","roles":["ad`,
		"body is not JSON (application/json, 28 bytes): unexpected end of JSON input after byte 28"},
	{"empty", "application/json", "",
		"body is not JSON (application/json, 0 bytes): the body is empty"},
	{"blank", "application/json", " \n",
		"body is not JSON (application/json, 2 bytes): the body is only white space"},
	{"plain text", "text/plain", "Service Unavailable\n",
		"body is not JSON (text/plain, 20 bytes): Service Unavailable"},
	{"no content type", "", "upstream connect error",
		"body is not JSON (no Content-Type, 22 bytes): upstream connect error"},
	{"a stray comma", "application/json", `{"name": "alice",}`,
		`body is not JSON (application/json, 18 bytes): invalid character '}' looking for beginning of object key string after byte 18: {"name": "alice",}`},
	{"control characters", "text/plain", "line one\r\nline\ttwo \x00\x1b[31m\xff\u202e",
		`body is not JSON (text/plain, 29 bytes): line one\r\nline\ttwo \x00\x1b[31m\xff\u202e`},
	{"long", "text/html", "<p>" + strings.Repeat("a", 100) + "</p>",
		"body is not JSON (text/html, 107 bytes): <p>" + strings.Repeat("a", 77) + "…"},
	{"a secret", "text/html", "<p>key BodySecret-4711-abcdef</p>",
		"body is not JSON (text/html, 33 bytes): <p>key <key#MARK></p>"},
	{"a secret across the cut", "text/html", strings.Repeat(".", 75) + "BodySecret-4711-abcdef",
		"body is not JSON (text/html, 97 bytes): " + strings.Repeat(".", 75) + "<key#…"},
}

// hideMark hides a secret's fingerprint, which is keyed per run.
func hideMark(s string) string {
	if i := strings.Index(s, "<key#"); i >= 0 && len(s) >= i+10 && s[i+9] == '>' {
		return s[:i] + "<key#MARK>" + s[i+10:]
	}
	return s
}

func notJSONServer(t *testing.T) *httptest.Server {
	mux := http.NewServeMux()
	for _, tc := range notJSONCases {
		mux.HandleFunc("/body/"+strings.ReplaceAll(tc.name, " ", "-"), func(w http.ResponseWriter, r *http.Request) {
			w.Header()["Content-Type"] = nil // no sniffing: a case without a type has none
			if tc.ctype != "" {
				w.Header().Set("Content-Type", tc.ctype)
			}
			fmt.Fprint(w, tc.body)
		})
	}
	mux.HandleFunc("/json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"other": 1}`)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestChecksOnABodyThatIsNotJSON(t *testing.T) {
	srv := notJSONServer(t)
	var spec strings.Builder
	spec.WriteString(`
provider: bodies
base_url: http://unused
vars: {key: BodySecret-4711-abcdef}
secrets: [key]
flows:
`)
	reads := map[string]string{
		"json()":   `request: {path: /body/%s, expect: {assert: ['json("name") == "alice"']}}`,
		"body":     `request: {path: /body/%s, expect: {assert: ['body.name == "alice"']}}`,
		"errored":  `request: {path: /body/%s, expect: {assert: ['json("count") > 3']}}`,
		"not bool": `request: {path: /body/%s, expect: {assert: ['json("ok")']}}`,
		"capture":  `request: {path: /body/%s, capture: {name: user.name}}`,
	}
	for _, tc := range notJSONCases {
		for read, step := range reads {
			fmt.Fprintf(&spec, "  - name: %s %s\n    steps:\n      - "+step+"\n", read, tc.name, strings.ReplaceAll(tc.name, " ", "-"))
		}
	}
	res := bodyRun(bodyPlan(t, srv.URL, spec.String()), srv, Config{})
	for _, tc := range notJSONCases {
		for read := range reads {
			name := read + " " + tc.name
			t.Run(name, func(t *testing.T) {
				f := bodyFlow(t, res, name)
				c := f.Steps[0].Checks[len(f.Steps[0].Checks)-1]
				if f.Status != Failed || c.Status != Failed {
					t.Errorf("got flow %s, check %s, want both failed", f.Status, c.Status)
				}
				if got := hideMark(c.Message); got != tc.want {
					t.Errorf("message: got %q, want %q", got, tc.want)
				}
				if c.Kind == CheckCapture && hideMark(c.Actual.Text) != tc.want {
					t.Errorf("actual: got %q, want %q", c.Actual.Text, tc.want)
				}
				if strings.Contains(c.Message, "BodySec") {
					t.Errorf("message shows the secret: %q", c.Message)
				}
			})
		}
	}
}

func TestOtherChecksOnABodyThatIsNotJSONAreUnchanged(t *testing.T) {
	srv := notJSONServer(t)
	res := bodyRun(bodyPlan(t, srv.URL, `
provider: bodies
base_url: http://unused
flows:
  - name: status
    steps:
      - request: {path: /body/html, expect: {status: 201}}
  - name: header
    steps:
      - request: {path: /body/html, expect: {assert: ['header("Content-Type") == "application/json"']}}
  - name: text
    steps:
      - request: {path: /body/html, expect: {assert: ['text contains "fine"']}}
  - name: passes
    steps:
      - request: {path: /body/html, expect: {assert: ['json("error") == nil', 'text contains "oops"']}}
  - name: JSON without the key
    steps:
      - request: {path: /json, expect: {assert: ['json("name") == "alice"']}}
  - name: JSON without the path
    steps:
      - request: {path: /json, capture: {name: user.name}}
`), srv, Config{})
	for _, tc := range []struct {
		flow   string
		status Status
		text   string // the last check's message, or for a status or capture its actual value
	}{
		{"status", Failed, "200"},
		{"header", Failed, `"text/html; charset=utf-8" == "application/json" is false`},
		{"text", Failed, `"<html><body>oops</body></html>" contains "fine" is false`},
		{"passes", Passed, ""},
		{"JSON without the key", Failed, `nil == "alice" is false`},
		{"JSON without the path", Failed, "nothing there"},
	} {
		f := bodyFlow(t, res, tc.flow)
		checks := f.Steps[0].Checks
		c := checks[len(checks)-1]
		got := c.Message
		if c.Kind != CheckAssert {
			got = c.Actual.Text
		}
		if f.Status != tc.status || got != tc.text {
			t.Errorf("%s: got %s %q, want %s %q", tc.flow, f.Status, got, tc.status, tc.text)
		}
	}
}

func TestOneLine(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"plain", 80, "plain"},
		{"  \n trimmed \n", 80, "trimmed"},
		{"a\nb\rc\td", 80, `a\nb\rc\td`},
		{"nul\x00 esc\x1b del\x7f", 80, `nul\x00 esc\x1b del\x7f`},
		{"bad \xff\xfe utf-8", 80, `bad \xff\xfe utf-8`},
		{"bidi \u202e nb\u00a0sp", 80, `bidi \u202e nb\u00a0sp`},
		{"héllo wörld", 80, "héllo wörld"},
		{"abcdef", 3, "abc…"},
		{"äöüß", 2, "äö…"},
		{"abc", 3, "abc"},
	} {
		if got := oneLine(tc.in, tc.n); got != tc.want {
			t.Errorf("oneLine(%q, %d): got %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}
