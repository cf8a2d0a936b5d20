package sandbox_test

import (
	"encoding/base64"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flowrun/flowrun/examples/sandbox"
)

func newOpenloyaltyClock() *fakeClock { return newFakeClock(time.Unix(1_700_000_000, 0)) }

// openloyaltyCall sends one request; auth is the whole Authorization header.
// It reports failures with t.Errorf, so goroutines may call it too.
func openloyaltyCall(t *testing.T, method, url, auth, body string) reply {
	t.Helper()
	r := call(t, method, url, map[string]string{"Authorization": auth}, body)
	if ct := r.header.Get("Content-Type"); r.header != nil && ct != "application/json" {
		t.Errorf("%s %s: got Content-Type %q, want application/json", method, url, ct)
	}
	return r
}

// openloyaltyLogin logs in at path and returns the token pair.
func openloyaltyLogin(t *testing.T, base, path, user, password string) (token, refresh string) {
	t.Helper()
	r := openloyaltyCall(t, "POST", base+path, "", fmt.Sprintf(`{"username":%q,"password":%q}`, user, password))
	if r.status != http.StatusOK {
		t.Fatalf("login %s: got status %d (%v), want 200", user, r.status, r.body)
	}
	return r.str("token"), r.str("refresh_token")
}

func openloyaltyMemberLogin(t *testing.T, base string) (token, refresh string) {
	return openloyaltyLogin(t, base, "/api/DEFAULT/member/login_check", "member@example.com", "password123")
}

func openloyaltyRefresh(t *testing.T, base, refresh string) reply {
	return openloyaltyCall(t, "POST", base+"/api/DEFAULT/token/refresh", "", fmt.Sprintf(`{"refresh_token":%q}`, refresh))
}

func TestOpenloyaltyLogin(t *testing.T) {
	base := start(t, "openloyalty", sandbox.Options{Now: newOpenloyaltyClock().Now})
	member, admin := "/api/DEFAULT/member/login_check", "/api/admin/login_check"
	tests := []struct {
		name, method, path, body string
		status                   int
		message                  string // "" when a token pair is expected
	}{
		{"member", "POST", member, `{"username":"member@example.com","password":"password123"}`, 200, ""},
		{"jane", "POST", member, `{"username":"jane@example.com","password":"jane-password"}`, 200, ""},
		{"wrong password", "POST", member, `{"username":"member@example.com","password":"nope"}`, 401, "Invalid credentials."},
		{"unknown member", "POST", member, `{"username":"who@example.com","password":"password123"}`, 401, "Invalid credentials."},
		{"missing password", "POST", member, `{"username":"member@example.com"}`, 400, "Both username and password are required."},
		{"missing username", "POST", member, `{"password":"password123"}`, 400, "Both username and password are required."},
		{"malformed json", "POST", member, `{"username":`, 400, "Invalid JSON body."},
		{"empty body", "POST", member, ``, 400, "Invalid JSON body."},
		{"unknown store", "POST", "/api/OTHER/member/login_check", `{"username":"member@example.com","password":"password123"}`, 404, "Store not found"},
		{"wrong method", "GET", member, ``, 405, "Method Not Allowed"},
		{"admin", "POST", admin, `{"username":"admin","password":"admin-password"}`, 200, ""},
		{"admin wrong password", "POST", admin, `{"username":"admin","password":"nope"}`, 401, "Invalid credentials."},
		{"member on admin login", "POST", admin, `{"username":"member@example.com","password":"password123"}`, 401, "Invalid credentials."},
		{"unknown path", "GET", "/api/DEFAULT/nothing", ``, 404, "Not Found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := openloyaltyCall(t, tt.method, base+tt.path, "", tt.body)
			if r.status != tt.status {
				t.Fatalf("got status %d (%v), want %d", r.status, r.body, tt.status)
			}
			if tt.message != "" {
				if r.message() != tt.message || r.body["code"] != float64(tt.status) {
					t.Errorf("got %v, want code %d message %q", r.body, tt.status, tt.message)
				}
				return
			}
			jwtClaims(t, r.str("token"))
			if r.str("refresh_token") == "" {
				t.Errorf("got no refresh_token in %v, want one", r.body)
			}
		})
	}
}

func TestOpenloyaltyEndpoints(t *testing.T) {
	base := start(t, "openloyalty", sandbox.Options{Now: newOpenloyaltyClock().Now})
	member, _ := openloyaltyMemberLogin(t, base)
	jane, _ := openloyaltyLogin(t, base, "/api/DEFAULT/member/login_check", "jane@example.com", "jane-password")
	admin, _ := openloyaltyLogin(t, base, "/api/admin/login_check", "admin", "admin-password")
	tampered := member[:len(member)-4] + "AAAA"
	tests := []struct {
		name, method, path, auth string
		status                   int
		field, want              string // a field of the answer and its value
	}{
		{"profile", "GET", "/api/DEFAULT/member/profile", "Bearer " + member, 200, "email", "member@example.com"},
		{"profile id", "GET", "/api/DEFAULT/member/profile", "Bearer " + member, 200, "customerId", "0b6b5c0e-6c3f-4d8e-9a51-3f0c2a7d1e01"},
		{"profile jane", "GET", "/api/DEFAULT/member/profile", "Bearer " + jane, 200, "firstName", "Jane"},
		{"points", "GET", "/api/DEFAULT/member/points", "Bearer " + member, 200, "activePoints", "1250"},
		{"points jane", "GET", "/api/DEFAULT/member/points", "Bearer " + jane, 200, "activePoints", "80.5"},
		{"no header", "GET", "/api/DEFAULT/member/profile", "", 401, "message", "JWT Token not found"},
		{"raw token", "GET", "/api/DEFAULT/member/profile", member, 401, "message", "JWT Token not found"},
		{"basic scheme", "GET", "/api/DEFAULT/member/points", "Basic bWVtYmVyOnB3", 401, "message", "JWT Token not found"},
		{"garbage", "GET", "/api/DEFAULT/member/profile", "Bearer not-a-jwt", 401, "message", "Invalid JWT Token"},
		{"tampered", "GET", "/api/DEFAULT/member/profile", "Bearer " + tampered, 401, "message", "Invalid JWT Token"},
		{"admin on member", "GET", "/api/DEFAULT/member/profile", "Bearer " + admin, 403, "message", "Access Denied."},
		{"customers", "GET", "/api/DEFAULT/customer", "Bearer " + admin, 200, "total", "2"},
		{"member on admin", "GET", "/api/DEFAULT/customer", "Bearer " + member, 403, "message", "Access Denied."},
		{"customers no token", "GET", "/api/DEFAULT/customer", "", 401, "message", "JWT Token not found"},
		{"other store", "GET", "/api/OTHER/member/profile", "Bearer " + member, 404, "message", "Store not found"},
		{"post on profile", "POST", "/api/DEFAULT/member/profile", "Bearer " + member, 405, "message", "Method Not Allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := openloyaltyCall(t, tt.method, base+tt.path, tt.auth, "")
			if got := fmt.Sprint(r.body[tt.field]); r.status != tt.status || got != tt.want {
				t.Errorf("got %d %s=%s, want %d %s=%s", r.status, tt.field, got, tt.status, tt.field, tt.want)
			}
		})
	}
}

func TestOpenloyaltyRefresh(t *testing.T) {
	base := start(t, "openloyalty", sandbox.Options{Now: newOpenloyaltyClock().Now})
	token, refresh := openloyaltyMemberLogin(t, base)
	r := openloyaltyRefresh(t, base, refresh)
	newToken, newRefresh := r.str("token"), r.str("refresh_token")
	if r.status != 200 || newToken == "" || newToken == token || newRefresh == "" || newRefresh == refresh {
		t.Fatalf("refresh: got %d %v, want 200 with a new token and a new refresh_token", r.status, r.body)
	}
	steps := []struct {
		name, path, auth, body string
		status                 int
		message                string
	}{
		{"new token works", "/api/DEFAULT/member/profile", "Bearer " + newToken, "", 200, ""},
		{"old token still valid", "/api/DEFAULT/member/profile", "Bearer " + token, "", 200, ""},
		{"used refresh refused", "/api/DEFAULT/token/refresh", "", `{"refresh_token":"` + refresh + `"}`, 401, "JWT Refresh Token Not Found"},
		{"unknown refresh", "/api/DEFAULT/token/refresh", "", `{"refresh_token":"nope"}`, 401, "JWT Refresh Token Not Found"},
		{"missing field", "/api/DEFAULT/token/refresh", "", `{}`, 400, "refresh_token is required."},
		{"malformed json", "/api/DEFAULT/token/refresh", "", `[`, 400, "Invalid JSON body."},
		{"other store", "/api/OTHER/token/refresh", "", `{"refresh_token":"` + newRefresh + `"}`, 404, "Store not found"},
		{"new refresh works", "/api/DEFAULT/token/refresh", "", `{"refresh_token":"` + newRefresh + `"}`, 200, ""},
	}
	for _, st := range steps {
		method := "POST"
		if st.body == "" {
			method = "GET"
		}
		r := openloyaltyCall(t, method, base+st.path, st.auth, st.body)
		if r.status != st.status || r.message() != st.message {
			t.Errorf("%s: got %d %q, want %d %q", st.name, r.status, r.message(), st.status, st.message)
		}
	}
}

func TestOpenloyaltyExpiry(t *testing.T) {
	clock := newOpenloyaltyClock()
	base := start(t, "openloyalty", sandbox.Options{TokenLifetime: time.Second, RefreshLifetime: 3 * time.Second, Now: clock.Now})
	token, refresh := openloyaltyMemberLogin(t, base)
	profile := base + "/api/DEFAULT/member/profile"
	if r := openloyaltyCall(t, "GET", profile, "Bearer "+token, ""); r.status != 200 {
		t.Fatalf("fresh token: got %d, want 200", r.status)
	}
	clock.Advance(time.Second)
	if r := openloyaltyCall(t, "GET", profile, "Bearer "+token, ""); r.status != 401 || r.message() != "Expired JWT Token" {
		t.Errorf("after 1s: got %d %q, want 401 %q", r.status, r.message(), "Expired JWT Token")
	}
	r := openloyaltyRefresh(t, base, refresh)
	if r.status != 200 {
		t.Fatalf("refresh of an expired token's pair: got %d, want 200", r.status)
	}
	if r := openloyaltyCall(t, "GET", profile, "Bearer "+r.str("token"), ""); r.status != 200 {
		t.Errorf("refreshed token: got %d, want 200", r.status)
	}
	clock.Advance(3 * time.Second)
	if r := openloyaltyRefresh(t, base, r.str("refresh_token")); r.status != 401 || r.message() != "JWT Refresh Token Not Found" {
		t.Errorf("expired refresh: got %d %q, want 401 %q", r.status, r.message(), "JWT Refresh Token Not Found")
	}
}

func TestOpenloyaltyDefaultLifetimes(t *testing.T) {
	clock := newOpenloyaltyClock()
	base := start(t, "openloyalty", sandbox.Options{Now: clock.Now})
	token, refresh := openloyaltyMemberLogin(t, base)
	claims := jwtClaims(t, token)
	if got := time.Duration(claims["exp"].(float64)-claims["iat"].(float64)) * time.Second; got != 24*time.Hour {
		t.Errorf("got token lifetime %v, want 24h", got)
	}
	if got := fmt.Sprint(claims["roles"]); got != "[ROLE_PARTICIPANT]" {
		t.Errorf("got roles %s, want [ROLE_PARTICIPANT]", got)
	}
	clock.Advance(30*24*time.Hour - time.Second)
	r := openloyaltyRefresh(t, base, refresh)
	if r.status != 200 {
		t.Fatalf("refresh just before 30 days: got %d, want 200", r.status)
	}
	clock.Advance(30 * 24 * time.Hour)
	if r := openloyaltyRefresh(t, base, r.str("refresh_token")); r.status != 401 {
		t.Errorf("refresh after 30 days: got %d, want 401", r.status)
	}
}

func TestOpenloyaltyConcurrency(t *testing.T) {
	base := start(t, "openloyalty", sandbox.Options{Now: newOpenloyaltyClock().Now})
	token, refresh := openloyaltyMemberLogin(t, base)
	const n = 16
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		refreshed int
	)
	for range n {
		wg.Go(func() {
			if r := openloyaltyRefresh(t, base, refresh); r.status == 200 {
				mu.Lock()
				refreshed++
				mu.Unlock()
			}
		})
		wg.Go(func() {
			body := `{"username":"jane@example.com","password":"jane-password"}`
			if r := openloyaltyCall(t, "POST", base+"/api/DEFAULT/member/login_check", "", body); r.status != 200 {
				t.Errorf("concurrent login: got %d, want 200", r.status)
			}
		})
		wg.Go(func() {
			if r := openloyaltyCall(t, "GET", base+"/api/DEFAULT/member/points", "Bearer "+token, ""); r.status != 200 {
				t.Errorf("concurrent points: got %d, want 200", r.status)
			}
		})
	}
	wg.Wait()
	if refreshed != 1 {
		t.Errorf("got %d successful refreshes of one refresh token, want 1", refreshed)
	}
}

func TestOpenloyaltyFaults(t *testing.T) {
	tests := []struct {
		fault   string
		probe   func(t *testing.T, base string, clock *fakeClock) string
		off, on string
	}{
		{"accept-expired", func(t *testing.T, base string, clock *fakeClock) string {
			token, _ := openloyaltyMemberLogin(t, base)
			clock.Advance(2 * time.Second)
			return fmt.Sprint(openloyaltyCall(t, "GET", base+"/api/DEFAULT/member/profile", "Bearer "+token, "").status)
		}, "401", "200"},
		{"no-rotation", func(t *testing.T, base string, _ *fakeClock) string {
			_, refresh := openloyaltyMemberLogin(t, base)
			same := openloyaltyRefresh(t, base, refresh).str("refresh_token") == refresh
			return fmt.Sprintf("same=%v again=%d", same, openloyaltyRefresh(t, base, refresh).status)
		}, "same=false again=401", "same=true again=200"},
		{"reuse-refresh", func(t *testing.T, base string, _ *fakeClock) string {
			_, refresh := openloyaltyMemberLogin(t, base)
			same := openloyaltyRefresh(t, base, refresh).str("refresh_token") == refresh
			return fmt.Sprintf("same=%v again=%d", same, openloyaltyRefresh(t, base, refresh).status)
		}, "same=false again=401", "same=false again=200"},
		{"member-on-admin", func(t *testing.T, base string, _ *fakeClock) string {
			token, _ := openloyaltyMemberLogin(t, base)
			return fmt.Sprint(openloyaltyCall(t, "GET", base+"/api/DEFAULT/customer", "Bearer "+token, "").status)
		}, "403", "200"},
		{"accept-no-token", func(t *testing.T, base string, _ *fakeClock) string {
			return fmt.Sprint(openloyaltyCall(t, "GET", base+"/api/DEFAULT/member/points", "", "").status)
		}, "401", "200"},
		{"wrong-error-message", func(t *testing.T, base string, _ *fakeClock) string {
			r := openloyaltyCall(t, "POST", base+"/api/DEFAULT/member/login_check", "", `{"username":"member@example.com","password":"x"}`)
			return fmt.Sprintf("%d %s", r.status, r.message())
		}, "401 Invalid credentials.", "401 Bad credentials"},
		{"accept-alg-none", func(t *testing.T, base string, _ *fakeClock) string {
			token, _ := openloyaltyMemberLogin(t, base)
			parts := strings.Split(token, ".")
			none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "."
			return fmt.Sprint(openloyaltyCall(t, "GET", base+"/api/DEFAULT/member/points", "Bearer "+none, "").status)
		}, "401", "200"},
		{"ignore-signature", func(t *testing.T, base string, _ *fakeClock) string {
			token, _ := openloyaltyMemberLogin(t, base)
			parts := strings.Split(token, ".")
			forged := parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString([]byte("not the signature"))
			return fmt.Sprint(openloyaltyCall(t, "GET", base+"/api/DEFAULT/member/points", "Bearer "+forged, "").status)
		}, "401", "200"},
		{"accept-raw-token", func(t *testing.T, base string, _ *fakeClock) string {
			token, _ := openloyaltyMemberLogin(t, base)
			return fmt.Sprint(openloyaltyCall(t, "GET", base+"/api/DEFAULT/member/points", token, "").status)
		}, "401", "200"},
	}
	var names []string
	for _, tt := range tests {
		names = append(names, tt.fault)
		t.Run(tt.fault, func(t *testing.T) {
			for _, faulty := range []bool{false, true} {
				clock := newOpenloyaltyClock()
				o, want := sandbox.Options{TokenLifetime: time.Second, Now: clock.Now}, tt.off
				if faulty {
					o.Faults, want = []string{tt.fault}, tt.on
				}
				if got := tt.probe(t, start(t, "openloyalty", o), clock); got != want {
					t.Errorf("fault on=%v: got %q, want %q", faulty, got, want)
				}
			}
		})
	}
	if got := slices.Sorted(maps.Keys(sandbox.Faults("openloyalty"))); !slices.Equal(got, slices.Sorted(slices.Values(names))) {
		t.Errorf("got faults %v, want %v", got, names)
	}
	if _, err := sandbox.New("openloyalty", sandbox.Options{Faults: []string{"nope"}}); err == nil {
		t.Error("got no error for an unknown fault, want one")
	}
}
