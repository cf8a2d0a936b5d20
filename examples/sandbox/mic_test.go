package sandbox_test

import (
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/flowrun/flowrun/examples/sandbox"
)

const micKey = "sandbox-api-key"

func newMICClock() *fakeClock { return newFakeClock(time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)) }

// micHeaders builds the three credential headers; call leaves out empty ones.
func micHeaders(key, token, identityID string) map[string]string {
	return map[string]string{"x-api-key": key, "Authorization": token, "identityId": identityID}
}

func micCall(t *testing.T, base, method, path string, h map[string]string, body string) (int, map[string]any) {
	t.Helper()
	r := call(t, method, base+path, h, body)
	return r.status, r.body
}

// micOutcome condenses an answer to "status message", "status userName" for a
// user, "status environment" for metadata, or "status credentials" for a
// login or refresh.
func micOutcome(status int, body map[string]any) string {
	for _, key := range []string{"message", "userName", "environment"} {
		if v, ok := body[key]; ok {
			return fmt.Sprintf("%d %v", status, v)
		}
	}
	if _, ok := body["credentials"]; ok {
		return fmt.Sprintf("%d credentials", status)
	}
	return fmt.Sprintf("%d %v", status, body)
}

type micCreds struct{ identityID, token, refresh string }

// micCredsOf reads the credentials object of a login or refresh answer.
func micCredsOf(body map[string]any) micCreds {
	c, _ := body["credentials"].(map[string]any)
	s := func(k string) string { v, _ := c[k].(string); return v }
	return micCreds{identityID: s("identityId"), token: s("token"), refresh: s("refreshToken")}
}

func micLogin(t *testing.T, base string, user string) micCreds {
	t.Helper()
	body := fmt.Sprintf(`{"userName":%q,"password":%q}`, user, user+"-password")
	status, out := micCall(t, base, http.MethodPost, "/auth/login", micHeaders(micKey, "", ""), body)
	if status != http.StatusOK {
		t.Fatalf("login %s: got %d %v, want 200", user, status, out)
	}
	return micCredsOf(out)
}

// micStep is one request of a scripted sequence and the outcome it must have.
type micStep struct {
	name, method, path string
	header             map[string]string
	body, want         string
}

// micSteps runs steps in order as subtests, reporting each differing outcome.
func micSteps(t *testing.T, base string, steps []micStep) {
	t.Helper()
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if got := micOutcome(micCall(t, base, s.method, s.path, s.header, s.body)); got != s.want {
				t.Errorf("got %q, want %q", got, s.want)
			}
		})
	}
}

func micRefreshBody(refresh string) string { return fmt.Sprintf(`{"refreshToken":%q}`, refresh) }

func micRefresh(t *testing.T, base string, refresh string) (string, micCreds) {
	t.Helper()
	status, out := micCall(t, base, http.MethodPost, "/auth/refresh", micHeaders(micKey, "", ""), micRefreshBody(refresh))
	return micOutcome(status, out), micCredsOf(out)
}

func micReadUser(t *testing.T, base string, c micCreds, user string) string {
	t.Helper()
	return micOutcome(micCall(t, base, http.MethodGet, "/users/"+user, micHeaders(micKey, c.token, c.identityID), ""))
}

func TestMICLogin(t *testing.T) {
	base := start(t, "mic", sandbox.Options{})
	identity := regexp.MustCompile(`^eu-west-1:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	cases := []struct {
		name, key, body string
		want            string
	}{
		{"alice", micKey, `{"userName":"alice","password":"alice-password"}`, "200 credentials"},
		{"bob", micKey, `{"userName":"bob","password":"bob-password"}`, "200 credentials"},
		{"no api key", "", `{"userName":"alice","password":"alice-password"}`, "403 Forbidden"},
		{"wrong api key", "other-key", `{"userName":"alice","password":"alice-password"}`, "403 Forbidden"},
		{"wrong password", micKey, `{"userName":"alice","password":"bob-password"}`, "401 Incorrect username or password."},
		{"unknown user", micKey, `{"userName":"carol","password":"carol-password"}`, "401 Incorrect username or password."},
		{"no password", micKey, `{"userName":"alice"}`, "400 userName and password are required"},
		{"empty object", micKey, `{}`, "400 userName and password are required"},
		{"malformed JSON", micKey, `{"userName":`, "400 Invalid request body"},
		{"not an object", micKey, `["alice"]`, "400 Invalid request body"},
		{"no body", micKey, ``, "400 Invalid request body"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, out := micCall(t, base, http.MethodPost, "/auth/login", micHeaders(tc.key, "", ""), tc.body)
			if got := micOutcome(status, out); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
			if status != http.StatusOK {
				return
			}
			c := micCredsOf(out)
			if !identity.MatchString(c.identityID) || c.token == "" || c.refresh == "" || c.token == c.refresh {
				t.Errorf("credentials: got %+v, want eu-west-1:<uuid> and two distinct tokens", c)
			}
		})
	}
}

func TestMICCredentialsRequired(t *testing.T) {
	base := start(t, "mic", sandbox.Options{})
	alice, bob := micLogin(t, base, "alice"), micLogin(t, base, "bob")
	micSteps(t, base, []micStep{
		{"all three", http.MethodGet, "/users/alice", micHeaders(micKey, alice.token, alice.identityID), "", "200 alice"},
		{"identityId as query", http.MethodGet, "/users/alice?identityId=" + alice.identityID, micHeaders(micKey, alice.token, ""), "", "200 alice"},
		{"bob reads bob", http.MethodGet, "/users/bob", micHeaders(micKey, bob.token, bob.identityID), "", "200 bob"},
		{"no api key", http.MethodGet, "/users/alice", micHeaders("", alice.token, alice.identityID), "", "403 Forbidden"},
		{"wrong api key", http.MethodGet, "/users/alice", micHeaders("wrong", alice.token, alice.identityID), "", "403 Forbidden"},
		{"no Authorization", http.MethodGet, "/users/alice", micHeaders(micKey, "", alice.identityID), "", "403 Forbidden"},
		{"no identityId", http.MethodGet, "/users/alice", micHeaders(micKey, alice.token, ""), "", "403 Forbidden"},
		{"nothing", http.MethodGet, "/users/alice", micHeaders("", "", ""), "", "403 Forbidden"},
		{"Bearer scheme", http.MethodGet, "/users/alice", micHeaders(micKey, "Bearer "+alice.token, alice.identityID), "", "401 Unauthorized"},
		{"unknown token", http.MethodGet, "/users/alice", micHeaders(micKey, "not-a-token", alice.identityID), "", "401 Unauthorized"},
		{"another user's identityId", http.MethodGet, "/users/alice", micHeaders(micKey, alice.token, bob.identityID), "", "403 identityId does not match the token"},
		{"another user", http.MethodGet, "/users/bob", micHeaders(micKey, alice.token, alice.identityID), "", "404 User not found"},
		{"unknown user", http.MethodGet, "/users/nobody", micHeaders(micKey, alice.token, alice.identityID), "", "404 User not found"},
	})
	_, out := micCall(t, base, http.MethodGet, "/users/alice", micHeaders(micKey, alice.token, alice.identityID), "")
	want := map[string]any{"userName": "alice", "email": "alice@example.com", "firstName": "Alice",
		"lastName": "Andersen", "roleName": "Admin", "domainName": "sandbox"}
	if !maps.Equal(out, want) {
		t.Errorf("user: got %v, want %v", out, want)
	}
}

func TestMICRefresh(t *testing.T) {
	base := start(t, "mic", sandbox.Options{})
	old := micLogin(t, base, "alice")
	got, fresh := micRefresh(t, base, old.refresh)
	if got != "200 credentials" {
		t.Fatalf("refresh: got %q, want %q", got, "200 credentials")
	}
	if fresh.token == old.token || fresh.refresh == old.refresh || fresh.identityID != old.identityID {
		t.Errorf("refresh: got %+v from %+v, want both tokens rotated and the same identityId", fresh, old)
	}
	key := micHeaders(micKey, "", "")
	micSteps(t, base, []micStep{
		{"old token", http.MethodGet, "/users/alice", micHeaders(micKey, old.token, old.identityID), "", "401 Unauthorized"},
		{"new token", http.MethodGet, "/users/alice", micHeaders(micKey, fresh.token, fresh.identityID), "", "200 alice"},
		{"used refresh token", http.MethodPost, "/auth/refresh", key, micRefreshBody(old.refresh), "401 Invalid refresh token"},
		{"unknown refresh token", http.MethodPost, "/auth/refresh", key, micRefreshBody("nope"), "401 Invalid refresh token"},
		{"no api key", http.MethodPost, "/auth/refresh", micHeaders("", "", ""), micRefreshBody(fresh.refresh), "403 Forbidden"},
		{"no refreshToken", http.MethodPost, "/auth/refresh", key, `{}`, "400 refreshToken is required"},
		{"malformed", http.MethodPost, "/auth/refresh", key, `{`, "400 Invalid request body"},
		{"new refresh token", http.MethodPost, "/auth/refresh", key, micRefreshBody(fresh.refresh), "200 credentials"},
	})
}

func TestMICLogout(t *testing.T) {
	base := start(t, "mic", sandbox.Options{})
	c := micLogin(t, base, "bob")
	all := micHeaders(micKey, c.token, c.identityID)
	micSteps(t, base, []micStep{
		{"without identityId", http.MethodPost, "/auth/logout", micHeaders(micKey, c.token, ""), "", "403 Forbidden"},
		{"without api key", http.MethodPost, "/auth/logout", micHeaders("", c.token, c.identityID), "", "403 Forbidden"},
		{"logout", http.MethodPost, "/auth/logout", all, "", "200 Logged out"},
		{"token after logout", http.MethodGet, "/users/bob", all, "", "401 Unauthorized"},
		{"refresh after logout", http.MethodPost, "/auth/refresh", all, micRefreshBody(c.refresh), "401 Invalid refresh token"},
		{"logout again", http.MethodPost, "/auth/logout", all, "", "401 Unauthorized"},
	})
}

func TestMICExpiry(t *testing.T) {
	cases := []struct {
		name           string
		token, refresh time.Duration // configured; zero means the defaults
		wantT, wantR   time.Duration // effective
	}{
		{"short", time.Second, 2 * time.Second, time.Second, 2 * time.Second},
		{"defaults", 0, 0, time.Hour, 30 * 24 * time.Hour},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clock := newMICClock()
			base := start(t, "mic", sandbox.Options{TokenLifetime: tc.token, RefreshLifetime: tc.refresh, Now: clock.Now})
			c := micLogin(t, base, "alice")
			clock.Advance(tc.wantT - time.Millisecond)
			if got := micReadUser(t, base, c, "alice"); got != "200 alice" {
				t.Errorf("just before token expiry: got %q, want %q", got, "200 alice")
			}
			clock.Advance(time.Millisecond)
			if got := micReadUser(t, base, c, "alice"); got != "401 The incoming token has expired" {
				t.Errorf("at token expiry: got %q, want %q", got, "401 The incoming token has expired")
			}
			got, fresh := micRefresh(t, base, c.refresh)
			if got != "200 credentials" || micReadUser(t, base, fresh, "alice") != "200 alice" {
				t.Fatalf("refresh after token expiry: got %q, want a working new token", got)
			}
			clock.Advance(tc.wantR)
			if got, _ := micRefresh(t, base, fresh.refresh); got != "401 Refresh token has expired" {
				t.Errorf("at refresh expiry: got %q, want %q", got, "401 Refresh token has expired")
			}
		})
	}
}

func TestMICConcurrentRefresh(t *testing.T) {
	base := start(t, "mic", sandbox.Options{})
	c := micLogin(t, base, "alice")
	const n = 16
	results := make(chan string, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			results <- micOutcome(micCall(t, base, http.MethodPost, "/auth/refresh", micHeaders(micKey, "", ""), micRefreshBody(c.refresh)))
		})
	}
	wg.Wait()
	close(results)
	counts := map[string]int{}
	for r := range results {
		counts[r]++
	}
	want := map[string]int{"200 credentials": 1, "401 Invalid refresh token": n - 1}
	if !maps.Equal(counts, want) {
		t.Errorf("got %v, want %v", counts, want)
	}
}

func TestMICConcurrentSessions(t *testing.T) {
	base := start(t, "mic", sandbox.Options{})
	var wg sync.WaitGroup
	for i := range 20 {
		user := []string{"alice", "bob"}[i%2]
		wg.Go(func() { micSession(t, base, user) })
	}
	wg.Wait()
}

// micSession logs in, reads the user, logs out and checks the token is dead,
// reporting the first difference.
func micSession(t *testing.T, base, user string) {
	t.Helper()
	body := fmt.Sprintf(`{"userName":%q,"password":%q}`, user, user+"-password")
	status, out := micCall(t, base, http.MethodPost, "/auth/login", micHeaders(micKey, "", ""), body)
	if status != http.StatusOK {
		t.Errorf("%s login: got %d %v, want 200", user, status, out)
		return
	}
	c := micCredsOf(out)
	h := micHeaders(micKey, c.token, c.identityID)
	steps := []struct{ method, path, want string }{
		{http.MethodGet, "/users/" + user, "200 " + user},
		{http.MethodPost, "/auth/logout", "200 Logged out"},
		{http.MethodGet, "/users/" + user, "401 Unauthorized"},
	}
	for _, s := range steps {
		if got := micOutcome(micCall(t, base, s.method, s.path, h, "")); got != s.want {
			t.Errorf("%s %s %s: got %q, want %q", user, s.method, s.path, got, s.want)
			return
		}
	}
}

func TestMICOpenEndpoints(t *testing.T) {
	base := start(t, "mic", sandbox.Options{})
	micSteps(t, base, []micStep{
		{"metadata with api key only", http.MethodGet, "/metadata", micHeaders(micKey, "", ""), "", "200 sandbox"},
		{"metadata without api key", http.MethodGet, "/metadata", micHeaders("", "", ""), "", "403 Forbidden"},
		{"metadata with wrong api key", http.MethodGet, "/metadata", micHeaders("wrong", "", ""), "", "403 Forbidden"},
		{"unknown path", http.MethodGet, "/devices", micHeaders(micKey, "", ""), "", "404 Not Found"},
		{"GET /auth/login", http.MethodGet, "/auth/login", micHeaders(micKey, "", ""), "", "405 Method Not Allowed"},
		{"GET /auth/refresh", http.MethodGet, "/auth/refresh", micHeaders(micKey, "", ""), "", "405 Method Not Allowed"},
		{"DELETE /auth/logout", http.MethodDelete, "/auth/logout", micHeaders(micKey, "", ""), "", "405 Method Not Allowed"},
		{"POST /users/alice", http.MethodPost, "/users/alice", micHeaders(micKey, "", ""), "", "405 Method Not Allowed"},
		{"POST /metadata", http.MethodPost, "/metadata", micHeaders(micKey, "", ""), "", "405 Method Not Allowed"},
	})
}

func TestMICFaults(t *testing.T) {
	cases := []struct {
		fault         string
		run           func(t *testing.T, base string, clock *fakeClock) string
		without, with string
	}{
		{"no-api-key-check", func(t *testing.T, base string, _ *fakeClock) string {
			body := `{"userName":"alice","password":"alice-password"}`
			return micOutcome(micCall(t, base, http.MethodPost, "/auth/login", micHeaders("", "", ""), body))
		}, "403 Forbidden", "200 credentials"},
		{"ignore-logout", func(t *testing.T, base string, _ *fakeClock) string {
			c := micLogin(t, base, "alice")
			micCall(t, base, http.MethodPost, "/auth/logout", micHeaders(micKey, c.token, c.identityID), "")
			return micReadUser(t, base, c, "alice")
		}, "401 Unauthorized", "200 alice"},
		{"no-rotation", func(t *testing.T, base string, _ *fakeClock) string {
			c := micLogin(t, base, "alice")
			_, fresh := micRefresh(t, base, c.refresh)
			again, _ := micRefresh(t, base, c.refresh)
			return fmt.Sprintf("same=%v then %s", fresh.refresh == c.refresh, again)
		}, "same=false then 401 Invalid refresh token", "same=true then 200 credentials"},
		{"accept-expired", func(t *testing.T, base string, clock *fakeClock) string {
			c := micLogin(t, base, "alice")
			clock.Advance(2 * time.Hour)
			return micReadUser(t, base, c, "alice")
		}, "401 The incoming token has expired", "200 alice"},
		{"no-identity-check", func(t *testing.T, base string, _ *fakeClock) string {
			c := micLogin(t, base, "alice")
			return micReadUser(t, base, micCreds{token: c.token}, "alice")
		}, "403 Forbidden", "200 alice"},
		{"reuse-refresh", func(t *testing.T, base string, _ *fakeClock) string {
			c := micLogin(t, base, "alice")
			_, fresh := micRefresh(t, base, c.refresh)
			again, _ := micRefresh(t, base, c.refresh)
			return fmt.Sprintf("rotated=%v then %s", fresh.refresh != c.refresh, again)
		}, "rotated=true then 401 Invalid refresh token", "rotated=true then 200 credentials"},
		{"refresh-keeps-access", func(t *testing.T, base string, _ *fakeClock) string {
			c := micLogin(t, base, "alice")
			micRefresh(t, base, c.refresh)
			return micReadUser(t, base, c, "alice")
		}, "401 Unauthorized", "200 alice"},
		{"logout-keeps-refresh", func(t *testing.T, base string, _ *fakeClock) string {
			c := micLogin(t, base, "alice")
			micCall(t, base, http.MethodPost, "/auth/logout", micHeaders(micKey, c.token, c.identityID), "")
			again, _ := micRefresh(t, base, c.refresh)
			return micReadUser(t, base, c, "alice") + " then " + again
		}, "401 Unauthorized then 401 Invalid refresh token", "401 Unauthorized then 200 credentials"},
		{"no-owner-check", func(t *testing.T, base string, _ *fakeClock) string {
			return micReadUser(t, base, micLogin(t, base, "bob"), "alice")
		}, "404 User not found", "200 alice"},
	}
	var names []string
	for _, tc := range cases {
		names = append(names, tc.fault)
		t.Run(tc.fault, func(t *testing.T) {
			for _, on := range []bool{false, true} {
				clock := newMICClock()
				o := sandbox.Options{Now: clock.Now}
				want := tc.without
				if on {
					o.Faults, want = []string{tc.fault}, tc.with
				}
				if got := tc.run(t, start(t, "mic", o), clock); got != want {
					t.Errorf("fault on %v: got %q, want %q", on, got, want)
				}
			}
		})
	}
	slices.Sort(names)
	if got := slices.Sorted(maps.Keys(sandbox.Faults("mic"))); !slices.Equal(got, names) {
		t.Errorf("faults: got %v, want %v", got, names)
	}
}
