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

	"github.com/flowrun/flowrun/flows"
	"github.com/flowrun/flowrun/runner"
)

// principalServer keeps one refresh token per user, as OIDC providers
// that bind it to the user and client do: a second login of a user
// revokes the first session's refresh token. It counts the sessions live
// at once, per user and in all.
type principalServer struct {
	mu      sync.Mutex
	refresh map[string]string // user → the one valid refresh token
	access  map[string]string // access token → user
	live    map[string]int
	most    map[string]int
	all     int
	mostAll int
}

func newPrincipalServer(t *testing.T) (*principalServer, *httptest.Server) {
	s := &principalServer{refresh: map[string]string{}, access: map[string]string{}, live: map[string]int{}, most: map[string]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		var in struct{ User string }
		_ = json.NewDecoder(r.Body).Decode(&in)
		s.mu.Lock()
		s.live[in.User]++
		s.most[in.User] = max(s.most[in.User], s.live[in.User])
		s.all++
		s.mostAll = max(s.mostAll, s.all)
		s.mu.Unlock()
		s.issue(w, in.User)
	})
	mux.HandleFunc("POST /refresh", func(w http.ResponseWriter, r *http.Request) {
		var in struct{ User, Refresh string }
		_ = json.NewDecoder(r.Body).Decode(&in)
		s.mu.Lock()
		ok := in.Refresh != "" && s.refresh[in.User] == in.Refresh
		s.mu.Unlock()
		if !ok {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error":"invalid_grant"}`)
			return
		}
		s.issue(w, in.User)
	})
	mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		s.mu.Lock()
		defer s.mu.Unlock()
		user, ok := s.access[tok]
		if !ok {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		delete(s.access, tok)
		s.live[user]--
		s.all--
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		// Slow enough that flows which may overlap do.
		time.Sleep(10 * time.Millisecond)
		s.mu.Lock()
		user, ok := s.access[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
		s.mu.Unlock()
		if !ok {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		fmt.Fprintf(w, `{"user":%q}`, user)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return s, srv
}

func (s *principalServer) issue(w http.ResponseWriter, user string) {
	tok, ref := randomHex(), randomHex()
	s.mu.Lock()
	s.access[tok], s.refresh[user] = user, ref
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"access_token":%q,"refresh_token":%q}`, tok, ref)
}

func randomHex() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// principalSpec is a spec of flows that each log a user in, refresh and
// log out; head goes before the flows, each flow gets extra keys.
func principalSpec(head string, users []string, extra func(i int, user string) string) string {
	var b strings.Builder
	b.WriteString(`provider: leases
base_url: http://unused
auth: {headers: {Authorization: "Bearer {{token}}"}}
requests:
  login:
    method: POST
    path: /login
    json: {user: "{{user}}"}
    capture: {token: access_token, refresh: refresh_token}
` + head + `
flows:
`)
	for i, u := range users {
		fmt.Fprintf(&b, `  - name: flow %d of %s
%s    steps:
      - login: {vars: {user: %s}}
      - call: {path: /me, expect: {assert: ['json("user") == "%s"']}}
      - refresh: {method: POST, path: /refresh, json: {user: %s, refresh: "{{refresh}}"}, capture: {token: access_token, refresh: refresh_token}}
      - call: {path: /me}
      - logout: {method: POST, path: /logout, expect: {status: 204}}
`, i+1, u, extra(i, u), u, u, u)
	}
	return b.String()
}

func repeatUsers(n int, users ...string) []string {
	var out []string
	for i := range n {
		out = append(out, users[i%len(users)])
	}
	return out
}

func TestExclusiveFlowsNeverOverlap(t *testing.T) {
	users := repeatUsers(12, "alice", "bob", "carol")
	tests := []struct {
		name string
		head string
		flow func(i int, user string) string
	}{
		{"exclusive on each flow", "", func(_ int, u string) string { return "    exclusive: [" + u + "]\n" }},
		{"exclusive from a variable", "", func(int, string) string { return "    exclusive: [\"{{who}}\"]\n" }},
		{"principal of the named login", "    principal: \"{{user}}\"\n", func(int, string) string { return "" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, srv := newPrincipalServer(t)
			src := principalSpec(tc.head, users, tc.flow)
			if strings.Contains(src, "{{who}}") {
				// The lease is a variable: each flow sets its own through its rows.
				src = strings.ReplaceAll(src, "    steps:\n      - login: {vars: {user: ", "    rows: [{who: WHO}]\n    steps:\n      - login: {vars: {user: ")
				for _, u := range users {
					src = strings.Replace(src, "rows: [{who: WHO}]\n    steps:\n      - login: {vars: {user: "+u, "rows: [{who: "+u+"}]\n    steps:\n      - login: {vars: {user: "+u, 1)
				}
			}
			res := run(t, plan(t, srv.URL, src), runner.Config{Concurrency: 16})
			if got := res.Status(); got != runner.Passed {
				t.Fatalf("got %s, want passed: %+v", got, res.Counts())
			}
			for u, n := range s.most {
				if n != 1 {
					t.Errorf("user %s: got %d sessions at once, want 1", u, n)
				}
			}
			if s.mostAll < 2 {
				t.Errorf("got at most %d sessions at once in all, want flows of different users to run side by side", s.mostAll)
			}
		})
	}
}

// Without leases the same spec breaks itself: the server is able to tell.
func TestSharedPrincipalsBreakWithoutLeases(t *testing.T) {
	s, srv := newPrincipalServer(t)
	res := run(t, plan(t, srv.URL, principalSpec("", repeatUsers(8, "alice"), func(int, string) string { return "" })), runner.Config{Concurrency: 16})
	if s.most["alice"] < 2 {
		t.Fatalf("got at most %d sessions of alice at once, want overlapping flows", s.most["alice"])
	}
	if res.Status() == runner.Passed {
		t.Errorf("got passed, want the flows to break each other's refresh")
	}
}

func TestSerialRunsOneAtATime(t *testing.T) {
	users := repeatUsers(6, "alice", "bob", "carol")
	t.Run("spec", func(t *testing.T) {
		s, srv := newPrincipalServer(t)
		src := strings.Replace(principalSpec("", users, func(int, string) string { return "" }), "flows:\n", "serial: true\nflows:\n", 1)
		res := run(t, plan(t, srv.URL, src), runner.Config{Concurrency: 8})
		if res.Status() != runner.Passed || s.mostAll != 1 {
			t.Errorf("got %s with %d sessions at once, want passed with 1", res.Status(), s.mostAll)
		}
		var prev time.Time
		for _, f := range res.Specs[0].Flows {
			if f.Started.Before(prev) {
				t.Errorf("flow %q began before the flow before it", f.Name)
			}
			prev = f.Started
		}
	})
	t.Run("flow", func(t *testing.T) {
		s, srv := newPrincipalServer(t)
		// The serial flow is in the middle: the flows before it must have
		// ended when it begins, and those after it wait for it.
		src := principalSpec("", users, func(i int, _ string) string {
			if i == 3 {
				return "    serial: true\n"
			}
			return ""
		})
		res := run(t, plan(t, srv.URL, src), runner.Config{Concurrency: 8})
		if res.Status() != runner.Passed {
			t.Fatalf("got %s, want passed", res.Status())
		}
		fl := res.Specs[0].Flows
		alone := fl[3]
		end := alone.Started.Add(alone.Duration)
		for i, f := range fl {
			if i == 3 {
				continue
			}
			fend := f.Started.Add(f.Duration)
			if f.Started.Before(end) && fend.After(alone.Started) {
				t.Errorf("flow %q overlapped the serial flow", f.Name)
			}
		}
		if s.mostAll < 2 {
			t.Errorf("got at most %d sessions at once, want the other flows in parallel", s.mostAll)
		}
	})
}

func TestExclusiveSpecErrors(t *testing.T) {
	src := `provider: x
base_url: http://unused
requests:
  login: {method: POST, path: /login, capture: {token: t}, principal: "{{nobody}}"}
flows:
  - name: a
    exclusive: ["{{missing}}"]
    steps: [{login: {}}]
`
	_, err := compileErr(src)
	for _, want := range []string{`test.yaml:7:17: flow "a": exclusive`, "missing", `test.yaml:4:71: flow "a": step 1 (login): principal`, "nobody"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want it to contain %q", err, want)
		}
	}
}

// compileErr loads and compiles a spec written inline, returning the
// error of whichever stage fails.
func compileErr(src string) (*runner.Plan, error) {
	spec, err := flows.Parse("test.yaml", []byte(src), func(string) (string, bool) { return "", false })
	if err != nil {
		return nil, err
	}
	return runner.Compile(spec)
}
