package sandbox

import (
	"net/http"
	"strings"
	"time"
)

// amplifiTokenLifetime is the sandbox's token lifetime; the docs only say that
// dtsExpiry tells when the token expires.
const amplifiTokenLifetime = time.Hour

// amplifiExpiryLayout formats dtsExpiry as the docs show it:
// "Wed Oct 27 2021 16:52:52 GMT-0400".
const amplifiExpiryLayout = "Mon Jan 02 2006 15:04:05 GMT-0700"

// The texts of ampliFi's answers. Quoted ones come from the docs; the rest
// are sandbox wording (see amplifi.md).
const (
	amplifiTextMalformed      = "Malformed request, check for syntax errors"
	amplifiTextIngredients    = "UnauthorizedError: Error, request body does not contain all the required ingredients"
	amplifiTextInvalidChannel = "Invalid channel"
	amplifiTextMissing        = "Request body is missing required properties: "
	amplifiTextBadDate        = "Date/time stamp is formatted incorrectly"
	amplifiTextAuthFailed     = "Authentication was unsuccessful"
	amplifiTextLocked         = "Actor is locked or blocked"
	amplifiTextNoDatabase     = "no access to token database"
	amplifiTextLoggedOut      = "Logged out successfully"
	amplifiTextNoToken        = "Error: No token."
	amplifiTextNoTokenFault   = "Error: token header is required"
	amplifiTextMissingToken   = "Missing token header"
	amplifiTextInvalidToken   = "Invalid token"
	amplifiTextExpiredToken   = "Token has expired"
	amplifiTextRevokedToken   = "Token has been logged out"
)

// amplifiProvider simulates the ampliFi (PayGears) token API: an opaque token
// from PUT /token, sent back in a `token` header.
var amplifiProvider = provider{
	build: func(o Options, f faultSet) http.Handler { return newAmplifi(o, f) },
	faults: map[string]string{
		"ignore-logout":       "DELETE /token answers 200 but the token keeps working",
		"accept-expired":      "expired tokens are accepted",
		"wrong-error-message": `DELETE /token without a token header answers 500 with "` + amplifiTextNoTokenFault + `"`,
		"skip-channel-fields": "login succeeds without the channel's required fields, as the channel's first seeded account",
		"locked-allowed":      "a locked actor can log in",
		"accept-no-token":     "GET /profile answers 200 without a token, with the first seeded user's profile",
	},
}

// amplifiUser is an ampliFi account; userId and AFiUserId are both its id.
type amplifiUser struct {
	id             string
	segment        string
	postOnboarding string
	localSaving    bool
	locked         bool
	noDatabase     bool // logging in answers 500 "no access to token database"
}

// amplifiCredential is a seeded login: the channel and the values its
// required fields must carry (dtsValueString is only checked for format).
type amplifiCredential struct {
	channel string
	fields  map[string]string
	user    amplifiUser
}

// amplifiSession is what a token speaks for.
type amplifiSession struct {
	user    amplifiUser
	channel string
}

// amplifiResult is the body of every error and of the logout answer.
type amplifiResult struct {
	Success bool   `json:"success"`
	Text    string `json:"text"`
}

// amplifiLogin is the body of a successful PUT /token.
type amplifiLogin struct {
	Success                     bool   `json:"success"`
	UserID                      string `json:"userId"`
	AFiUserID                   string `json:"AFiUserId"`
	Token                       string `json:"token"`
	Segment                     string `json:"segment"`
	PostOnboardingStepsRequired string `json:"postOnboardingStepsRequired"`
	DTSExpiry                   string `json:"dtsExpiry"`
	IsLocalSavingAllowed        bool   `json:"isLocalSavingAllowed"`
}

// amplifiProfile is the body of the sandbox's GET /profile.
type amplifiProfile struct {
	UserID    string `json:"userId"`
	AFiUserID string `json:"AFiUserId"`
	Segment   string `json:"segment"`
	Channel   string `json:"channel"`
}

// amplifiRequiredFields returns the properties a channel's login needs, as
// the docs' table lists them; ok is false for an unknown channel.
func amplifiRequiredFields(channel string) (fields []string, ok bool) {
	switch channel {
	case "internet":
		return []string{"userName", "password"}, true
	case "android":
		return []string{"uuid", "deviceTagOpen", "signature"}, true
	case "browser":
		return []string{"deviceId"}, true
	case "statementGenerator", "dicBuilder":
		return []string{"userId"}, true
	case "chat":
		return []string{"transportUserId", "transport"}, true
	case "android_v1", "ios_v1", "mobile":
		return []string{"deviceTag", "dtsValueString", "cryptotext"}, true
	case "test":
		return []string{"deviceTag"}, true
	}
	return nil, false
}

// amplifiSeedCredentials returns the sandbox's logins: one that works for
// every channel, and the error cases. amplifi.md lists them.
func amplifiSeedCredentials() []amplifiCredential {
	ali := amplifiUser{id: "ali", segment: "basic", postOnboarding: "welcome_screen", localSaving: true}
	qwerty := amplifiUser{id: "qwerty", segment: "premium", postOnboarding: "none", localSaving: false}
	locked := amplifiUser{id: "locked-user", segment: "basic", postOnboarding: "none", locked: true}
	noDB := amplifiUser{id: "db-unavailable", segment: "basic", postOnboarding: "none", noDatabase: true}
	device := func(tag string) map[string]string {
		return map[string]string{"deviceTag": tag, "cryptotext": "someCryptoText"}
	}
	return []amplifiCredential{
		{"internet", map[string]string{"userName": "ali", "password": "qa"}, ali},
		{"internet", map[string]string{"userName": "locked-user", "password": "locked-password"}, locked},
		{"android", map[string]string{
			"uuid": "4f8e3s-846gjuo68r5e3df75vrijtdjw30cy", "deviceTagOpen": "420938409283409238", "signature": "some_signature",
		}, qwerty},
		{"browser", map[string]string{"deviceId": "someDeviceID"}, ali},
		{"statementGenerator", map[string]string{"userId": "ali"}, ali},
		{"dicBuilder", map[string]string{"userId": "ali"}, ali},
		{"chat", map[string]string{"transportUserId": "someTransportUserId", "transport": "someDeviceType"}, ali},
		{"android_v1", device("android-v1-device"), qwerty},
		{"ios_v1", device("ios-v1-device"), qwerty},
		{"mobile", device("mobile-device"), qwerty},
		{"test", map[string]string{"deviceTag": "my_deviceTag"}, ali},
		{"test", map[string]string{"deviceTag": "db-unavailable"}, noDB},
	}
}

type amplifi struct {
	o         Options
	f         faultSet
	lifetime  time.Duration
	creds     []amplifiCredential
	sessions  *tokenStore[amplifiSession]
	loggedOut *tokenStore[struct{}] // tokens ended by DELETE /token, for a distinct 401 text
	routes    *router
}

func newAmplifi(o Options, f faultSet) *amplifi {
	if o.TokenLifetime <= 0 {
		o.TokenLifetime = amplifiTokenLifetime
	}
	a := &amplifi{
		o: o, f: f,
		lifetime:  o.TokenLifetime,
		creds:     amplifiSeedCredentials(),
		sessions:  newTokenStore[amplifiSession](),
		loggedOut: newTokenStore[struct{}](),
	}
	a.routes = newRouter(a.fail, "Not found", "Method not allowed")
	a.routes.handle("/token", byMethod{http.MethodPut: a.login, http.MethodDelete: a.logout})
	a.routes.handle("/profile", byMethod{http.MethodGet: a.profile})
	return a
}

func (a *amplifi) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.routes.ServeHTTP(w, r) }

func (a *amplifi) fail(w http.ResponseWriter, status int, text string) {
	writeJSON(w, status, amplifiResult{Success: false, Text: text})
}

// login answers PUT /token. Checks run in the order amplifi.md gives.
func (a *amplifi) login(w http.ResponseWriter, r *http.Request) {
	var body map[string]any
	if err := decodeJSON(r, &body); err != nil || body == nil {
		a.fail(w, http.StatusBadRequest, amplifiTextMalformed)
		return
	}
	channel, present := body["channel"]
	if !present || channel == nil || channel == "" {
		a.fail(w, http.StatusNotFound, amplifiTextIngredients)
		return
	}
	name, _ := channel.(string)
	required, known := amplifiRequiredFields(name)
	if !known {
		a.fail(w, http.StatusInternalServerError, amplifiTextInvalidChannel)
		return
	}
	cred, status, text := a.authenticate(name, required, body)
	if status != http.StatusOK {
		a.fail(w, status, text)
		return
	}
	if cred.user.locked && !a.f.has("locked-allowed") {
		a.fail(w, http.StatusUnauthorized, amplifiTextLocked)
		return
	}
	if cred.user.noDatabase {
		a.fail(w, http.StatusInternalServerError, amplifiTextNoDatabase)
		return
	}
	writeJSON(w, http.StatusOK, a.issue(cred))
}

// authenticate finds the seeded credential the body's channel fields match;
// otherwise it returns the status and text to answer.
func (a *amplifi) authenticate(channel string, required []string, body map[string]any) (amplifiCredential, int, string) {
	values := map[string]string{}
	var missing []string
	for _, field := range required {
		v, _ := body[field].(string)
		if v == "" {
			missing = append(missing, field)
			continue
		}
		values[field] = v
	}
	if len(missing) > 0 {
		if a.f.has("skip-channel-fields") {
			return a.firstCredential(channel), http.StatusOK, ""
		}
		return amplifiCredential{}, http.StatusUnauthorized, amplifiTextMissing + strings.Join(missing, ", ")
	}
	if dts, ok := values["dtsValueString"]; ok {
		if _, err := time.Parse(time.RFC3339, dts); err != nil {
			return amplifiCredential{}, http.StatusUnauthorized, amplifiTextBadDate
		}
	}
	for _, c := range a.creds {
		if c.channel == channel && amplifiFieldsMatch(c.fields, values) {
			return c, http.StatusOK, ""
		}
	}
	return amplifiCredential{}, http.StatusUnauthorized, amplifiTextAuthFailed
}

func amplifiFieldsMatch(want, got map[string]string) bool {
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}

func (a *amplifi) firstCredential(channel string) amplifiCredential {
	for _, c := range a.creds {
		if c.channel == channel {
			return c
		}
	}
	return a.creds[0]
}

// issue stores a new token for cred and returns the login answer.
func (a *amplifi) issue(cred amplifiCredential) amplifiLogin {
	token := randomToken(36) // 48 characters
	expires := a.o.Now().Add(a.lifetime)
	a.sessions.put(token, amplifiSession{user: cred.user, channel: cred.channel}, expires)
	return amplifiLogin{
		Success:                     true,
		UserID:                      cred.user.id,
		AFiUserID:                   cred.user.id,
		Token:                       token,
		Segment:                     cred.user.segment,
		PostOnboardingStepsRequired: cred.user.postOnboarding,
		DTSExpiry:                   expires.Format(amplifiExpiryLayout),
		IsLocalSavingAllowed:        cred.user.localSaving,
	}
}

// session resolves a token; on failure it returns the 401 text to answer.
func (a *amplifi) session(token string) (amplifiSession, string, bool) {
	s, ok, expired := a.sessions.get(token, a.o.Now())
	switch {
	case ok && (!expired || a.f.has("accept-expired")):
		return s, "", true
	case ok:
		return amplifiSession{}, amplifiTextExpiredToken, false
	}
	if _, revoked, _ := a.loggedOut.get(token, a.o.Now()); revoked {
		return amplifiSession{}, amplifiTextRevokedToken, false
	}
	return amplifiSession{}, amplifiTextInvalidToken, false
}

// logout answers DELETE /token.
func (a *amplifi) logout(w http.ResponseWriter, r *http.Request) {
	token := r.Header.Get("token")
	if token == "" {
		text := amplifiTextNoToken
		if a.f.has("wrong-error-message") {
			text = amplifiTextNoTokenFault
		}
		a.fail(w, http.StatusInternalServerError, text)
		return
	}
	if _, text, ok := a.session(token); !ok {
		a.fail(w, http.StatusUnauthorized, text)
		return
	}
	if !a.f.has("ignore-logout") {
		// Recorded before removal, so a concurrent call never sees the token
		// as unknown.
		a.loggedOut.put(token, struct{}{}, time.Time{})
		if !a.sessions.remove(token) {
			a.fail(w, http.StatusUnauthorized, amplifiTextRevokedToken)
			return
		}
	}
	writeJSON(w, http.StatusOK, amplifiResult{Success: true, Text: amplifiTextLoggedOut})
}

// profile answers the sandbox's GET /profile.
func (a *amplifi) profile(w http.ResponseWriter, r *http.Request) {
	token := r.Header.Get("token")
	var s amplifiSession
	switch {
	case token == "" && a.f.has("accept-no-token"):
		s = amplifiSession{user: a.creds[0].user, channel: a.creds[0].channel}
	case token == "":
		a.fail(w, http.StatusUnauthorized, amplifiTextMissingToken)
		return
	default:
		var text string
		var ok bool
		if s, text, ok = a.session(token); !ok {
			a.fail(w, http.StatusUnauthorized, text)
			return
		}
	}
	writeJSON(w, http.StatusOK, amplifiProfile{
		UserID: s.user.id, AFiUserID: s.user.id, Segment: s.user.segment, Channel: s.channel,
	})
}
