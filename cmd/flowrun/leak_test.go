package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The leak corpus: one secret per way a credential used to leak into
// output, each distinct enough that any trace of it is found.
const (
	rowPassword  = "RowBodyPassw0rd-7f3e9a1c"                                              // (1) a request-body credential no spec line declares
	rowAPIKey    = "RowBodyApiKey-c41d8e2b55aa"                                            // (1) the same, nested
	longToken    = "LongValueTok-9b8e7d6c5b4a3928"                                         // (2) inside a check value longer than the cut
	oddPassword  = `OddPass"wörd/&=+%-e5d4c3b2`                                            // (3) JSON-escaped, URL-encoded, in a query
	urlPassword  = "UrlUserinfoPass-0a9b8c7d6e5f"                                          // (4) in the base URL's userinfo
	failToken    = "FailedLoginTok-1c2d3e4f5a6b7c8d"                                       // (5) captured by a login that then fails
	cutToken     = "CrossCutTok-aa11bb22cc33dd44ee55"                                      // (6) across the 4 KiB body cut
	oauthToken   = "OauthFormTok-77ee66dd55cc44bb"                                         // (7) in a form-encoded token answer
	oauthSecret  = "OauthFormSecret-1234abcd5678efgh"                                      // (7)
	sidValue     = "SidKeyValue-9f8e7d6c5b4a3f2e"                                          // (7) under "sid"
	jwtValue     = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJsZWFrIn0.c2lnbmF0dXJlLWxlYWstY29ycHVz" // (7) under "jwt"
	basicPass    = "BasicAuthPass-3141592653"                                              // a Basic header's password
	captureToken = "CapturedBearerTok-5e4d3c2b1a09"                                        // a login's token, sent as Bearer
)

var leakSecrets = []string{rowPassword, rowAPIKey, longToken, oddPassword, urlPassword, failToken, cutToken,
	oauthToken, oauthSecret, sidValue, jwtValue, basicPass, captureToken}

// leakServer answers the corpus's requests, echoing what it was sent as a
// careless API would.
func leakServer(t *testing.T) *httptest.Server {
	mux := http.NewServeMux()
	echo := func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"url": r.URL.String(), "query": r.URL.Query(), "body": string(body),
			"authorization": r.Header.Get("Authorization")})
	}
	mux.HandleFunc("/echo", echo)
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"token":%q,"ok":true}`, captureToken)
	})
	mux.HandleFunc("POST /login-fails", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"token":%q,"ok":false}`, failToken)
	})
	mux.HandleFunc("/long", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":%q,"blob":%q}`, longToken, strings.Repeat("x", 185)+longToken)
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"pad":%q,"session_token":%q}`, strings.Repeat("p", 4096-len(`{"pad":"","session_token":"`)-14), cutToken)
	})
	mux.HandleFunc("/oauth", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "oauth_token=%s&oauth_token_secret=%s&oauth_callback_confirmed=true", oauthToken, oauthSecret)
	})
	mux.HandleFunc("/session", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"sid":%q,"jwt":%q}`, sidValue, jwtValue)
	})
	mux.HandleFunc("/me", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprintf(w, `{"seen":%q}`, r.Header.Get("Authorization"))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// leakSpec fails every flow, so every failure dump is written too.
const leakSpec = `provider: leaky
base_url: ${LEAK_URL}
vars:
  odd: ${ODD_PASSWORD}
  basic_user: tester
  basic_pass: ${BASIC_PASS}
secrets: [odd, basic_pass]
auth: {headers: {Authorization: "Bearer {{token}}"}}
requests:
  login: {method: POST, path: /login, json: {user: mary}, capture: {token: token}}
flows:
  - name: undeclared body credentials
    rows:
      - {name: mary, creds: {user: mary, password: "${ROW_PASSWORD}", profile: {apiKey: "${ROW_API_KEY}"}}}
    steps:
      - request: {method: POST, path: /echo, json: "{{creds}}", expect: {status: 201}}
  - name: long check value
    steps:
      - request: {path: /long, expect: {assert: ['json("blob") == "nothing like it"']}}
  - name: encoded forms
    steps:
      - request: {path: /echo, query: {pw: "{{odd}}"}, json: {pw: "{{odd}}"}, expect: {status: 201}}
      - request: {path: /echo, form: {pw: "{{odd}}"}}
  - name: userinfo
    steps:
      - request: {path: /echo, expect: {assert: ['json("url") == "/"']}}
  - name: failed login keeps its capture secret
    steps:
      - login: {path: /login-fails, expect: {assert: ['json("ok") == true', 'token == "x"']}}
  - name: token across the cut
    steps:
      - request: {path: /big, expect: {status: 201}}
  - name: form-encoded token answer
    steps:
      - request: {path: /oauth, expect: {assert: ['text contains "denied"']}}
  - name: sid and jwt keys
    steps:
      - request: {path: /session, expect: {status: 201}}
  - name: basic and bearer echoed
    steps:
      - request: {path: /echo, headers: {Authorization: "Basic {{toBase64(basic_user + ':' + basic_pass)}}"}, expect: {status: 201}}
  - name: bearer echoed
    steps:
      - login: {}
      - call: {path: /me, expect: {assert: ['json("seen") == token']}}
`

// encodings returns every form a secret may take in output.
func encodings(s string) map[string]string {
	js, _ := json.Marshal(s)
	out := map[string]string{
		"raw":           s,
		"JSON-escaped":  string(js[1 : len(js)-1]),
		"query-escaped": url.QueryEscape(s),
		"path-escaped":  url.PathEscape(s),
		"HTML-escaped":  html.EscapeString(s),
		"base64":        base64.StdEncoding.EncodeToString([]byte(s)),
		"base64url":     base64.RawURLEncoding.EncodeToString([]byte(s)),
		// Any excerpt cut inside a secret: its first 12 characters; any
		// encoding not listed here that leaves its end as it is.
		"prefix": s[:12],
		"suffix": s[len(s)-10:],
	}
	// Escaped twice: a JSON body echoed inside a JSON string.
	twice, _ := json.Marshal(out["JSON-escaped"])
	out["JSON-escaped twice"] = string(twice[1 : len(twice)-1])
	return out
}

func TestLeakCorpusShowsNoSecret(t *testing.T) {
	srv := leakServer(t)
	u, _ := url.Parse(srv.URL)
	u.User = url.UserPassword("leaky", urlPassword)
	env := map[string]string{"LEAK_URL": u.String(), "ODD_PASSWORD": oddPassword, "ROW_PASSWORD": rowPassword,
		"ROW_API_KEY": rowAPIKey, "BASIC_PASS": basicPass, "GITHUB_ACTIONS": "true"}
	spec := writeSpec(t, leakSpec)
	dir := t.TempDir()
	reportArgs := func(tag string) []string {
		return []string{"--report-junit", filepath.Join(dir, tag+".xml"), "--report-ctrf", filepath.Join(dir, tag+".ctrf.json"),
			"--report-json", filepath.Join(dir, tag+".json"), "--report-html", filepath.Join(dir, tag+".html"), "--junit-per-step"}
	}
	var outputs []string
	for _, tc := range []struct {
		tag  string
		args []string
	}{
		{"verbose", []string{"-v", "--curl"}},
		{"default", []string{"--curl"}},
	} {
		args := append(append([]string{"run", spec}, tc.args...), reportArgs(tc.tag)...)
		code, stdout, stderr := cli(t, context.Background(), env, args...)
		if code != exitFailed {
			t.Fatalf("%s: exit code: got %d, want %d\n%s\n%s", tc.tag, code, exitFailed, stdout, stderr)
		}
		outputs = append(outputs, "["+tc.tag+" stdout]\n"+stdout, "["+tc.tag+" stderr]\n"+stderr)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		outputs = append(outputs, "["+filepath.Base(f)+"]\n"+string(b))
	}
	if len(files) != 8 {
		t.Fatalf("want 8 report files, got %v", files)
	}
	hits := 0
	for _, out := range outputs {
		for _, s := range leakSecrets {
			for enc, form := range encodings(s) {
				if i := strings.Index(out, form); i >= 0 {
					hits++
					name, _, _ := strings.Cut(out, "\n")
					t.Errorf("%s shows %q %s: …%s…", name, s, enc, out[max(0, i-60):min(len(out), i+len(form)+20)])
				}
			}
		}
	}
	if hits > 0 {
		t.Logf("%d hits; the first output:\n%s", hits, outputs[0])
	}

	// The corpus has teeth: shown on request, every secret is there.
	_, stdout, _ := cli(t, context.Background(), env, "run", spec, "-v", "--show-secrets")
	for _, s := range leakSecrets {
		forms := encodings(s)
		switch s {
		case cutToken: // cut in the body excerpt: only its start is there
			forms = map[string]string{"prefix": s[:12]}
		case basicPass: // only ever sent inside the Basic pair
			forms = map[string]string{"Basic pair": base64.StdEncoding.EncodeToString([]byte("tester:" + s))}
		}
		found := false
		for _, form := range forms {
			found = found || strings.Contains(stdout, form)
		}
		if !found {
			t.Errorf("with --show-secrets the output lacks %q, so the corpus does not test it", s)
		}
	}
}
