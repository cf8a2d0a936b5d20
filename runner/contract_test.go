package runner_test

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/flowrun/flowrun/flows"
	"github.com/flowrun/flowrun/runner"
)

var contractKey = []byte("contract-test-hmac-key")

// contractServer is a small token server with the behaviours the contract
// checks prove, each switched by lax when a broken server skips it:
//   - reuse: "single-use" (a used refresh token gets 401), "reusable"
//     (it works again) or "family" (it gets 401 and revokes every token
//     of its family);
//   - "refresh-keeps-access": a refresh leaves the replaced token working;
//   - "logout-keeps-refresh": a logout leaves the refresh token working;
//   - "no-owner-check": /users/{name} answers any user;
//   - "ignore-exp": a token past its exp is accepted;
//   - "one-call": a token works for one call only (to provoke a re-login);
//   - "one-login": only the first login succeeds.
type contractServer struct {
	*httptest.Server
	reuse    string
	lax      map[string]bool
	lifetime time.Duration

	mu      sync.Mutex
	access  map[string]string // token → user
	calls   map[string]int    // token → calls made with it
	refresh map[string]*family
	logins  int
}

type family struct {
	user, access string
	current      string // the family's newest refresh token
	revoked      bool
}

func newContractServer(t *testing.T, reuse string, lax ...string) *contractServer {
	s := &contractServer{reuse: reuse, lax: map[string]bool{}, lifetime: time.Hour,
		access: map[string]string{}, calls: map[string]int{}, refresh: map[string]*family{}}
	for _, l := range lax {
		s.lax[l] = true
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", s.login)
	mux.HandleFunc("POST /refresh", s.doRefresh)
	mux.HandleFunc("POST /logout", s.authorized(s.logout))
	mux.HandleFunc("GET /me", s.authorized(func(w http.ResponseWriter, _ *http.Request, user, _ string) {
		fmt.Fprintf(w, `{"user":%q}`, user)
	}))
	mux.HandleFunc("GET /users/{name}", s.authorized(func(w http.ResponseWriter, r *http.Request, user, _ string) {
		if r.PathValue("name") != user && !s.lax["no-owner-check"] {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		fmt.Fprintf(w, `{"user":%q}`, r.PathValue("name"))
	}))
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func randomID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// issue makes a token pair for user, in family f (a new one if nil).
func (s *contractServer) issue(w http.ResponseWriter, user string, f *family) {
	now := time.Now()
	tok, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": user, "jti": randomID(),
		"iat": now.Unix(), "exp": now.Add(s.lifetime).Unix()}).SignedString(contractKey)
	if f == nil {
		f = &family{user: user}
	}
	f.access, f.current = tok, randomID()
	s.access[tok] = user
	s.refresh[f.current] = f
	json.NewEncoder(w).Encode(map[string]any{"token": tok, "refresh_token": f.current, "expires_in": s.lifetime.Seconds()})
}

func (s *contractServer) login(w http.ResponseWriter, r *http.Request) {
	var body struct{ User string }
	json.NewDecoder(r.Body).Decode(&body)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.logins++
	if body.User == "" || (s.lax["one-login"] && s.logins > 1) {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	s.issue(w, body.User, nil)
}

func (s *contractServer) doRefresh(w http.ResponseWriter, r *http.Request) {
	var body struct{ Refresh string }
	json.NewDecoder(r.Body).Decode(&body)
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.refresh[body.Refresh]
	switch {
	case f == nil || f.revoked:
		w.WriteHeader(http.StatusUnauthorized)
		return
	case f.current != body.Refresh && s.reuse == "family":
		f.revoked = true
		delete(s.access, f.access)
		w.WriteHeader(http.StatusUnauthorized)
		return
	case f.current != body.Refresh && s.reuse == "single-use":
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if !s.lax["refresh-keeps-access"] {
		delete(s.access, f.access)
	}
	s.issue(w, f.user, f)
}

func (s *contractServer) logout(w http.ResponseWriter, _ *http.Request, _, token string) {
	delete(s.access, token)
	if !s.lax["logout-keeps-refresh"] {
		for _, f := range s.refresh {
			if f.access == token {
				f.revoked = true
			}
		}
	}
}

type authorizedFunc func(w http.ResponseWriter, r *http.Request, user, token string)

func (s *contractServer) authorized(h authorizedFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		s.mu.Lock()
		defer s.mu.Unlock()
		user, known := s.access[token]
		var opts []jwt.ParserOption
		if s.lax["ignore-exp"] {
			opts = append(opts, jwt.WithoutClaimsValidation())
		}
		claims := jwt.MapClaims{}
		_, err := jwt.NewParser(opts...).ParseWithClaims(token, claims, func(*jwt.Token) (any, error) { return contractKey, nil })
		if s.lax["ignore-exp"] && err == nil && !known {
			user, known = claims["sub"].(string), true // a re-signed token is no token the server issued
		}
		s.calls[token]++
		if !ok || err != nil || !known || (s.lax["one-call"] && s.calls[token] > 1) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		h(w, r, user, token)
	}
}

const contractHead = `
provider: contract
base_url: http://unused
auth: {headers: {Authorization: "Bearer {{token}}"}}
requests:
  login: {method: POST, path: /login, json: {user: "{{user}}"}, capture: {token: token, refresh_token: refresh_token, expires_in: expires_in}}
  refresh: {method: POST, path: /refresh, json: {refresh: "{{refresh_token}}"}, capture: {token: token, refresh_token: refresh_token}}
  logout: {method: POST, path: /logout}
  me: {path: /me}
vars: {user: ann}
`

// checksOf returns a step's checks of kind, as "expr=status".
func checksOf(st runner.StepResult, kind runner.CheckKind) []string {
	var out []string
	for _, c := range st.Checks {
		if c.Kind == kind {
			out = append(out, c.Expr+"="+string(c.Status))
		}
	}
	return out
}

func TestRefreshReusePolicy(t *testing.T) {
	spec := contractHead + `
flows:
  - name: refused
    steps: [{login: {}}, {refresh: {reuse: refused}}]
  - name: accepted
    steps: [{login: {}}, {refresh: {reuse: accepted}}]
  - name: revokes-family
    steps: [{login: {}}, {refresh: {reuse: revokes-family}}]
`
	// What each declared policy gets from each server: the flows' statuses.
	for _, tc := range []struct{ server, refused, accepted, family string }{
		{"single-use", "passed", "failed", "failed"},
		{"reusable", "failed", "passed", "failed"},
		{"family", "passed", "failed", "passed"},
	} {
		t.Run(tc.server, func(t *testing.T) {
			srv := newContractServer(t, tc.server)
			res := run(t, plan(t, srv.URL, spec), runner.Config{})
			for name, want := range map[string]string{"refused": tc.refused, "accepted": tc.accepted, "revokes-family": tc.family} {
				f := flow(t, res, name)
				if string(f.Status) != want {
					t.Errorf("reuse: %s against a %s server: got %s, want %s: %v", name, tc.server, f.Status, want, checksOf(f.Steps[1], runner.CheckReuse))
				}
				wantChecks := 1
				if name == "revokes-family" {
					wantChecks = 2
				}
				if got := checksOf(f.Steps[1], runner.CheckReuse); len(got) != wantChecks || len(f.Steps[1].Exchanges) != 1+wantChecks {
					t.Errorf("%s: got reuse checks %v and %d exchanges, want %d of each besides the refresh", name, got, len(f.Steps[1].Exchanges), wantChecks)
				}
			}
		})
	}
}

func TestLogoutVerifyAndRevokedProbes(t *testing.T) {
	spec := contractHead + `
flows:
  - name: the session contract
    probe: [revoked, other-session]
    steps:
      - login: {}
      - login: {session: bob, json: {user: bob}}
      - call: {name: mine, path: /users/ann}
      - refresh: {revokes: [token]}
      - call: {name: mine again, path: /users/ann}
      - logout: {verify: [me, refresh]}
`
	for _, tc := range []struct {
		lax, step, caught string
	}{
		{"", "", ""},
		{"no-owner-check", "mine", "probe the credentials of session bob=failed"},
		{"refresh-keeps-access", "mine again", "probe revoked credentials (token from before the logout or refresh that revoked them)=failed"},
		{"logout-keeps-refresh", "logout", "verify: after the logout, refresh with the old credentials is refused=failed"},
	} {
		t.Run("lax "+tc.lax, func(t *testing.T) {
			srv := newContractServer(t, "single-use", tc.lax)
			f := flow(t, run(t, plan(t, srv.URL, spec), runner.Config{}), "the session contract")
			if tc.lax == "" {
				if f.Status != runner.Passed {
					t.Fatalf("a strict server: got %s: %s", f.Status, statuses(f))
				}
				if got := checksOf(f.Steps[5], runner.CheckVerify); len(got) != 2 {
					t.Errorf("logout verify: got %v, want two passed checks", got)
				}
				// revoked runs where it applies: after the refresh, not before.
				if p := checksOf(f.Steps[2], runner.CheckProbe); len(p) != 1 {
					t.Errorf("before the refresh: got probes %v, want only other-session", p)
				}
				if p := checksOf(f.Steps[4], runner.CheckProbe); len(p) != 2 {
					t.Errorf("after the refresh: got probes %v, want revoked and other-session", p)
				}
				return
			}
			var failed runner.StepResult
			for _, st := range f.Steps {
				if st.Status != runner.Passed {
					failed = st
					break
				}
			}
			if f.Status != runner.Failed || failed.Name != tc.step || !contains(append(checksOf(failed, runner.CheckProbe), checksOf(failed, runner.CheckVerify)...), tc.caught) {
				t.Errorf("got %s at step %q with checks %v; want %q failed at %q", f.Status, failed.Name, failed.Checks, tc.caught, tc.step)
			}
		})
	}
}

func TestExpiredProbe(t *testing.T) {
	t.Run("re-signed with the key", func(t *testing.T) {
		spec := strings.Replace(contractHead, `auth: {headers: {Authorization: "Bearer {{token}}"}}`,
			`auth: {headers: {Authorization: "Bearer {{token}}"}, expired: {hmac: "{{key}}"}}`, 1) + `
secrets: [key]
probe: [expired]
flows:
  - name: every call
    steps: [{login: {}}, {call: {use: me}}]
`
		spec = strings.Replace(spec, "vars: {user: ann}", "vars: {user: ann, key: "+string(contractKey)+"}", 1)
		for lax, want := range map[string]runner.Status{"": runner.Passed, "ignore-exp": runner.Failed} {
			srv := newContractServer(t, "single-use", lax)
			res := run(t, plan(t, srv.URL, spec), runner.Config{})
			f := flow(t, res, "every call")
			got := checksOf(f.Steps[1], runner.CheckProbe)
			if f.Status != want || len(got) != 1 || !strings.HasPrefix(got[0], "probe Authorization re-signed with an exp in the past=") {
				t.Errorf("lax %q: got %s with %v, want %s", lax, f.Status, got, want)
			}
			if b, _ := json.Marshal(res); strings.Contains(string(b), "eyJ") || strings.Contains(string(b), string(contractKey)) {
				t.Errorf("lax %q: a token or the key shows in the result", lax)
			}
		}
	})
	t.Run("a key that is not the API's is an error", func(t *testing.T) {
		spec := strings.Replace(contractHead, `auth: {headers: {Authorization: "Bearer {{token}}"}}`,
			`auth: {headers: {Authorization: "Bearer {{token}}"}, expired: {hmac: not-the-key}}`, 1) + `
probe: [expired]
flows:
  - name: every call
    steps: [{login: {}}, {call: {use: me}}]
`
		srv := newContractServer(t, "single-use")
		f := flow(t, run(t, plan(t, srv.URL, spec), runner.Config{}), "every call")
		if c := f.Steps[1].Checks[len(f.Steps[1].Checks)-1]; f.Status != runner.Errored || !strings.Contains(c.Message, "does not verify the session's token") {
			t.Errorf("got %s: %s", f.Status, c.Message)
		}
	})
	t.Run("waited for", func(t *testing.T) {
		spec := contractHead + `
flows:
  - name: waits for exp
    steps: [{login: {}}, {expect-401: {use: me, omit: [Authorization], probes: [expired]}}]
`
		for lax, want := range map[string]runner.Status{"": runner.Passed, "ignore-exp": runner.Failed} {
			srv := newContractServer(t, "single-use", lax)
			srv.lifetime = time.Second
			f := flow(t, run(t, plan(t, srv.URL, spec), runner.Config{}), "waits for exp")
			if f.Status != want || len(checksOf(f.Steps[1], runner.CheckProbe)) != 1 {
				t.Errorf("lax %q: got %s with %v, want %s", lax, f.Status, f.Steps[1].Checks, want)
			}
		}
	})
	t.Run("a wait beyond the bound is an error, not a hang", func(t *testing.T) {
		spec := strings.Replace(contractHead, `auth: {headers: {Authorization: "Bearer {{token}}"}}`,
			`auth: {headers: {Authorization: "Bearer {{token}}"}, expired: {wait: 1s}}`, 1) + `
flows:
  - name: an hour away
    steps: [{login: {}}, {expect-401: {use: me, omit: [Authorization], probes: [expired]}}]
`
		srv := newContractServer(t, "single-use")
		start := time.Now()
		f := flow(t, run(t, plan(t, srv.URL, spec), runner.Config{}), "an hour away")
		c := f.Steps[1].Checks[len(f.Steps[1].Checks)-1]
		if f.Status != runner.Errored || !strings.Contains(c.Message, "later than the probe may wait (1s)") || time.Since(start) > 10*time.Second {
			t.Errorf("got %s: %s", f.Status, c.Message)
		}
	})
}

func TestWaitUntilTheTokenExpires(t *testing.T) {
	spec := contractHead + `
flows:
  - name: until exp
    steps:
      - login: {}
      - wait: {until: "jwt(token).exp + 1"}
      - expect-401: {use: me}
  - name: after expires_in
    steps:
      - login: {}
      - wait: {after_login: "expires_in + 1", max: 5s}
      - expect-401: {use: me}
  - name: too long
    steps:
      - login: {}
      - wait: {after_login: "expires_in * 100", max: 5s}
`
	srv := newContractServer(t, "single-use")
	srv.lifetime = time.Second
	res := run(t, plan(t, srv.URL, spec), runner.Config{})
	for _, name := range []string{"until exp", "after expires_in"} {
		if f := flow(t, res, name); f.Status != runner.Passed || f.Steps[1].Duration < 900*time.Millisecond {
			t.Errorf("%s: got %s after waiting %s", name, statuses(f), f.Steps[1].Duration)
		}
	}
	if f := flow(t, res, "too long"); f.Status != runner.Errored || !strings.Contains(f.Steps[1].Error, "more than max: 5s") {
		t.Errorf("too long: got %s: %s", f.Status, f.Steps[1].Error)
	}
}

func TestReauthOn401(t *testing.T) {
	spec := contractHead + `
reauth: on-401
flows:
  - name: the second call needs a new login
    steps: [{login: {}}, {call: {use: me}}, {call: {name: again, use: me}}]
  - name: never here
    reauth: never
    steps: [{login: {}}, {call: {use: me}}, {call: {name: again, use: me}}]
`
	srv := newContractServer(t, "single-use", "one-call")
	res := run(t, plan(t, srv.URL, spec), runner.Config{})
	f := flow(t, res, "the second call needs a new login")
	again := f.Steps[2]
	if f.Status != runner.Passed || len(again.Exchanges) != 3 || len(checksOf(again, runner.CheckReauth)) != 1 {
		t.Fatalf("got %s, %d exchanges, checks %v; want passed after a re-login and a retry", f.Status, len(again.Exchanges), again.Checks)
	}
	if l := again.Exchanges[1].Label; !strings.HasPrefix(l, "re-login after 401") || again.Exchanges[2].Label != "retry after the re-login" {
		t.Errorf("exchange labels: %q, %q", l, again.Exchanges[2].Label)
	}
	if st := flow(t, res, "never here").Status; st != runner.Failed {
		t.Errorf("reauth: never on the flow: got %s, want failed", st)
	}
	// A re-login that fails fails the step, and says so.
	srv = newContractServer(t, "single-use", "one-call", "one-login")
	one := strings.SplitAfter(spec, "{call: {name: again, use: me}}]\n")[0]
	f = flow(t, run(t, plan(t, srv.URL, one), runner.Config{}), "the second call needs a new login")
	if got := checksOf(f.Steps[2], runner.CheckReauth); f.Status != runner.Failed || len(got) != 1 || !strings.HasSuffix(got[0], "=failed") {
		t.Errorf("a failing re-login: got %s with %v", f.Status, got)
	}
}

func TestContractSpecErrors(t *testing.T) {
	for _, tc := range []struct{ flows, want string }{
		{`[{name: a, steps: [{login: {}}, {expect-401: {use: me, probes: [revoked]}}]}]`, `probe revoked: session "default" has no revoked credentials here`},
		{`[{name: a, steps: [{login: {}}, {expect-401: {use: me, probes: [other-session]}}]}]`, `probe other-session: no other session is logged in here`},
		{`[{name: a, probe: [expired], steps: [{login: {}}, {call: {use: me}}]}]`, `probe expired after every call needs auth: expired: hmac`},
		{`[{name: a, steps: [{login: {}}, {refresh: {reuse: refuse}}]}]`, `reuse: "refuse" is not a policy (did you mean "refused"?)`},
		{`[{name: a, steps: [{login: {}}, {refresh: {revokes: [tokn]}}]}]`, `revokes: "tokn" is not a credential any login or refresh captures (did you mean "token"?)`},
		{`[{name: a, steps: [{login: {}}, {logout: {verify: [mee]}}]}]`, `verify: no request named "mee" (did you mean "me"?)`},
		{`[{name: a, steps: [{wait: {duration: 1s, until: "1"}}]}]`, `give one of duration, until or after_login`},
		{`[{name: a, reauth: on-403, steps: [{login: {}}]}]`, `reauth: "on-403" is not a policy`},
		{`[{name: a, steps: [{login: {}}, {wait: {until: "tokn + 1"}}]}]`, `unknown name tokn`},
	} {
		spec, err := flows.Parse("test.yaml", []byte(contractHead+"flows: "+tc.flows), func(string) (string, bool) { return "", false })
		if err == nil {
			_, err = runner.Compile(spec)
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s:\ngot  %v\nwant %q", tc.flows, err, tc.want)
		}
	}
}
