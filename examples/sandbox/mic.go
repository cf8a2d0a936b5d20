package sandbox

import (
	"net/http"
	"time"
)

// The sandbox's lifetimes; the MIC docs give none.
const (
	micTokenLifetime   = time.Hour
	micRefreshLifetime = 30 * 24 * time.Hour
)

// micAPIKey is the only x-api-key the sandbox accepts.
const micAPIKey = "sandbox-api-key"

// The messages of MIC's answers. "Forbidden" is the docs' 403; the rest are
// sandbox wording (see mic.md).
const (
	micTextForbidden        = "Forbidden"
	micTextUnauthorized     = "Unauthorized"
	micTextExpired          = "The incoming token has expired"
	micTextIdentityMismatch = "identityId does not match the token"
	micTextBadBody          = "Invalid request body"
	micTextLoginFields      = "userName and password are required"
	micTextBadLogin         = "Incorrect username or password."
	micTextRefreshField     = "refreshToken is required"
	micTextBadRefresh       = "Invalid refresh token"
	micTextExpiredRefresh   = "Refresh token has expired"
	micTextUserNotFound     = "User not found"
	micTextLoggedOut        = "Logged out"
)

// micProvider simulates Telenor Managed IoT Cloud's auth: x-api-key on every
// call, and a raw token plus identityId on every call outside /auth/ and
// /metadata.
var micProvider = provider{
	build: func(o Options, f faultSet) http.Handler { return newMIC(o, f) },
	faults: map[string]string{
		"no-api-key-check":     "x-api-key is not required",
		"ignore-logout":        "POST /auth/logout answers 200 but the token and refresh token keep working",
		"no-rotation":          "refresh returns the same refreshToken, which keeps working",
		"accept-expired":       "expired access tokens are accepted",
		"no-identity-check":    "identityId is neither required nor checked against the token",
		"reuse-refresh":        "a used refresh token is still accepted",
		"refresh-keeps-access": "refresh leaves the access token it replaces working",
		"logout-keeps-refresh": "POST /auth/logout revokes the token but its refresh token keeps working",
		"no-owner-check":       "GET /users/{userName} answers any user's record to any caller",
	},
}

// micUser is a seeded MIC user; the exported fields are GET /users/{userName}.
type micUser struct {
	UserName   string `json:"userName"`
	Email      string `json:"email"`
	FirstName  string `json:"firstName"`
	LastName   string `json:"lastName"`
	RoleName   string `json:"roleName"`
	DomainName string `json:"domainName"`
	password   string
	identityID string
}

func micSeedUsers() []micUser {
	return []micUser{{
		UserName: "alice", Email: "alice@example.com", FirstName: "Alice", LastName: "Andersen",
		RoleName: "Admin", DomainName: "sandbox", password: "alice-password",
		identityID: "eu-west-1:6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f",
	}, {
		UserName: "bob", Email: "bob@example.com", FirstName: "Bob", LastName: "Berg",
		RoleName: "Viewer", DomainName: "sandbox", password: "bob-password",
		identityID: "eu-west-1:9a8b7c6d-5e4f-4a3b-9c2d-1e0f2a3b4c5d",
	}}
}

// micMessage is MIC's error body (API Gateway style).
type micMessage struct {
	Message string `json:"message"`
}

// micCredentials is the credentials object of a login or refresh answer.
type micCredentials struct {
	IdentityID   string `json:"identityId"`
	Token        string `json:"token"`
	RefreshToken string `json:"refreshToken"`
}

type micLogin struct {
	Credentials micCredentials `json:"credentials"`
}

// micSession is what an access token speaks for.
type micSession struct {
	userName string
	refresh  string // the refresh token issued with it, revoked by logout
}

// micRefresh is what a refresh token speaks for.
type micRefresh struct {
	userName string
	access   string // the access token issued with it, revoked by refresh
	expires  time.Time
}

type mic struct {
	o       Options
	f       faultSet
	users   map[string]micUser
	access  *tokenStore[micSession]
	refresh *tokenStore[micRefresh]
	routes  *router
}

func newMIC(o Options, f faultSet) *mic {
	if o.TokenLifetime <= 0 {
		o.TokenLifetime = micTokenLifetime
	}
	if o.RefreshLifetime <= 0 {
		o.RefreshLifetime = micRefreshLifetime
	}
	m := &mic{
		o: o, f: f,
		users:   map[string]micUser{},
		access:  newTokenStore[micSession](),
		refresh: newTokenStore[micRefresh](),
	}
	for _, u := range micSeedUsers() {
		m.users[u.UserName] = u
	}
	// The router answers a wrong method 405 before keyed or authorized
	// checks any credential.
	m.routes = newRouter(m.fail, "Not Found", "Method Not Allowed")
	m.routes.handle("/auth/login", byMethod{http.MethodPost: m.keyed(m.login)})
	m.routes.handle("/auth/refresh", byMethod{http.MethodPost: m.keyed(m.refreshToken)})
	m.routes.handle("/auth/logout", byMethod{http.MethodPost: m.authorized(m.logout)})
	m.routes.handle("/metadata", byMethod{http.MethodGet: m.keyed(m.metadata)})
	m.routes.handle("/users/{userName}", byMethod{http.MethodGet: m.authorized(m.user)})
	return m
}

func (m *mic) ServeHTTP(w http.ResponseWriter, r *http.Request) { m.routes.ServeHTTP(w, r) }

func (m *mic) fail(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, micMessage{Message: message})
}

func (m *mic) keyOK(r *http.Request) bool {
	return m.f.has("no-api-key-check") || r.Header.Get("x-api-key") == micAPIKey
}

// keyed lets a request through to h only with a valid x-api-key.
func (m *mic) keyed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !m.keyOK(r) {
			m.fail(w, http.StatusForbidden, micTextForbidden)
			return
		}
		h(w, r)
	}
}

// micAuthorizedFunc handles a request whose three credentials were checked.
type micAuthorizedFunc func(w http.ResponseWriter, r *http.Request, token string, s micSession)

// authorized lets a request through to h only with x-api-key, Authorization
// (the raw token) and identityId (header or query), as mic.md orders the checks.
func (m *mic) authorized(h micAuthorizedFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token := r.Header.Get("Authorization")
		identity := r.Header.Get("identityId")
		if identity == "" {
			identity = r.URL.Query().Get("identityId")
		}
		checkIdentity := !m.f.has("no-identity-check")
		if !m.keyOK(r) || token == "" || (checkIdentity && identity == "") {
			m.fail(w, http.StatusForbidden, micTextForbidden)
			return
		}
		// A "Bearer " prefix makes the header no stored token: 401.
		s, ok, expired := m.access.get(token, m.o.Now())
		switch {
		case !ok:
			m.fail(w, http.StatusUnauthorized, micTextUnauthorized)
			return
		case expired && !m.f.has("accept-expired"):
			m.fail(w, http.StatusUnauthorized, micTextExpired)
			return
		case checkIdentity && identity != m.users[s.userName].identityID:
			m.fail(w, http.StatusForbidden, micTextIdentityMismatch)
			return
		}
		h(w, r, token, s)
	}
}

func (m *mic) login(w http.ResponseWriter, r *http.Request) {
	var body struct {
		UserName string `json:"userName"`
		Password string `json:"password"`
	}
	if err := decodeJSON(r, &body); err != nil {
		m.fail(w, http.StatusBadRequest, micTextBadBody)
		return
	}
	if body.UserName == "" || body.Password == "" {
		m.fail(w, http.StatusBadRequest, micTextLoginFields)
		return
	}
	u, ok := m.users[body.UserName]
	if !ok || u.password != body.Password {
		m.fail(w, http.StatusUnauthorized, micTextBadLogin)
		return
	}
	writeJSON(w, http.StatusOK, micLogin{Credentials: m.issue(u, "", time.Time{})})
}

// issue stores a new access token for u. With refresh empty it stores a new
// refresh token too; otherwise it re-binds refresh, keeping its expiry.
func (m *mic) issue(u micUser, refresh string, refreshExpires time.Time) micCredentials {
	now := m.o.Now()
	access := randomToken(32)
	if refresh == "" {
		refresh = randomToken(32)
		refreshExpires = now.Add(m.o.RefreshLifetime)
	}
	m.access.put(access, micSession{userName: u.UserName, refresh: refresh}, now.Add(m.o.TokenLifetime))
	m.refresh.put(refresh, micRefresh{userName: u.UserName, access: access, expires: refreshExpires}, refreshExpires)
	return micCredentials{IdentityID: u.identityID, Token: access, RefreshToken: refresh}
}

// refreshToken answers the sandbox's POST /auth/refresh: a refresh token is
// single-use, and the access token issued with it is revoked.
func (m *mic) refreshToken(w http.ResponseWriter, r *http.Request) {
	var body struct {
		RefreshToken string `json:"refreshToken"`
	}
	if err := decodeJSON(r, &body); err != nil {
		m.fail(w, http.StatusBadRequest, micTextBadBody)
		return
	}
	if body.RefreshToken == "" {
		m.fail(w, http.StatusBadRequest, micTextRefreshField)
		return
	}
	keep := m.f.has("no-rotation")
	lookup := m.refresh.take
	if keep || m.f.has("reuse-refresh") {
		lookup = m.refresh.get
	}
	rt, ok, expired := lookup(body.RefreshToken, m.o.Now())
	switch {
	case !ok:
		m.fail(w, http.StatusUnauthorized, micTextBadRefresh)
		return
	case expired:
		m.fail(w, http.StatusUnauthorized, micTextExpiredRefresh)
		return
	}
	if !m.f.has("refresh-keeps-access") {
		m.access.remove(rt.access)
	}
	var creds micCredentials
	if keep {
		creds = m.issue(m.users[rt.userName], body.RefreshToken, rt.expires)
	} else {
		creds = m.issue(m.users[rt.userName], "", time.Time{})
	}
	writeJSON(w, http.StatusOK, micLogin{Credentials: creds})
}

// logout answers the sandbox's POST /auth/logout: it revokes the token and
// the refresh token issued with it.
func (m *mic) logout(w http.ResponseWriter, _ *http.Request, token string, s micSession) {
	if !m.f.has("ignore-logout") {
		m.access.remove(token)
		if !m.f.has("logout-keeps-refresh") {
			m.refresh.remove(s.refresh)
		}
	}
	writeJSON(w, http.StatusOK, micMessage{Message: micTextLoggedOut})
}

// user answers GET /users/{userName}; a caller reads only their own user.
func (m *mic) user(w http.ResponseWriter, r *http.Request, _ string, s micSession) {
	name := r.PathValue("userName")
	if m.f.has("no-owner-check") {
		if u, ok := m.users[name]; ok {
			writeJSON(w, http.StatusOK, u)
			return
		}
	}
	if name != s.userName {
		m.fail(w, http.StatusNotFound, micTextUserNotFound)
		return
	}
	writeJSON(w, http.StatusOK, m.users[s.userName])
}

// metadata answers GET /metadata, which needs only x-api-key.
func (m *mic) metadata(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{
		"service": "Managed IoT Cloud", "environment": "sandbox", "region": "eu-west-1",
	})
}
