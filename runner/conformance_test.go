package runner_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/flowrun/flowrun/runner"
)

var conformKey = []byte("conformance-test-hmac-key")

// oauthAPI is a token server and a protected resource that keep to RFC
// 6749 and RFC 6750, but for its faults, each of which breaks one rule:
//
//	no-challenge  a 401 has no WWW-Authenticate
//	basic         a 401's only challenge is Basic
//	no-error      a 401 to a refused Bearer token has no error code
//	quoted        error=invalid_token only inside a quoted error_description
//	other-scheme  error="invalid_token" on the Basic challenge, not the Bearer one
//	several       Basic and Bearer challenges in one header (conforms)
//	lines         Basic and Bearer challenges on two header lines (conforms)
//	token-form    auth-params as tokens, not quoted strings (conforms)
//	no-store      a token answer has Cache-Control: no-cache
//	fields        a token answer lacks token_type and has expires_in as a string
//	expires       expires_in says a day, the JWT lives an hour
//	error-code    a used refresh token is refused with error "invalid_token"
//	error-text    a refused refresh token gets a plain-text 400
//	samesite      the session cookie has no SameSite
//
// /token refuses a client that authenticates with HTTP Basic as anyone
// but app:client-secret-1. /fresh refuses the first request sent to it with 401, to make a session
// with reauth: on-401 log in again.
func oauthAPI(t *testing.T, fault string) *httptest.Server {
	var (
		mu      sync.Mutex
		n       int
		live    = map[string]bool{} // access tokens
		refresh = map[string]bool{} // unused refresh tokens
		fresh   atomic.Bool
	)
	issue := func(w http.ResponseWriter) {
		mu.Lock()
		n++
		now := time.Now()
		tok, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "ann", "n": n, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}).SignedString(conformKey)
		rt := fmt.Sprintf("refresh-token-%06d", n)
		live[tok], refresh[rt] = true, true
		mu.Unlock()
		body := map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": 3600, "refresh_token": rt}
		switch fault {
		case "fields":
			delete(body, "token_type")
			body["expires_in"] = "3600"
		case "expires":
			body["expires_in"] = 86400
		}
		w.Header().Set("Cache-Control", "no-store")
		if fault == "no-store" {
			w.Header().Set("Cache-Control", "no-cache")
		}
		cookie := "sid=session-cookie-value-" + rt + "; Path=/; Secure; HttpOnly; SameSite=Lax"
		if fault == "samesite" {
			cookie = strings.TrimSuffix(cookie, "; SameSite=Lax")
		}
		w.Header().Add("Set-Cookie", cookie)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(body)
	}
	tokenError := func(w http.ResponseWriter) {
		switch fault {
		case "error-text":
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, "bad refresh token")
		case "error-code":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error":"invalid_token"}`)
		default:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error":"invalid_grant","error_description":"the refresh token is not valid"}`)
		}
	}
	refuse := func(w http.ResponseWriter, presented bool) {
		bearer := `Bearer realm="api"`
		if presented && fault != "no-error" {
			bearer += `, error="invalid_token", error_description="the access token is not valid"`
		}
		h := w.Header()
		switch fault {
		case "no-challenge":
		case "basic":
			h.Set("WWW-Authenticate", `Basic realm="api"`)
		case "quoted":
			h.Set("WWW-Authenticate", `Bearer realm="api", error_description="error=invalid_token"`)
		case "other-scheme":
			h.Set("WWW-Authenticate", `Basic realm="api", error="invalid_token", Bearer realm="api"`)
		case "several":
			h.Set("WWW-Authenticate", `Basic realm="api", `+bearer)
		case "token-form":
			h.Set("WWW-Authenticate", strings.NewReplacer(`"api"`, "api", `"invalid_token"`, "invalid_token").Replace(bearer))
		case "lines":
			h.Add("WWW-Authenticate", `Basic realm="api"`)
			h.Add("WWW-Authenticate", bearer)
		default:
			h.Set("WWW-Authenticate", bearer)
		}
		w.WriteHeader(http.StatusUnauthorized)
	}
	authorized := func(w http.ResponseWriter, r *http.Request) bool {
		token, presented := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		mu.Lock()
		ok := presented && live[token]
		mu.Unlock()
		if !ok {
			refuse(w, presented && token != "")
		}
		return ok
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		if id, secret, ok := r.BasicAuth(); ok && (id != "app" || secret != "client-secret-1") {
			w.Header().Set("WWW-Authenticate", `Basic realm="token"`) // RFC 6749 §5.2, not RFC 6750
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":"invalid_client"}`)
			return
		}
		_ = r.ParseForm()
		switch r.PostForm.Get("grant_type") {
		case "password":
			issue(w)
		case "refresh_token":
			rt := r.PostForm.Get("refresh_token")
			mu.Lock()
			ok := refresh[rt]
			delete(refresh, rt)
			mu.Unlock()
			if !ok {
				tokenError(w)
				return
			}
			issue(w)
		default:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error":"unsupported_grant_type"}`)
		}
	})
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		if authorized(w, r) {
			fmt.Fprint(w, `{"sub":"ann"}`)
		}
	})
	mux.HandleFunc("GET /fresh", func(w http.ResponseWriter, r *http.Request) {
		if !fresh.Swap(true) {
			refuse(w, true)
			return
		}
		if authorized(w, r) {
			fmt.Fprint(w, `{"sub":"ann"}`)
		}
	})
	mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
		if !authorized(w, r) {
			return
		}
		mu.Lock()
		clear(live)
		clear(refresh)
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

const conformSpec = `
provider: oauth
base_url: http://unused
conformance: [rfc6750, rfc6749, cookies]
vars: {password: pw-of-ann}
secrets: [password]
auth: {headers: {Authorization: "Bearer {{token}}"}}
requests:
  login:
    method: POST
    path: /token
    form: {grant_type: password, username: ann, password: "{{password}}"}
    capture: {token: access_token, refresh_token: refresh_token}
  refresh:
    method: POST
    path: /token
    form: {grant_type: refresh_token, refresh_token: "{{refresh_token}}"}
    capture: {token: access_token, refresh_token: refresh_token}
  logout: {method: POST, path: /logout}
  me: {path: /me}
flows:
  - name: tokens
    steps:
      - login: {}
      - call: {use: me}
      - expect-401: {use: me, tamper: [Authorization]}
      - expect-401: {use: me, omit: [Authorization], probes: [missing, tampered, wrong-scheme]}
      - refresh: {reuse: refused}
      - call: {use: me}
      - logout: {verify: [me, refresh]}
  - name: a re-login after a 401
    reauth: on-401
    steps:
      - login: {}
      - call: {path: /fresh}
`

// conformChecks returns a flow's conformance checks by step, as
// "step: expr", and the first that did not pass.
func conformChecks(f runner.FlowResult) (all []string, failed *runner.Check, at runner.StepResult) {
	for _, st := range f.Steps {
		for i, c := range st.Checks {
			if c.Kind != runner.CheckConformance {
				continue
			}
			all = append(all, st.Name+": "+c.Expr)
			if !c.Passed() && failed == nil {
				failed, at = &st.Checks[i], st
			}
		}
	}
	return all, failed, at
}

func TestConformanceOfAConformingAPI(t *testing.T) {
	for _, fault := range []string{"", "several", "lines", "token-form"} {
		t.Run("fault "+fault, func(t *testing.T) {
			srv := oauthAPI(t, fault)
			res := run(t, plan(t, srv.URL, conformSpec), runner.Config{})
			f := flow(t, res, "tokens")
			all, failed, at := conformChecks(f)
			if f.Status != runner.Passed || failed != nil {
				t.Fatalf("got %s (%s), want passed; failed check: %+v at step %s", f.Status, statuses(f), failed, at.Name)
			}
			count := map[string]int{}
			for _, e := range all {
				count[e]++
			}
			for want, n := range map[string]int{
				"login: conformance rfc6749 §5.1: the token answer is a JSON object with a string access_token, a string token_type and a numeric expires_in": 1,
				"login: conformance rfc6749 §5.1: the token answer has Cache-Control: no-store":                                                               1,
				"login: conformance rfc6749 §5.1: expires_in agrees with the access token's exp - iat":                                                        1,
				"login: conformance cookies: cookie sid is Secure, HttpOnly and SameSite":                                                                     1,
				// the tampered expect-401, and the tampered probes (signature, payload)
				`expect-401: conformance rfc6750 §3: the 401 carries WWW-Authenticate: Bearer with error="invalid_token"`: 3,
				// the expect-401 without a token, its missing probe, the token without its scheme, and in the query
				"expect-401: conformance rfc6750 §3: the 401 carries WWW-Authenticate: Bearer":                                                                  4,
				"refresh: conformance rfc6749 §5.2: the 400 error answer is a JSON object whose error is a registered code":                                     1,
				"refresh: conformance cookies: cookie sid is Secure, HttpOnly and SameSite":                                                                     1,
				`logout: conformance rfc6750 §3: the 401 carries WWW-Authenticate: Bearer with error="invalid_token"`:                                           1,
				"logout: conformance rfc6749 §5.2: the 400 error answer is a JSON object whose error is a registered code":                                      1,
				"refresh: conformance rfc6749 §5.1: the token answer has Cache-Control: no-store":                                                               1,
				"refresh: conformance rfc6749 §5.1: the token answer is a JSON object with a string access_token, a string token_type and a numeric expires_in": 1,
				"refresh: conformance rfc6749 §5.1: expires_in agrees with the access token's exp - iat":                                                        1,
			} {
				if count[want] != n {
					t.Errorf("got %d of %q, want %d; all:\n%s", count[want], want, n, strings.Join(all, "\n"))
				}
			}
			// Each check points at the exchange it judged.
			for _, st := range f.Steps {
				for _, c := range st.Checks {
					if c.Kind != runner.CheckConformance {
						continue
					}
					got := st.Exchanges[c.Exchange].Response.Status
					switch {
					case strings.Contains(c.Expr, "rfc6750") && got != 401,
						strings.Contains(c.Expr, "§5.2") && got != 400,
						strings.Contains(c.Expr, "§5.1") && got != 200:
						t.Errorf("%s: %s points at a %d answer", st.Name, c.Expr, got)
					}
				}
			}
			re := flow(t, res, "a re-login after a 401")
			all, failed, _ = conformChecks(re)
			if re.Status != runner.Passed || failed != nil || !contains(all, `call: conformance rfc6750 §3: the 401 carries WWW-Authenticate: Bearer with error="invalid_token"`) {
				t.Errorf("reauth: got %s, failed %+v, checks:\n%s", re.Status, failed, strings.Join(all, "\n"))
			}
			b, _ := json.Marshal(res)
			for _, secret := range []string{"eyJ", "refresh-token-0", "session-cookie-value", "pw-of-ann"} {
				if strings.Contains(string(b), secret) {
					t.Errorf("%q shows in the result", secret)
				}
			}
		})
	}
}

func TestConformanceOfABrokenAPI(t *testing.T) {
	const (
		invalidToken = `conformance rfc6750 §3: the 401 carries WWW-Authenticate: Bearer with error="invalid_token"`
		challenge    = `conformance rfc6750 §3: the 401 carries WWW-Authenticate: Bearer`
		fields       = `conformance rfc6749 §5.1: the token answer is a JSON object with a string access_token, a string token_type and a numeric expires_in`
		noStore      = `conformance rfc6749 §5.1: the token answer has Cache-Control: no-store`
		expires      = `conformance rfc6749 §5.1: expires_in agrees with the access token's exp - iat`
		tokenError   = `conformance rfc6749 §5.2: the 400 error answer is a JSON object whose error is a registered code`
		cookie       = `conformance cookies: cookie sid is Secure, HttpOnly and SameSite`
	)
	for _, tc := range []struct {
		fault, step, expr, actual, message string
	}{
		{"no-error", "expect-401", invalidToken, `WWW-Authenticate: Bearer realm="api"`,
			`the 401 to a request with a Bearer token has WWW-Authenticate: Bearer realm="api", a Bearer challenge without an error code; RFC 6750 §3 requires a WWW-Authenticate: Bearer challenge with error="invalid_token" when the token presented is refused`},
		{"quoted", "expect-401", invalidToken, `WWW-Authenticate: Bearer realm="api", error_description="error=invalid_token"`, "a Bearer challenge without an error code"},
		{"other-scheme", "expect-401", invalidToken, `WWW-Authenticate: Basic realm="api", error="invalid_token", Bearer realm="api"`, "a Bearer challenge without an error code"},
		{"basic", "expect-401", invalidToken, `WWW-Authenticate: Basic realm="api"`,
			`the 401 to a request with a Bearer token has WWW-Authenticate: Basic realm="api", with no Bearer challenge; RFC 6750 §3 requires`},
		{"no-challenge", "expect-401", invalidToken, "no WWW-Authenticate header", "the 401 to a request with a Bearer token has no WWW-Authenticate header"},
		{"no-store", "login", noStore, "Cache-Control: no-cache",
			"the 200 token answer has Cache-Control: no-cache, without no-store; RFC 6749 §5.1 requires Cache-Control: no-store on every answer that holds tokens"},
		{"fields", "login", fields, "no token_type, expires_in is a string",
			"the 200 token answer has no token_type, expires_in is a string; RFC 6749 §5.1 answers a token request with a JSON object holding access_token and token_type (strings) and expires_in"},
		{"expires", "login", expires, "expires_in 86400",
			"expires_in is 86400 s, but the access token's exp - iat is 3600 s; RFC 6749 §5.1 makes expires_in the access token's lifetime in seconds"},
		{"error-code", "refresh", tokenError, `error "invalid_token"`,
			`the 400 answer to a token request has error "invalid_token"; RFC 6749 §5.2 requires a JSON object whose error is one of invalid_request, invalid_client, invalid_grant, unauthorized_client, unsupported_grant_type, invalid_scope`},
		{"error-text", "refresh", tokenError, "a body that is not JSON (text/plain, 17 bytes)", "the 400 answer to a token request has a body that is not JSON (text/plain, 17 bytes)"},
		{"samesite", "login", cookie, "no SameSite", "cookie sid is set without SameSite; a session cookie must be Secure"},
	} {
		t.Run(tc.fault, func(t *testing.T) {
			srv := oauthAPI(t, tc.fault)
			res := run(t, plan(t, srv.URL, conformSpec), runner.Config{})
			f := flow(t, res, "tokens")
			_, c, st := conformChecks(f)
			if f.Status != runner.Failed || c == nil {
				t.Fatalf("got %s (%s) and no failed conformance check, want failed", f.Status, statuses(f))
			}
			if st.Status != runner.Failed || st.Name != tc.step || c.Expr != tc.expr {
				t.Errorf("got %q failing step %s (%s), want %q failing %s", c.Expr, st.Name, st.Status, tc.expr, tc.step)
			}
			if c.Actual.Text != tc.actual || !strings.Contains(c.Message, tc.message) {
				t.Errorf("got actual %s and message %q, want %s and a message holding %q", c.Actual.Text, c.Message, tc.actual, tc.message)
			}
			if x := st.Exchanges[c.Exchange]; x.Response == nil || (strings.Contains(c.Expr, "rfc6750") && x.Response.Status != 401) {
				t.Errorf("the check points at exchange %d, which is not the 401 it judged: %+v", c.Exchange, x.Response)
			}
			if b, _ := json.Marshal(res); strings.Contains(string(b), "eyJ") || strings.Contains(string(b), "session-cookie-value") {
				t.Errorf("a token or a cookie value shows in the result")
			}
			if tc.fault != "no-error" {
				return
			}
			// The 401 that sends a session to log in again is judged too:
			// the call fails though its retry passed.
			re := flow(t, res, "a re-login after a 401")
			if _, c, st := conformChecks(re); re.Status != runner.Failed || c == nil || st.Name != "call" || c.Expr != invalidToken || c.Exchange != 0 {
				t.Errorf("reauth: got %s (%s) with failed check %+v at step %s, want the call failed on its first 401", re.Status, statuses(re), c, st.Name)
			}
		})
	}
}

// A 401 to a request that presents no Bearer token needs a Bearer
// challenge, but no error code: against an API that never sends one,
// the expect-401 without a token and its probes that present none pass,
// and only the tampered probes fail.
func TestConformanceWithoutAToken(t *testing.T) {
	srv := oauthAPI(t, "no-error")
	p := plan(t, srv.URL, strings.Replace(conformSpec, "      - expect-401: {use: me, tamper: [Authorization]}\n", "", 1))
	st := flow(t, run(t, p, runner.Config{}), "tokens").Steps[2]
	var passed, failed []string
	for _, c := range st.Checks {
		switch {
		case c.Kind != runner.CheckConformance:
		case c.Passed():
			passed = append(passed, c.Expr)
		default:
			failed = append(failed, c.Expr)
		}
	}
	want := `conformance rfc6750 §3: the 401 carries WWW-Authenticate: Bearer`
	if len(passed) != 4 || slices.ContainsFunc(passed, func(e string) bool { return e != want }) {
		t.Errorf("got passed %q, want 4 of %q (the request, missing, the token without its scheme or in the query)", passed, want)
	}
	if len(failed) != 2 || st.Status != runner.Failed {
		t.Errorf("got %s with failed %q, want failed by the two tampered probes", st.Status, failed)
	}
}

// A request that says grant: goes to the token endpoint, whatever its
// step: refused for its client, it is held to RFC 6749 §5.2, not to RFC
// 6750, though auth attaches a Bearer token to an expect-401.
func TestConformanceOfATokenRequest(t *testing.T) {
	srv := oauthAPI(t, "")
	p := plan(t, srv.URL, `
provider: oauth
base_url: http://unused
conformance: [rfc6750, rfc6749]
vars: {secret: client-secret-1}
secrets: [secret]
oauth2: {token_url: /token, client_id: app, client_secret: "{{secret}}", username: ann, password: pw-of-ann}
requests:
  login: {grant: password}
flows:
  - name: a wrong client secret
    steps:
      - login: {}
      - call: {path: /me}
      - expect-401: {use: login, headers: {Authorization: "Basic {{basicAuth('app', 'not-the-secret')}}"}}
`)
	f := flow(t, run(t, p, runner.Config{}), "a wrong client secret")
	all, failed, _ := conformChecks(f)
	want := "expect-401: conformance rfc6749 §5.2: the 401 error answer is a JSON object whose error is a registered code"
	if f.Status != runner.Passed || failed != nil || !contains(all, want) || slices.ContainsFunc(all, func(e string) bool { return strings.Contains(e, "expect-401: conformance rfc6750") }) {
		t.Errorf("got %s, failed %+v, checks:\n%s\nwant passed with %q and no rfc6750 check on the expect-401", f.Status, failed, strings.Join(all, "\n"), want)
	}
}

func TestConformanceOffCostsNothing(t *testing.T) {
	srv := oauthAPI(t, "no-challenge")
	spec := strings.Replace(conformSpec, "conformance: [rfc6750, rfc6749, cookies]\n", "", 1)
	res := run(t, plan(t, srv.URL, spec), runner.Config{})
	for _, name := range []string{"tokens", "a re-login after a 401"} {
		f := flow(t, res, name)
		all, _, _ := conformChecks(f)
		if f.Status != runner.Passed || len(all) > 0 {
			t.Errorf("%s: got %s with conformance checks %v, want passed with none", name, f.Status, all)
		}
	}
}

// go-httpbin sets its cookies without Secure (on plain HTTP) and without
// SameSite unless asked, and answers /bearer without a token with a bare
// Bearer challenge.
func TestConformanceAgainstHTTPBin(t *testing.T) {
	srv := httpbinServer(t)
	res := run(t, plan(t, srv.URL, `
provider: httpbin
base_url: http://unused
conformance: [rfc6750, cookies]
auth: {headers: {Authorization: "Bearer {{token}}"}}
flows:
  - name: flags asked for
    steps:
      - login: {path: /cookies/set, query: {sid: cookie-value-1, "attr[Secure]": "true", "attr[SameSite]": Lax}, capture: {token: "cookie:sid"}, expect: {status: 302}}
      - call: {path: /bearer}
      - expect-401: {path: /bearer, omit: [Authorization], probes: [wrong-scheme]}
  - name: no SameSite
    steps:
      - login: {path: /cookies/set, query: {sid: cookie-value-2, "attr[Secure]": "true"}, capture: {token: "cookie:sid"}, expect: {status: 302}}
  - name: the defaults
    steps:
      - login: {path: /cookies/set, query: {sid: cookie-value-3}, capture: {token: "cookie:sid"}, expect: {status: 302}}
`), runner.Config{})
	for _, tc := range []struct {
		flow   string
		status runner.Status
		checks int
		actual string
	}{
		{"flags asked for", runner.Passed, 4, ""},
		{"no SameSite", runner.Failed, 1, "no SameSite"},
		{"the defaults", runner.Failed, 1, "no Secure, no SameSite"},
	} {
		f := flow(t, res, tc.flow)
		all, failed, _ := conformChecks(f)
		got := ""
		if failed != nil {
			got = failed.Actual.Text
		}
		if f.Status != tc.status || len(all) != tc.checks || got != tc.actual {
			t.Errorf("%s: got %s, %d checks, failed with %q; want %s, %d, %q: %v", tc.flow, f.Status, len(all), got, tc.status, tc.checks, tc.actual, all)
		}
	}
	if b, _ := json.Marshal(res); strings.Contains(string(b), "cookie-value-") {
		t.Errorf("a cookie's value shows in the result")
	}
}
