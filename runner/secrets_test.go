package runner_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/flowrun/flowrun/runner"
)

// tokenServer logs in with a fresh token per call and echoes what it is sent.
func tokenServer(t *testing.T) *httptest.Server {
	n := 0
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		n++
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"token":"tok-%d-0123456789","user":{"id":"user-4711"},"token_type":"bearer"}`, n)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"path": r.URL.Path, "query": r.URL.RawQuery, "body": string(body),
			"device": r.Header.Get("X-Device"), "auth": r.Header.Get("Authorization")})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestDeclaredFieldsAndPublicCaptures(t *testing.T) {
	srv := tokenServer(t)
	p := plan(t, srv.URL, `
provider: fields
base_url: http://unused
auth: {headers: {Authorization: "Bearer {{token}}"}}
secrets: ["query:sig"]
requests:
  login:
    method: POST
    path: /login
    json: {user: mary}
    capture: {token: token, userId: {from: user.id, secret: false}}
  device:
    method: POST
    path: /devices
    headers: {X-Device: dev-header-0042}
    json: {device: {tag: tag-secret-0043, model: SONY}}
    secrets: [header:X-Device, json:device.tag]
flows:
  - name: fields
    steps:
      - login: {}
      - call: {use: device, query: {sig: sig-secret-0044}}
      - call: {path: "/users/{{userId}}", form: {pin: "1234"}, secrets: ["form:pin"], expect: {assert: ['json("path") == "/nobody"']}}
`)
	res := run(t, p, runner.Config{})
	b, _ := json.Marshal(res)
	out := string(b)
	for _, leak := range []string{"dev-header-0042", "tag-secret-0043", "sig-secret-0044", "tok-1-0123456789", `pin=1234`} {
		if strings.Contains(out, leak) {
			t.Errorf("the result shows %q", leak)
		}
	}
	for _, keep := range []string{"/users/user-4711", "SONY", `bearer`} {
		if !strings.Contains(out, keep) {
			t.Errorf("the result should show %q, which is no secret", keep)
		}
	}
}

func TestFailedComparisonOfSecretsShowsFingerprints(t *testing.T) {
	srv := tokenServer(t)
	p := plan(t, srv.URL, `
provider: fp
base_url: http://unused
auth: {headers: {Authorization: "Bearer {{token}}"}}
requests:
  login: {method: POST, path: /login, json: {user: mary}, capture: {token: token}}
flows:
  - name: two tokens
    steps:
      - login: {vars: {first: null}}
      - request: {path: /x, vars: {first: "{{token}}"}}
      - login: {}
      - request: {path: /y, expect: {assert: ['token == first']}}
`)
	f := flow(t, run(t, p, runner.Config{SecretKey: []byte("fixed")}), "two tokens")
	c := f.Steps[3].Checks[1]
	m := regexp.MustCompile(`^(<token#[0-9a-f]{4}>) == (<token#[0-9a-f]{4}>) is false$`).FindStringSubmatch(c.Message)
	if m == nil {
		t.Fatalf("message: got %q, want two token fingerprints", c.Message)
	}
	if m[1] == m[2] {
		t.Errorf("two different tokens show the same fingerprint: %s", c.Message)
	}
	if c.Expr != "token == first" {
		t.Errorf("the spec's expression was rewritten: %q", c.Expr)
	}
}

func TestLoginThatFailsStillMasksItsCaptures(t *testing.T) {
	srv := tokenServer(t)
	p := plan(t, srv.URL, `
provider: fails
base_url: http://unused
flows:
  - name: login fails
    steps:
      - login: {method: POST, path: /login, json: {}, capture: {token: token}, expect: {assert: ['token == "nope"']}}
`)
	res := run(t, p, runner.Config{})
	b, _ := json.Marshal(res)
	if strings.Contains(string(b), "tok-1-0123456789") {
		t.Errorf("the failed login's token shows: %s", b)
	}
	if st := res.Specs[0].Flows[0].Steps[0]; st.Status != runner.Failed || !strings.Contains(st.Checks[1].Message, "<token#") {
		t.Errorf("want a failed step whose check shows the token's fingerprint: %+v", st.Checks)
	}
}

func TestErrorsDoNotShowTheBaseURLPassword(t *testing.T) {
	p := plan(t, "http://unused", `
provider: userinfo
base_url: http://unused
flows:
  - name: bad path
    steps:
      - request: {path: "{{'/x'}}"}
`)
	for _, base := range []string{"http://ann:base-url-pw-61@", "http://ann:base-url-pw-61@h%zz"} {
		p.BaseURL = base
		res := run(t, p, runner.Config{})
		b, _ := json.Marshal(res)
		if strings.Contains(string(b), "base-url-pw-61") {
			t.Errorf("%s: the result shows the base URL's password: %s", base, b)
		}
		if st := res.Specs[0].Flows[0].Steps[0]; st.Status != runner.Errored || !strings.Contains(st.Error, "not an absolute URL") {
			t.Errorf("%s: want the step errored on its URL, got %s: %s", base, st.Status, st.Error)
		}
	}
}
