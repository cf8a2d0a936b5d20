package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mccutchen/go-httpbin/v2/httpbin"

	"github.com/flowrun/flowrun/internal/oauthtest"
)

const oauth2Doc = "../../docs/oauth2.md"

// oauth2Server starts a real OAuth2 server (fosite) for one test.
func oauth2Server(t *testing.T, opts oauthtest.Options) *oauthtest.Server {
	t.Helper()
	srv, err := oauthtest.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

// TestOAuth2DocExamplesRun runs every spec of docs/oauth2.md against a
// fosite server (or go-httpbin for HTTP Basic): each must validate and
// pass, with no secret in its output.
func TestOAuth2DocExamplesRun(t *testing.T) {
	doc, err := os.ReadFile(oauth2Doc)
	if err != nil {
		t.Fatal(err)
	}
	recipes, err := parseRecipes(string(doc))
	if err != nil {
		t.Fatalf("%s: %v", oauth2Doc, err)
	}
	if len(recipes) < 5 {
		t.Fatalf("%s: %d examples, want at least 5", oauth2Doc, len(recipes))
	}
	bin := httptest.NewServer(httpbin.New())
	defer bin.Close()
	for _, r := range recipes {
		t.Run(r.name, func(t *testing.T) {
			opts := oauthtest.Options{}
			if r.name == "oidc-no-logout" {
				opts.NoRevocation = true
			}
			srv := oauth2Server(t, opts)
			path := filepath.Join(t.TempDir(), r.name+".yaml")
			if err := os.WriteFile(path, []byte(r.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			vars := map[string]string{"OAUTH2_ISSUER": srv.URL, "API_BASE_URL": bin.URL}
			code, out, errOut := cli(t, context.Background(), vars, "run", path, "-v")
			if code != 0 {
				t.Fatalf("%s (line %d): exit %d\n%s%s", oauth2Doc, r.line, code, out, errOut)
			}
			for _, secret := range []string{oauthtest.BasicClientSecret, oauthtest.PostClientSecret, oauthtest.AlicePassword, oauthtest.BobPassword, "basic-pass-7f3", "eyJ"} {
				if strings.Contains(out+errOut, secret) {
					t.Errorf("the output shows %q", secret)
				}
			}
		})
	}
}

// TestOAuth2ExamplesRun runs the recipe specs of examples/oauth2 against
// fosite servers configured as each describes.
func TestOAuth2ExamplesRun(t *testing.T) {
	for file, opts := range map[string]oauthtest.Options{
		"fosite.yaml":        {},
		"oidc-provider.yaml": {NoRevocation: true},
	} {
		t.Run(file, func(t *testing.T) {
			srv := oauth2Server(t, opts)
			report := filepath.Join(t.TempDir(), "result.json")
			code, out, errOut := cli(t, context.Background(), map[string]string{"OAUTH2_ISSUER": srv.URL}, "run", "../../examples/oauth2/"+file, "--report-json", report)
			if code != 0 {
				t.Fatalf("exit %d\n%s%s", code, out, errOut)
			}
			// The standards checks the spec switches on ran, and passed.
			b, err := os.ReadFile(report)
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{`conformance rfc6749 §5.1: the token answer has Cache-Control: no-store`, `conformance rfc6749 §5.2`, `conformance rfc6750 §3`} {
				if !strings.Contains(string(b), want) {
					t.Errorf("no check %q in the JSON report", want)
				}
			}
		})
	}
}

// TestOAuth2CatchesABrokenServer runs OAuth2 specs against a fosite server
// behind a proxy that breaks it, and against wrong settings: each run
// fails at the step that notices, saying why.
func TestOAuth2CatchesABrokenServer(t *testing.T) {
	srv := oauth2Server(t, oauthtest.Options{})
	target, _ := url.Parse(srv.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	// A revocation endpoint that answers 200 and revokes nothing.
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == oauthtest.RevokePath {
			w.WriteHeader(http.StatusOK)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	defer broken.Close()
	bin := httptest.NewServer(httpbin.New())
	defer bin.Close()
	const head = `
provider: broken
base_url: ${BASE}
vars: {secret: basic-secret}
secrets: [secret]
`
	const endpoints = `
oauth2:
  token_url: /oauth2/token
  revocation_url: /oauth2/revoke
  introspection_url: /oauth2/introspect
  client_id: basic-client
  client_secret: "{{secret}}"
  scope: [read, offline]
  username: alice
  password: alice-password
`
	for _, tc := range []struct {
		name, base, spec string
		want             []string
	}{
		{"a revocation that revokes nothing", broken.URL, head + endpoints + `
flows:
  - name: revoke
    steps:
      - login: {}
      - logout: {revoke: refresh_token}
      - introspect: {token: refresh_token, active: false}
`, []string{"step 3 introspect", `json("active") == false`}},
		{"an issuer with no discovery document", bin.URL, head + `
oauth2: {issuer: "${BASE}", client_id: basic-client, client_secret: "{{secret}}"}
flows: [{name: discover, steps: [{login: {grant: client_credentials}}]}]
`, []string{"oauth2: issuer: GET " + bin.URL + "/.well-known/openid-configuration answered 404; is the issuer right?"}},
		{"a discovery document of another issuer", broken.URL, head + `
oauth2: {issuer: "${BASE}", client_id: basic-client, client_secret: "{{secret}}"}
flows: [{name: discover, steps: [{login: {grant: client_credentials}}]}]
`, []string{"names the issuer \"" + srv.URL + "\", not \"" + broken.URL + "\""}},
		{"a refresh without a refresh token", srv.URL, head + `
oauth2: {token_url: /oauth2/token, client_id: basic-client, client_secret: "{{secret}}"}
flows: [{name: refresh, steps: [{login: {grant: client_credentials}}, {refresh: {}}]}]
`, []string{"error: form: refresh_token: {{ refresh_token }} has no value"}},
		{"a wrong client secret", srv.URL, strings.Replace(head, "basic-secret", "not-the-secret", 1) + endpoints + `
flows: [{name: login, steps: [{login: {}}]}]
`, []string{"expected 2xx, got 401", "invalid_client"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "spec.yaml")
			if err := os.WriteFile(path, []byte(tc.spec), 0o644); err != nil {
				t.Fatal(err)
			}
			code, out, errOut := cli(t, context.Background(), map[string]string{"BASE": tc.base}, "run", path)
			if code != exitFailed {
				t.Fatalf("exit %d, want %d\n%s%s", code, exitFailed, out, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("the output does not say %q:\n%s", w, out)
				}
			}
			if strings.Contains(out+errOut, "not-the-secret") || strings.Contains(out+errOut, "basic-secret") {
				t.Errorf("the output shows the client secret:\n%s", out)
			}
		})
	}
}
