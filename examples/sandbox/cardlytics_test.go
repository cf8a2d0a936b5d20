package sandbox_test

import (
	"encoding/base64"
	"encoding/json"
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

func newCardlyticsClock() *fakeClock { return newFakeClock(time.Unix(1_700_000_000, 0)) }

// cardlyticsSession starts a session for a demo-bank customer.
func cardlyticsSession(t *testing.T, base, customer string) reply {
	body := fmt.Sprintf(`{"institutionId":"demo-bank","customerId":%q}`, customer)
	return call(t, "POST", base+"/v2/session/startSession", map[string]string{"X-CDLX-Request-Id": "req-1"}, body)
}

// cardlyticsToken starts a session that must succeed and returns its token.
func cardlyticsToken(t *testing.T, base, customer string) string {
	t.Helper()
	r := cardlyticsSession(t, base, customer)
	if r.status != http.StatusOK || r.str("token") == "" {
		t.Errorf("start session for %s: got %d %v, want 200 with a token", customer, r.status, r.body)
	}
	return r.str("token")
}

func cardlyticsAds(t *testing.T, base, token string) reply {
	return call(t, "POST", base+"/v2/ads/getAds", map[string]string{"X-CDLX-Session-Token": token}, `{}`)
}

// cardlyticsTamper rewrites the token's customerId and keeps its signature.
func cardlyticsTamper(t *testing.T, token, customer string) string {
	t.Helper()
	claims := jwtClaims(t, token)
	claims["customerId"] = customer
	data, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(token, ".")
	return parts[0] + "." + base64.RawURLEncoding.EncodeToString(data) + "." + parts[2]
}

func TestCardlyticsStartSession(t *testing.T) {
	base := start(t, "cardlytics", sandbox.Options{Now: newCardlyticsClock().Now})
	withID := map[string]string{"X-CDLX-Request-Id": "req-42"}
	body := func(inst, cust string) string {
		return fmt.Sprintf(`{"institutionId":%q,"customerId":%q}`, inst, cust)
	}
	tests := []struct {
		name, method, path string
		header             map[string]string
		body               string
		status             int
		message            string // "" when a token is expected
	}{
		{"active", "POST", "/v2/session/startSession", withID, body("demo-bank", "cust-active"), 200, ""},
		{"active 2", "POST", "/v2/session/startSession", withID, body("demo-bank", "cust-active-2"), 200, ""},
		{"inactive", "POST", "/v2/session/startSession", withID, body("demo-bank", "cust-inactive"), 400, "User is not enrolled in the program"},
		{"no accounts", "POST", "/v2/session/startSession", withID, body("demo-bank", "cust-no-accounts"), 400, "User has no accounts"},
		{"unknown customer", "POST", "/v2/session/startSession", withID, body("demo-bank", "nobody"), 400, "Unknown customer"},
		{"unknown institution", "POST", "/v2/session/startSession", withID, body("other-bank", "cust-active"), 400, "Unknown institution"},
		{"missing customer", "POST", "/v2/session/startSession", withID, `{"institutionId":"demo-bank"}`, 400, "institutionId and customerId are required"},
		{"missing institution", "POST", "/v2/session/startSession", withID, `{"customerId":"cust-active"}`, 400, "institutionId and customerId are required"},
		{"missing request id", "POST", "/v2/session/startSession", nil, body("demo-bank", "cust-active"), 400, "X-CDLX-Request-Id header is required"},
		{"malformed json", "POST", "/v2/session/startSession", withID, `{"institutionId":`, 400, "Request body must be a JSON object"},
		{"wrong method", "GET", "/v2/session/startSession", withID, ``, 405, "Method not allowed"},
		{"unknown path", "POST", "/v2/session/endSession", withID, `{}`, 404, "Not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := call(t, tt.method, base+tt.path, tt.header, tt.body)
			if r.status != tt.status || r.str("message") != tt.message {
				t.Fatalf("got %d %q, want %d %q", r.status, r.str("message"), tt.status, tt.message)
			}
			if tt.header != nil && r.header.Get("X-CDLX-Request-Id") != "req-42" {
				t.Errorf("got X-CDLX-Request-Id %q, want req-42 echoed", r.header.Get("X-CDLX-Request-Id"))
			}
			if tt.message != "" {
				return
			}
			claims := jwtClaims(t, r.str("token"))
			keys := slices.Sorted(maps.Keys(claims))
			if want := []string{"customerId", "exp", "iat", "institutionId", "jti", "sessionId"}; !slices.Equal(keys, want) {
				t.Errorf("got claims %v, want exactly %v (no sensitive data)", keys, want)
			}
			if got := claims["exp"].(float64) - claims["iat"].(float64); got != 3600 {
				t.Errorf("got lifetime %vs, want 3600s", got)
			}
		})
	}
}

func TestCardlyticsGetAds(t *testing.T) {
	base := start(t, "cardlytics", sandbox.Options{Now: newCardlyticsClock().Now})
	token := cardlyticsToken(t, base, "cust-active")
	badSig := token[:len(token)-4] + "AAAA"
	tests := []struct {
		name, method string
		header       map[string]string
		status       int
		message      string
	}{
		{"no token", "POST", nil, 401, "X-CDLX-Session-Token header is required"},
		{"authorization header", "POST", map[string]string{"Authorization": "Bearer " + token}, 401,
			"Session token must be sent in the X-CDLX-Session-Token header, not Authorization"},
		{"tampered payload", "POST", map[string]string{"X-CDLX-Session-Token": cardlyticsTamper(t, token, "cust-active-2")}, 401, "Invalid session token"},
		{"bad signature", "POST", map[string]string{"X-CDLX-Session-Token": badSig}, 401, "Invalid session token"},
		{"garbage", "POST", map[string]string{"X-CDLX-Session-Token": "not-a-jwt"}, 401, "Invalid session token"},
		{"wrong method", "GET", map[string]string{"X-CDLX-Session-Token": token}, 405, "Method not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := call(t, tt.method, base+"/v2/ads/getAds", tt.header, `{}`)
			if r.status != tt.status || r.str("message") != tt.message {
				t.Errorf("got %d %q, want %d %q", r.status, r.str("message"), tt.status, tt.message)
			}
		})
	}
	t.Run("valid", func(t *testing.T) {
		h := map[string]string{"X-CDLX-Session-Token": token, "X-CDLX-Request-Id": "req-7"}
		r := call(t, "POST", base+"/v2/ads/getAds", h, `{}`)
		ads, _ := r.body["ads"].([]any)
		if r.status != 200 || r.str("customerId") != "cust-active" || len(ads) != 3 || r.str("requestId") != "req-7" {
			t.Errorf("got %d %v, want 200 for cust-active with 3 ads and requestId req-7", r.status, r.body)
		}
		if got := r.header.Get("X-CDLX-Request-Id"); got != "req-7" {
			t.Errorf("got X-CDLX-Request-Id %q, want req-7", got)
		}
	})
}

func TestCardlyticsExpiry(t *testing.T) {
	clock := newCardlyticsClock()
	base := start(t, "cardlytics", sandbox.Options{TokenLifetime: time.Second, Now: clock.Now})
	token := cardlyticsToken(t, base, "cust-active")
	if r := cardlyticsAds(t, base, token); r.status != 200 {
		t.Fatalf("fresh token: got %d, want 200", r.status)
	}
	clock.Advance(time.Second)
	if r := cardlyticsAds(t, base, token); r.status != 401 || r.str("message") != "Session token has expired" {
		t.Errorf("after 1s: got %d %q, want 401 %q", r.status, r.str("message"), "Session token has expired")
	}
	// Re-starting the session is the refresh.
	if r := cardlyticsAds(t, base, cardlyticsToken(t, base, "cust-active")); r.status != 200 {
		t.Errorf("new session after expiry: got %d, want 200", r.status)
	}
}

func TestCardlyticsConcurrentSessions(t *testing.T) {
	base := start(t, "cardlytics", sandbox.Options{Now: newCardlyticsClock().Now})
	const n = 12
	tokens := make([]string, 2*n)
	var wg sync.WaitGroup
	for i := range tokens {
		customer := []string{"cust-active", "cust-active-2"}[i%2]
		wg.Go(func() {
			tokens[i] = cardlyticsToken(t, base, customer)
			if r := cardlyticsAds(t, base, tokens[i]); r.status != 200 || r.str("customerId") != customer {
				t.Errorf("concurrent getAds: got %d %q, want 200 %q", r.status, r.str("customerId"), customer)
			}
		})
	}
	wg.Wait()
	sessions := map[any]bool{}
	for _, token := range tokens {
		sessions[jwtClaims(t, token)["sessionId"]] = true
		// Every session of the same user stays valid on its own.
		if r := cardlyticsAds(t, base, token); r.status != 200 {
			t.Errorf("earlier session: got %d, want 200", r.status)
		}
	}
	if len(sessions) != len(tokens) {
		t.Errorf("got %d distinct sessionIds, want %d", len(sessions), len(tokens))
	}
}

func TestCardlyticsFaults(t *testing.T) {
	tests := []struct {
		fault   string
		probe   func(t *testing.T, base string, clock *fakeClock) string
		off, on string
	}{
		{"accept-expired", func(t *testing.T, base string, clock *fakeClock) string {
			token := cardlyticsToken(t, base, "cust-active")
			clock.Advance(2 * time.Second)
			return fmt.Sprint(cardlyticsAds(t, base, token).status)
		}, "401", "200"},
		{"accept-tampered", func(t *testing.T, base string, _ *fakeClock) string {
			token := cardlyticsTamper(t, cardlyticsToken(t, base, "cust-active"), "cust-active-2")
			r := cardlyticsAds(t, base, token)
			return fmt.Sprintf("%d %s", r.status, r.str("customerId"))
		}, "401 ", "200 cust-active-2"},
		{"sensitive-payload", func(t *testing.T, base string, _ *fakeClock) string {
			claims := jwtClaims(t, cardlyticsToken(t, base, "cust-active"))
			return fmt.Sprintf("email=%v account=%v", claims["email"], claims["accountNumber"])
		}, "email=<nil> account=<nil>", "email=active@example.com account=40001234567890"},
		{"single-session", func(t *testing.T, base string, _ *fakeClock) string {
			first := cardlyticsToken(t, base, "cust-active")
			second := cardlyticsToken(t, base, "cust-active")
			other := cardlyticsToken(t, base, "cust-active-2")
			return fmt.Sprint(cardlyticsAds(t, base, first).status, cardlyticsAds(t, base, second).status,
				cardlyticsAds(t, base, other).status)
		}, "200 200 200", "401 200 200"},
		{"wrong-error-message", func(t *testing.T, base string, _ *fakeClock) string {
			r := cardlyticsSession(t, base, "cust-inactive")
			return fmt.Sprintf("%d %s", r.status, r.str("message"))
		}, "400 User is not enrolled in the program", "400 User is inactive"},
		{"inactive-allowed", func(t *testing.T, base string, _ *fakeClock) string {
			return fmt.Sprint(cardlyticsSession(t, base, "cust-inactive").status)
		}, "400", "200"},
	}
	var names []string
	for _, tt := range tests {
		names = append(names, tt.fault)
		t.Run(tt.fault, func(t *testing.T) {
			for _, faulty := range []bool{false, true} {
				clock := newCardlyticsClock()
				o, want := sandbox.Options{TokenLifetime: time.Second, Now: clock.Now}, tt.off
				if faulty {
					o.Faults, want = []string{tt.fault}, tt.on
				}
				if got := tt.probe(t, start(t, "cardlytics", o), clock); got != want {
					t.Errorf("fault on=%v: got %q, want %q", faulty, got, want)
				}
			}
		})
	}
	if got := slices.Sorted(maps.Keys(sandbox.Faults("cardlytics"))); !slices.Equal(got, slices.Sorted(slices.Values(names))) {
		t.Errorf("got faults %v, want %v", got, names)
	}
}
