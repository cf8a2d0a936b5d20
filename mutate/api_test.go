package mutate

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"go.uber.org/goleak"

	"github.com/flowrun/flowrun/flows"
	"github.com/flowrun/flowrun/runner"
)

// testAPI is a small auth API that does everything right: a login
// issues an access token and a refresh token; /me takes the access
// token; /admin refuses every member (403); a refresh rotates both and
// refuses a used refresh token; a logout revokes the access token.
type testAPI struct {
	mu      sync.Mutex
	tokens  map[string]string // access token → user
	refresh map[string]string // live refresh token → user
	used    map[string]bool
	// leaked counts requests that reached the API with a header of flowrun's.
	leaked atomic.Int32
}

func newTestAPI(t *testing.T) (*testAPI, *httptest.Server) {
	t.Helper()
	a := &testAPI{tokens: map[string]string{}, refresh: map[string]string{}, used: map[string]bool{}}
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	return a, srv
}

func (a *testAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	for name := range r.Header {
		if strings.HasPrefix(strings.ToLower(name), "x-flowrun") {
			a.leaked.Add(1)
		}
	}
	var in map[string]string
	_ = json.NewDecoder(r.Body).Decode(&in)
	a.mu.Lock()
	defer a.mu.Unlock()
	switch r.Method + " " + r.URL.Path {
	case "POST /login":
		if in["password"] != "pw" {
			reply(w, http.StatusUnauthorized, map[string]any{"message": "bad credentials"})
			return
		}
		reply(w, http.StatusOK, a.issue(in["user"]))
	case "GET /me", "GET /admin", "POST /logout":
		user, why := a.user(r)
		switch {
		case why != "":
			reply(w, http.StatusUnauthorized, map[string]any{"message": why})
		case r.URL.Path == "/admin":
			reply(w, http.StatusForbidden, map[string]any{"message": "admins only"})
		case r.URL.Path == "/logout":
			delete(a.tokens, strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
			reply(w, http.StatusOK, map[string]any{"message": "logged out"})
		default:
			reply(w, http.StatusOK, map[string]any{"user": user})
		}
	case "POST /refresh":
		rt := in["refresh_token"]
		user, ok := a.refresh[rt]
		switch {
		case a.used[rt]:
			reply(w, http.StatusUnauthorized, map[string]any{"message": "refresh token already used"})
		case !ok:
			reply(w, http.StatusUnauthorized, map[string]any{"message": "unknown refresh token"})
		default:
			delete(a.refresh, rt)
			a.used[rt] = true
			reply(w, http.StatusOK, a.issue(user))
		}
	default:
		http.NotFound(w, r)
	}
}

func (a *testAPI) issue(user string) map[string]any {
	tok, rt := randomToken(), randomToken()
	a.tokens[tok], a.refresh[rt] = user, user
	return map[string]any{"token": tok, "refresh_token": rt}
}

// user returns the user of the request's token, or why there is none.
func (a *testAPI) user(r *http.Request) (string, string) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", "missing token"
	}
	user, ok := a.tokens[strings.TrimPrefix(h, "Bearer ")]
	if !ok || !strings.HasPrefix(h, "Bearer ") {
		return "", "invalid token"
	}
	return user, ""
}

func randomToken() string {
	b := make([]byte, 20)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// testSpec is a spec of testAPI; refused and flows are filled in.
const testSpec = `provider: testapi
base_url: ${BASE}
vars: {user: ann, password: pw}
secrets: [password]
auth:
  refused: %s
  headers: {Authorization: "Bearer {{token}}"}
requests:
  login: {method: POST, path: /login, json: {user: "{{user}}", password: "{{password}}"}, capture: {token: token, refresh_token: refresh_token}}
  refresh: {method: POST, path: /refresh, json: {refresh_token: "{{refresh_token}}"}, capture: {token: token, refresh_token: refresh_token}}
  logout: {method: POST, path: /logout}
  me: {method: GET, path: /me}
flows:
%s`

// compile writes a spec, loads it with BASE set to base, and compiles it.
func compile(t *testing.T, spec, base string) *runner.Plan {
	t.Helper()
	path := filepath.Join(t.TempDir(), "spec.yaml")
	if err := os.WriteFile(path, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := flows.Load(path, func(k string) (string, bool) {
		if k == "BASE" {
			return base, true
		}
		return "", false
	})
	if err != nil {
		t.Fatal(err)
	}
	p, err := runner.Compile(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// noLeaks checks, once the test and its cleanups are done, that no
// goroutine it started is left.
func noLeaks(t *testing.T) {
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
}

// runConfig is how the tests run: a client of their own, closed after.
func runConfig(t *testing.T) runner.Config {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	return runner.Config{Client: &http.Client{Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// mutateOne runs one spec with the mutants named.
func mutateOne(t *testing.T, p *runner.Plan, names ...string) *Report {
	t.Helper()
	rep, err := Run(context.Background(), []*runner.Plan{p}, Config{Run: runConfig(t), Mutants: names})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Specs) != 1 {
		t.Fatalf("got %d specs in the report, want 1", len(rep.Specs))
	}
	return rep
}
