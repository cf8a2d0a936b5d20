package sandbox_test

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/flowrun/flowrun/examples/sandbox"
)

func newAmplifiClock() *fakeClock {
	// One hour before the docs' example dtsExpiry, in its zone.
	return newFakeClock(time.Date(2021, 10, 27, 15, 52, 52, 0, time.FixedZone("EDT", -4*3600)))
}

// amplifiCall sends one request, with token in the token header unless empty.
func amplifiCall(t *testing.T, base, method, path, token, body string) (int, map[string]any) {
	t.Helper()
	r := call(t, method, base+path, map[string]string{"token": token}, body)
	return r.status, r.body
}

// amplifiOutcome condenses an answer to "status text", or "status userId"
// for answers without a text.
func amplifiOutcome(status int, body map[string]any) string {
	if text, ok := body["text"]; ok {
		return fmt.Sprintf("%d %v", status, text)
	}
	return fmt.Sprintf("%d %v", status, body["userId"])
}

// amplifiLogins returns a working seeded login body per channel, with the
// user it logs in.
func amplifiLogins() map[string]struct{ body, user string } {
	dts := `"dtsValueString":"2022-10-25T15:50:48.841Z"`
	return map[string]struct{ body, user string }{
		"internet":           {`{"channel":"internet","userName":"ali","password":"qa"}`, "ali"},
		"android":            {`{"channel":"android","uuid":"4f8e3s-846gjuo68r5e3df75vrijtdjw30cy","deviceTagOpen":"420938409283409238","signature":"some_signature","specifics":{"model":"SONY"}}`, "qwerty"},
		"browser":            {`{"channel":"browser","deviceId":"someDeviceID"}`, "ali"},
		"statementGenerator": {`{"channel":"statementGenerator","userId":"ali"}`, "ali"},
		"dicBuilder":         {`{"channel":"dicBuilder","userId":"ali"}`, "ali"},
		"chat":               {`{"channel":"chat","transportUserId":"someTransportUserId","transport":"someDeviceType"}`, "ali"},
		"android_v1":         {`{"channel":"android_v1","deviceTag":"android-v1-device","cryptotext":"someCryptoText",` + dts + `}`, "qwerty"},
		"ios_v1":             {`{"channel":"ios_v1","deviceTag":"ios-v1-device","cryptotext":"someCryptoText",` + dts + `}`, "qwerty"},
		"mobile":             {`{"channel":"mobile","deviceTag":"mobile-device","cryptotext":"someCryptoText",` + dts + `}`, "qwerty"},
		"test":               {`{"channel":"test","deviceTag":"my_deviceTag","deviceData":{"platform":"test"}}`, "ali"},
	}
}

func amplifiLogin(t *testing.T, base, body string) string {
	t.Helper()
	status, out := amplifiCall(t, base, http.MethodPut, "/token", "", body)
	if status != http.StatusOK {
		t.Fatalf("login: got %d %v, want 200", status, out)
	}
	return out["token"].(string)
}

func TestAmplifiLoginEveryChannel(t *testing.T) {
	clock := newAmplifiClock()
	base := start(t, "amplifi", sandbox.Options{Now: clock.Now})
	wantKeys := []string{"AFiUserId", "dtsExpiry", "isLocalSavingAllowed", "postOnboardingStepsRequired", "segment", "success", "token", "userId"}
	for channel, login := range amplifiLogins() {
		t.Run(channel, func(t *testing.T) {
			status, out := amplifiCall(t, base, http.MethodPut, "/token", "", login.body)
			if status != http.StatusOK {
				t.Fatalf("status: got %d %v, want 200", status, out)
			}
			if got := slices.Sorted(maps.Keys(out)); !slices.Equal(got, wantKeys) {
				t.Errorf("keys: got %v, want %v", got, wantKeys)
			}
			if out["success"] != true || out["userId"] != login.user || out["AFiUserId"] != login.user {
				t.Errorf("success, userId, AFiUserId: got %v %v %v, want true %s %s", out["success"], out["userId"], out["AFiUserId"], login.user, login.user)
			}
			if token, _ := out["token"].(string); len(token) < 48 {
				t.Errorf("token: got %q, want 48 or more characters", token)
			}
			if got, want := out["dtsExpiry"], "Wed Oct 27 2021 16:52:52 GMT-0400"; got != want {
				t.Errorf("dtsExpiry: got %v, want %s", got, want)
			}
			status, profile := amplifiCall(t, base, http.MethodGet, "/profile", out["token"].(string), "")
			if status != http.StatusOK || profile["userId"] != login.user || profile["channel"] != channel {
				t.Errorf("profile: got %d %v, want 200 for %s on %s", status, profile, login.user, channel)
			}
		})
	}
}

func TestAmplifiLoginErrors(t *testing.T) {
	base := start(t, "amplifi", sandbox.Options{})
	missing := "Request body is missing required properties: "
	cases := []struct {
		name, body string
		status     int
		text       string
	}{
		{"not JSON", `{"channel":`, 400, "Malformed request, check for syntax errors"},
		{"empty body", ``, 400, "Malformed request, check for syntax errors"},
		{"array", `[]`, 400, "Malformed request, check for syntax errors"},
		{"null", `null`, 400, "Malformed request, check for syntax errors"},
		{"empty object", `{}`, 404, "UnauthorizedError: Error, request body does not contain all the required ingredients"},
		{"no channel", `{"userName":"ali","password":"qa"}`, 404, "UnauthorizedError: Error, request body does not contain all the required ingredients"},
		{"empty channel", `{"channel":""}`, 404, "UnauthorizedError: Error, request body does not contain all the required ingredients"},
		{"unknown channel", `{"channel":"fax"}`, 500, "Invalid channel"},
		{"channel of wrong case", `{"channel":"Internet","userName":"ali","password":"qa"}`, 500, "Invalid channel"},
		{"channel not a string", `{"channel":7}`, 500, "Invalid channel"},
		{"internet without fields", `{"channel":"internet"}`, 401, missing + "userName, password"},
		{"internet without password", `{"channel":"internet","userName":"ali"}`, 401, missing + "password"},
		{"android without signature", `{"channel":"android","uuid":"u","deviceTagOpen":"d"}`, 401, missing + "signature"},
		{"browser without deviceId", `{"channel":"browser"}`, 401, missing + "deviceId"},
		{"statementGenerator without userId", `{"channel":"statementGenerator"}`, 401, missing + "userId"},
		{"dicBuilder with empty userId", `{"channel":"dicBuilder","userId":""}`, 401, missing + "userId"},
		{"chat without transport", `{"channel":"chat","transportUserId":"someTransportUserId"}`, 401, missing + "transport"},
		{"mobile without fields", `{"channel":"mobile"}`, 401, missing + "deviceTag, dtsValueString, cryptotext"},
		{"test with numeric deviceTag", `{"channel":"test","deviceTag":5}`, 401, missing + "deviceTag"},
		{"bad date/time stamp", `{"channel":"ios_v1","deviceTag":"ios-v1-device","cryptotext":"someCryptoText","dtsValueString":"25/10/2022"}`, 401, "Date/time stamp is formatted incorrectly"},
		{"wrong password", `{"channel":"internet","userName":"ali","password":"wrong"}`, 401, "Authentication was unsuccessful"},
		{"unknown user", `{"channel":"internet","userName":"nobody","password":"qa"}`, 401, "Authentication was unsuccessful"},
		{"unknown device", `{"channel":"test","deviceTag":"other"}`, 401, "Authentication was unsuccessful"},
		{"wrong cryptotext", `{"channel":"android_v1","deviceTag":"android-v1-device","cryptotext":"x","dtsValueString":"2022-10-25T15:50:48Z"}`, 401, "Authentication was unsuccessful"},
		{"device of another channel", `{"channel":"mobile","deviceTag":"ios-v1-device","cryptotext":"someCryptoText","dtsValueString":"2022-10-25T15:50:48Z"}`, 401, "Authentication was unsuccessful"},
		{"locked actor", `{"channel":"internet","userName":"locked-user","password":"locked-password"}`, 401, "Actor is locked or blocked"},
		{"token database down", `{"channel":"test","deviceTag":"db-unavailable"}`, 500, "no access to token database"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, out := amplifiCall(t, base, http.MethodPut, "/token", "", tc.body)
			if status != tc.status || out["text"] != tc.text || out["success"] != false {
				t.Errorf("got %d %v, want %d {success:false text:%q}", status, out, tc.status, tc.text)
			}
		})
	}
}

func TestAmplifiTokenUse(t *testing.T) {
	base := start(t, "amplifi", sandbox.Options{})
	token := amplifiLogin(t, base, amplifiLogins()["internet"].body)
	steps := []struct {
		name, method, path, token string
		want                      string
	}{
		{"profile", http.MethodGet, "/profile", token, "200 ali"},
		{"profile without token", http.MethodGet, "/profile", "", "401 Missing token header"},
		{"profile with unknown token", http.MethodGet, "/profile", "not-a-token", "401 Invalid token"},
		{"logout without token", http.MethodDelete, "/token", "", "500 Error: No token."},
		{"logout with unknown token", http.MethodDelete, "/token", "not-a-token", "401 Invalid token"},
		{"logout", http.MethodDelete, "/token", token, "200 Logged out successfully"},
		{"profile after logout", http.MethodGet, "/profile", token, "401 Token has been logged out"},
		{"logout again", http.MethodDelete, "/token", token, "401 Token has been logged out"},
	}
	for _, s := range steps {
		status, out := amplifiCall(t, base, s.method, s.path, s.token, "")
		if got := amplifiOutcome(status, out); got != s.want {
			t.Errorf("%s: got %q, want %q", s.name, got, s.want)
		}
	}
}

func TestAmplifiProfileShape(t *testing.T) {
	base := start(t, "amplifi", sandbox.Options{})
	token := amplifiLogin(t, base, amplifiLogins()["internet"].body)
	_, out := amplifiCall(t, base, http.MethodGet, "/profile", token, "")
	want := map[string]any{"userId": "ali", "AFiUserId": "ali", "segment": "basic", "channel": "internet"}
	if !maps.Equal(out, want) {
		t.Errorf("got %v, want %v", out, want)
	}
}

func TestAmplifiExpiry(t *testing.T) {
	cases := []struct {
		name       string
		lifetime   time.Duration
		wantExpiry string
	}{
		{"one second", time.Second, "Wed Oct 27 2021 15:52:53 GMT-0400"},
		{"default one hour", 0, "Wed Oct 27 2021 16:52:52 GMT-0400"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clock := newAmplifiClock()
			base := start(t, "amplifi", sandbox.Options{TokenLifetime: tc.lifetime, Now: clock.Now})
			_, out := amplifiCall(t, base, http.MethodPut, "/token", "", amplifiLogins()["test"].body)
			if out["dtsExpiry"] != tc.wantExpiry {
				t.Errorf("dtsExpiry: got %v, want %s", out["dtsExpiry"], tc.wantExpiry)
			}
			token := out["token"].(string)
			lifetime := tc.lifetime
			if lifetime == 0 {
				lifetime = time.Hour
			}
			clock.Advance(lifetime - time.Millisecond)
			if got := amplifiOutcome(amplifiCall(t, base, http.MethodGet, "/profile", token, "")); got != "200 ali" {
				t.Errorf("just before expiry: got %q, want %q", got, "200 ali")
			}
			clock.Advance(time.Millisecond)
			for _, method := range []string{http.MethodGet, http.MethodDelete} {
				path := map[string]string{http.MethodGet: "/profile", http.MethodDelete: "/token"}[method]
				if got := amplifiOutcome(amplifiCall(t, base, method, path, token, "")); got != "401 Token has expired" {
					t.Errorf("%s %s at expiry: got %q, want %q", method, path, got, "401 Token has expired")
				}
			}
		})
	}
}

func TestAmplifiRouting(t *testing.T) {
	base := start(t, "amplifi", sandbox.Options{})
	cases := []struct {
		name, method, path string
		want               string
	}{
		{"unknown path", http.MethodGet, "/nope", "404 Not found"},
		{"POST /token", http.MethodPost, "/token", "405 Method not allowed"},
		{"GET /token", http.MethodGet, "/token", "405 Method not allowed"},
		{"DELETE /profile", http.MethodDelete, "/profile", "405 Method not allowed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := amplifiOutcome(amplifiCall(t, base, tc.method, tc.path, "", "")); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestAmplifiConcurrentSessions(t *testing.T) {
	base := start(t, "amplifi", sandbox.Options{})
	logins := amplifiLogins()
	var wg sync.WaitGroup
	for range 4 {
		for channel, login := range logins {
			wg.Go(func() { amplifiSession(t, base, channel, login.body, login.user) })
		}
	}
	wg.Wait()
}

// amplifiSession logs in, reads the profile, logs out and checks the token is
// dead, reporting the first difference from what the docs promise.
func amplifiSession(t *testing.T, base, channel, body, user string) {
	t.Helper()
	status, out := amplifiCall(t, base, http.MethodPut, "/token", "", body)
	if status != http.StatusOK {
		t.Errorf("%s login: got %d %v, want 200", channel, status, out)
		return
	}
	token, _ := out["token"].(string)
	steps := []struct{ method, path, want string }{
		{http.MethodGet, "/profile", "200 " + user},
		{http.MethodDelete, "/token", "200 Logged out successfully"},
		{http.MethodGet, "/profile", "401 Token has been logged out"},
	}
	for _, s := range steps {
		if got := amplifiOutcome(amplifiCall(t, base, s.method, s.path, token, "")); got != s.want {
			t.Errorf("%s %s %s: got %q, want %q", channel, s.method, s.path, got, s.want)
			return
		}
	}
}

func TestAmplifiFaults(t *testing.T) {
	internet := amplifiLogins()["internet"].body
	cases := []struct {
		fault         string
		run           func(t *testing.T, base string, clock *fakeClock) string
		without, with string
	}{
		{"ignore-logout", func(t *testing.T, base string, _ *fakeClock) string {
			token := amplifiLogin(t, base, internet)
			amplifiCall(t, base, http.MethodDelete, "/token", token, "")
			return amplifiOutcome(amplifiCall(t, base, http.MethodGet, "/profile", token, ""))
		}, "401 Token has been logged out", "200 ali"},
		{"accept-expired", func(t *testing.T, base string, clock *fakeClock) string {
			token := amplifiLogin(t, base, internet)
			clock.Advance(2 * time.Hour)
			return amplifiOutcome(amplifiCall(t, base, http.MethodGet, "/profile", token, ""))
		}, "401 Token has expired", "200 ali"},
		{"wrong-error-message", func(t *testing.T, base string, _ *fakeClock) string {
			return amplifiOutcome(amplifiCall(t, base, http.MethodDelete, "/token", "", ""))
		}, "500 Error: No token.", "500 Error: token header is required"},
		{"skip-channel-fields", func(t *testing.T, base string, _ *fakeClock) string {
			return amplifiOutcome(amplifiCall(t, base, http.MethodPut, "/token", "", `{"channel":"android"}`))
		}, "401 Request body is missing required properties: uuid, deviceTagOpen, signature", "200 qwerty"},
		{"locked-allowed", func(t *testing.T, base string, _ *fakeClock) string {
			body := `{"channel":"internet","userName":"locked-user","password":"locked-password"}`
			return amplifiOutcome(amplifiCall(t, base, http.MethodPut, "/token", "", body))
		}, "401 Actor is locked or blocked", "200 locked-user"},
		{"accept-no-token", func(t *testing.T, base string, _ *fakeClock) string {
			return amplifiOutcome(amplifiCall(t, base, http.MethodGet, "/profile", "", ""))
		}, "401 Missing token header", "200 ali"},
	}
	var names []string
	for _, tc := range cases {
		names = append(names, tc.fault)
		t.Run(tc.fault, func(t *testing.T) {
			for _, on := range []bool{false, true} {
				clock := newAmplifiClock()
				o := sandbox.Options{Now: clock.Now}
				want := tc.without
				if on {
					o.Faults, want = []string{tc.fault}, tc.with
				}
				if got := tc.run(t, start(t, "amplifi", o), clock); got != want {
					t.Errorf("fault on %v: got %q, want %q", on, got, want)
				}
			}
		})
	}
	slices.Sort(names)
	if got := slices.Sorted(maps.Keys(sandbox.Faults("amplifi"))); !slices.Equal(got, names) {
		t.Errorf("faults: got %v, want %v", got, names)
	}
}
