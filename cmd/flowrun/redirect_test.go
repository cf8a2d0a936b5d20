package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"
)

// jsonResult is what the redirect and TLS tests read of a JSON report.
type jsonResult struct {
	Specs []struct {
		File  string
		Flows []struct {
			Name   string
			Status string
			Steps  []struct {
				Status    string
				Error     string
				Exchanges []struct {
					Label   string
					Error   string
					Request struct {
						URL     string
						Headers []struct{ Name, Value string }
					}
					Response *struct{ Status int }
				}
			}
		}
	}
}

func readJSONReport(t *testing.T, path string) *jsonResult {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r jsonResult
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

// flowStatus returns the status of the flow named name of the spec file.
func (r *jsonResult) flowStatus(file, name string) string {
	for _, s := range r.Specs {
		for _, f := range s.Flows {
			if s.File == file && f.Name == name {
				return f.Status
			}
		}
	}
	return "absent"
}

// seen is what a test server saw of the requests it got.
type seen struct {
	mu   sync.Mutex
	reqs map[string]*http.Request // by path
}

func (s *seen) record(r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.reqs == nil {
		s.reqs = map[string]*http.Request{}
	}
	s.reqs[r.URL.Path] = r.Clone(context.Background())
}

func (s *seen) get(path string) *http.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reqs[path]
}

// redirectSpec attaches credentials every way flowrun can: auth headers
// (a standard one and a custom one), an auth query parameter, a spec
// header that carries a secret variable, and a cookie.
const redirectSpec = `provider: demo
base_url: ${API_URL}
vars:
  api_key: key-0123456789
  token: tok-abcdefghijkl
  identity: id-4242424242
secrets: [api_key, token, identity]
headers:
  identityId: "{{identity}}"
  Accept: application/json
auth:
  headers:
    Authorization: Bearer {{token}}
    x-api-key: "{{api_key}}"
  query:
    access_token: "{{token}}"
flows:
  - name: to another host
    steps:
      - call: {path: /cookie, expect: {status: 200}}
      - call: {path: /away, expect: {status: 200}}
  - name: on the same host
    steps:
      - call: {path: /here, expect: {status: 200}}
  - name: a loop
    steps:
      - call: {path: /loop, expect: {status: 200}}
`

func TestFollowRedirects(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	var got, otherGot seen
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		otherGot.record(r)
		w.Write([]byte("{}"))
	}))
	defer other.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.record(r)
		q := r.URL.Query()
		switch r.URL.Path {
		case "/cookie":
			http.SetCookie(w, &http.Cookie{Name: "sid", Value: "cookie-987654321", Path: "/"})
			w.Write([]byte("{}"))
		case "/away":
			// Sends the query on, credentials and all, as some servers do.
			http.Redirect(w, r, other.URL+"/landing?"+r.URL.RawQuery+"&page=2", http.StatusFound)
		case "/here":
			http.SetCookie(w, &http.Cookie{Name: "sid", Value: "cookie-987654321", Path: "/"})
			http.Redirect(w, r, "/landing?"+r.URL.RawQuery, http.StatusFound)
		case "/loop":
			http.Redirect(w, r, "/loop?n="+q.Get("n")+"x", http.StatusFound)
		default:
			w.Write([]byte("{}"))
		}
	}))
	defer api.Close()
	dir := t.TempDir()
	spec := writeFile(t, dir, "spec.yaml", []byte(redirectSpec))
	reportFile := filepath.Join(dir, "report.json")
	code, stdout, stderr := cli(t, context.Background(), map[string]string{"API_URL": api.URL},
		"run", spec, "--no-color", "--follow-redirects", "--retries", "2", "--report-json", reportFile)
	if code != exitFailed {
		t.Fatalf("exit code: got %d, want %d (the loop errs)\n%s%s", code, exitFailed, stdout, stderr)
	}
	res := readJSONReport(t, reportFile)
	for _, tc := range []struct{ flow, want string }{
		{"to another host", "passed"},
		{"on the same host", "passed"},
		{"a loop", "error"},
	} {
		if s := res.flowStatus(spec, tc.flow); s != tc.want {
			t.Errorf("flow %q: got %s, want %s\n%s", tc.flow, s, tc.want, stdout)
		}
	}

	credentials := []string{"Authorization", "X-Api-Key", "Identityid", "Cookie", "Referer"}
	away := otherGot.get("/landing")
	if away == nil || away.Host != strings.TrimPrefix(other.URL, "http://") {
		t.Fatalf("the other host got no /landing: %v", away)
	}
	for _, h := range credentials {
		if v := away.Header.Get(h); v != "" {
			t.Errorf("the other host got %s: %s, want no such header", h, v)
		}
	}
	if q := away.URL.Query(); q.Has("access_token") || q.Get("page") != "2" {
		t.Errorf("the other host got the query %q, want page=2 and no access_token", away.URL.RawQuery)
	}
	if v := away.Header.Get("Accept"); v != "application/json" {
		t.Errorf("the other host got Accept: %q, want application/json: only credentials are dropped", v)
	}
	t.Run("the same host keeps them", func(t *testing.T) {
		here := got.get("/landing")
		if here == nil {
			t.Fatal("the API got no /landing")
		}
		for h, want := range map[string]string{"Authorization": "Bearer tok-abcdefghijkl", "X-Api-Key": "key-0123456789",
			"Identityid": "id-4242424242", "Cookie": "sid=cookie-987654321"} {
			if v := here.Header.Get(h); v != want {
				t.Errorf("got %s: %q, want %q", h, v, want)
			}
		}
		if v := here.URL.Query().Get("access_token"); v != "tok-abcdefghijkl" {
			t.Errorf("got access_token=%q, want the token", v)
		}
	})

	// Each hop is an exchange of its step; the last is the one judged.
	xs := res.Specs[0].Flows[0].Steps[1].Exchanges
	if len(xs) != 2 {
		t.Fatalf("the step has %d exchanges, want 2 (the redirect, then its end)", len(xs))
	}
	if want := "redirect 1 to another host; not sent on: Authorization, Cookie, Identityid, Referer, X-Api-Key, query access_token"; xs[0].Label != want {
		t.Errorf("first exchange: got label %q, want %q", xs[0].Label, want)
	}
	if xs[0].Response == nil || xs[0].Response.Status != http.StatusFound || !strings.HasPrefix(xs[0].Request.URL, api.URL+"/away") {
		t.Errorf("first exchange: got %s answered %v, want %s/away answered 302", xs[0].Request.URL, xs[0].Response, api.URL)
	}
	if !strings.HasPrefix(xs[1].Request.URL, other.URL+"/landing") || xs[1].Label != "" {
		t.Errorf("last exchange: got %q at %s, want the step's own at %s/landing", xs[1].Label, xs[1].Request.URL, other.URL)
	}
	if out, _ := os.ReadFile(reportFile); strings.Contains(string(out), "cookie-987654321") || strings.Contains(string(out), "tok-abcdefghijkl") {
		t.Errorf("the report shows a secret")
	}

	loop := res.Specs[0].Flows[2].Steps[0]
	if want := "stopped after 10 redirects; the next would have gone to " + api.URL + "/loop?n=xxxxxxxxxxx; not sent again: the same redirects would come again"; loop.Error != want || strings.Contains(loop.Error, "\n") {
		t.Errorf("loop: got error %q, want %q", loop.Error, want)
	}
	if n := len(loop.Exchanges); n != 11 {
		t.Errorf("loop: got %d exchanges, want 11: 10 redirects followed, and the last request, never sent again by --retries", n)
	}
}

// TestRedirectsNotFollowed checks the default: a step sees the redirect.
func TestRedirectsNotFollowed(t *testing.T) {
	var paths []string
	var mu sync.Mutex
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
		http.Redirect(w, r, "/landing", http.StatusFound)
	}))
	defer api.Close()
	spec := writeFile(t, t.TempDir(), "spec.yaml", []byte(helloSpec("")))
	code, stdout, stderr := cli(t, context.Background(), map[string]string{"API_URL": api.URL}, "run", spec, "--no-color")
	if code != exitFailed {
		t.Fatalf("exit code: got %d, want %d\n%s%s", code, exitFailed, stdout, stderr)
	}
	if !strings.Contains(stdout, "expected 200, got 302") || !slices.Equal(paths, []string{"/hello"}) {
		t.Errorf("got requests %v and output:\n%s\nwant only /hello, answered 302", paths, stdout)
	}
}

// TestRedirectWithBody checks a 307, which sends the body again: on the
// same host it is followed, and to another host it is not when the body
// holds a credential.
func TestRedirectWithBody(t *testing.T) {
	var otherGot seen
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		otherGot.record(r)
		w.Write([]byte("{}"))
	}))
	defer other.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/away":
			http.Redirect(w, r, other.URL+"/landing", http.StatusTemporaryRedirect)
		case "/here":
			http.Redirect(w, r, "/landing", http.StatusTemporaryRedirect)
		case "/cookie-away":
			http.SetCookie(w, &http.Cookie{Name: "sid", Value: "cookie-987654321", Path: "/"})
			http.Redirect(w, r, other.URL+"/cookie-landing", http.StatusFound)
		default:
			if r.ParseForm(); r.PostForm.Get("password") != "pw-0123456789" {
				http.Error(w, "no password", http.StatusBadRequest)
				return
			}
			w.Write([]byte("{}"))
		}
	}))
	defer api.Close()
	spec := writeFile(t, t.TempDir(), "spec.yaml", []byte(`provider: demo
base_url: ${API_URL}
vars: {password: pw-0123456789}
secrets: [password]
flows:
  - name: same host
    steps:
      - request: {method: POST, path: /here, form: {password: "{{password}}"}, expect: {status: 200}}
  - name: another host
    steps:
      - request: {method: POST, path: /away, form: {password: "{{password}}"}, expect: {status: 200}}
  - name: a cookie set on the way
    steps:
      - request: {path: /cookie-away}
`))
	code, stdout, stderr := cli(t, context.Background(), map[string]string{"API_URL": api.URL}, "run", spec, "--no-color", "--follow-redirects")
	if code != exitFailed {
		t.Fatalf("exit code: got %d, want %d\n%s%s", code, exitFailed, stdout, stderr)
	}
	want := "error: not following a redirect to another host: it would send the request body again, and the body holds credentials (307 to " + other.URL + "/landing)"
	if !strings.Contains(stdout, want) || !strings.Contains(stdout, "2 passed, 0 failed, 1 errored") {
		t.Errorf("got output:\n%s\nwant the same host passed, and the other refused: %q", stdout, want)
	}
	if r := otherGot.get("/landing"); r != nil {
		t.Errorf("the other host got %s %s", r.Method, r.URL)
	}
	// A jar ignores ports: the cookie the API set on the way would be
	// one of the other host's too.
	if r := otherGot.get("/cookie-landing"); r == nil || r.Header.Get("Cookie") != "" {
		t.Errorf("the other host got %v, want a request without Cookie", r)
	}
}
