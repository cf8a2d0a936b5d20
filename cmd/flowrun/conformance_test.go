package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowrun/flowrun/internal/reporttest"
)

// An API that refuses a bad Bearer token without saying why in its
// challenge fails the spec's rfc6750 conformance check, in the terminal
// and in every report.
func TestConformanceFailureIsReported(t *testing.T) {
	const token = "cli-conformance-token-7d1e"
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":%q,"token_type":"Bearer","expires_in":3600}`, token)
	})
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			w.Header().Set("WWW-Authenticate", `Bearer realm="api"`) // no error="invalid_token"
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, `{"sub":"ann"}`)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	spec := writeSpec(t, `provider: oauth
base_url: ${URL}
conformance: [rfc6750, rfc6749]
auth: {headers: {Authorization: "Bearer {{token}}"}}
requests:
  login: {method: POST, path: /token, form: {grant_type: client_credentials}, capture: {token: access_token}}
flows:
  - name: a refused token is told why
    steps:
      - login: {}
      - call: {path: /me}
      - expect-401: {path: /me, tamper: [Authorization]}
`)
	dir := t.TempDir()
	junit, report := filepath.Join(dir, "junit.xml"), filepath.Join(dir, "report.json")
	code, stdout, stderr := cli(t, context.Background(), map[string]string{"URL": srv.URL}, "run", spec, "--report-junit", junit, "--report-json", report)
	if code != exitFailed {
		t.Fatalf("exit code: got %d, want %d\n%s%s", code, exitFailed, stdout, stderr)
	}
	const expr = `conformance rfc6750 §3: the 401 carries WWW-Authenticate: Bearer with error="invalid_token"`
	if want := expr + `: expected a Bearer challenge with error="invalid_token", got WWW-Authenticate: Bearer realm="api" (` + spec + ":12:9)"; !strings.Contains(stdout, want) {
		t.Errorf("the terminal output lacks %q:\n%s", want, stdout)
	}
	j, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	js, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	reporttest.ValidateJSON(t, js)
	for name, tc := range map[string]struct {
		doc  string
		want []string
	}{
		"JUnit": {string(j), []string{`type="conformance"`, `step 3 expect-401: conformance rfc6750 §3: the 401 carries WWW-Authenticate: Bearer with error=&#34;invalid_token&#34;`}},
		"JSON": {string(js), []string{`"kind": "conformance"`, `"expr": "conformance rfc6750 §3: the 401 carries WWW-Authenticate: Bearer with error=\"invalid_token\""`,
			`"message": "the 401 to a request with a Bearer token has WWW-Authenticate: Bearer realm=\"api\", a Bearer challenge without an error code; RFC 6750 §3 requires`,
			`"expr": "conformance rfc6749 §5.1: the token answer has Cache-Control: no-store"`}},
	} {
		for _, w := range tc.want {
			if !strings.Contains(tc.doc, w) {
				t.Errorf("the %s report lacks %s:\n%s", name, w, tc.doc)
			}
		}
	}
	for name, out := range map[string]string{"terminal": stdout, "JUnit": string(j), "JSON": string(js)} {
		if strings.Contains(out, token) || strings.Contains(out, token[:len(token)-1]) {
			t.Errorf("the token shows in the %s output", name)
		}
	}
}
