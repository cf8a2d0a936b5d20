package sandbox

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Open Loyalty's documented member token lifetime, and the sandbox's refresh
// token lifetime (the docs give none).
const (
	openloyaltyTokenLifetime   = 24 * time.Hour
	openloyaltyRefreshLifetime = 30 * 24 * time.Hour
)

// The sandbox's only store, its admin account and the roles its tokens carry.
const (
	openloyaltyStore         = "DEFAULT"
	openloyaltyAdminUser     = "admin"
	openloyaltyAdminPassword = "admin-password"
	openloyaltyRoleMember    = "ROLE_PARTICIPANT"
	openloyaltyRoleAdmin     = "ROLE_ADMIN"
)

// openloyaltyProvider simulates Open Loyalty's member token API: a JWT bearer
// token with a rotating, single-use refresh token.
var openloyaltyProvider = provider{
	build: func(o Options, f faultSet) http.Handler { return newOpenloyalty(o, f) },
	faults: map[string]string{
		"accept-expired":      "expired access tokens are accepted",
		"no-rotation":         "refresh returns the same refresh token, which stays valid",
		"reuse-refresh":       "a used refresh token still works",
		"member-on-admin":     "a member token is accepted on the admin endpoint",
		"accept-no-token":     "member endpoints answer 200 without a token",
		"wrong-error-message": `login with wrong credentials answers 401 with "Bad credentials"`,
		"accept-alg-none":     "an unsigned token (alg none) is accepted",
		"ignore-signature":    "a token's signature is not checked: an altered token is accepted",
		"accept-raw-token":    "the token is accepted without its Bearer scheme",
	},
}

// openloyaltyMember is a seeded member of the DEFAULT store.
type openloyaltyMember struct {
	CustomerID   string `json:"customerId"`
	Email        string `json:"email"`
	FirstName    string `json:"firstName"`
	LastName     string `json:"lastName"`
	Phone        string `json:"phone"`
	LoyaltyCard  string `json:"loyaltyCardNumber"`
	Active       bool   `json:"active"`
	StoreCode    string `json:"storeCode"`
	password     string
	activePoints float64
}

func openloyaltySeedMembers() []openloyaltyMember {
	return []openloyaltyMember{{
		CustomerID: "0b6b5c0e-6c3f-4d8e-9a51-3f0c2a7d1e01", Email: "member@example.com",
		FirstName: "Mary", LastName: "Member", Phone: "+48123456789", LoyaltyCard: "100000001",
		Active: true, StoreCode: openloyaltyStore, password: "password123", activePoints: 1250,
	}, {
		CustomerID: "7d2f9a44-18b2-4c61-b0e3-5a9e6f4c2d02", Email: "jane@example.com",
		FirstName: "Jane", LastName: "Doe", Phone: "+48987654321", LoyaltyCard: "100000002",
		Active: true, StoreCode: openloyaltyStore, password: "jane-password", activePoints: 80.5,
	}}
}

// openloyaltyPrincipal is who a token or refresh token speaks for.
type openloyaltyPrincipal struct {
	role     string
	username string // member email or admin user name
}

// openloyaltyError is Open Loyalty's error body.
type openloyaltyError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// openloyaltyTokens is the body of a login or refresh answer.
type openloyaltyTokens struct {
	Token        string `json:"token"`
	RefreshToken string `json:"refresh_token"`
}

type openloyalty struct {
	o       Options
	f       faultSet
	signer  *jwtSigner
	refresh *tokenStore[openloyaltyPrincipal]
	members []openloyaltyMember
	byEmail map[string]openloyaltyMember
	routes  *router
}

func newOpenloyalty(o Options, f faultSet) *openloyalty {
	if o.TokenLifetime <= 0 {
		o.TokenLifetime = openloyaltyTokenLifetime
	}
	if o.RefreshLifetime <= 0 {
		o.RefreshLifetime = openloyaltyRefreshLifetime
	}
	s := &openloyalty{
		o: o, f: f,
		signer:  newJWTSigner(o.Now),
		refresh: newTokenStore[openloyaltyPrincipal](),
		members: openloyaltySeedMembers(),
		byEmail: map[string]openloyaltyMember{},
	}
	for _, m := range s.members {
		s.byEmail[m.Email] = m
	}
	s.routes = newRouter(s.fail, "Not Found", "Method Not Allowed")
	s.routes.handle("/api/{storeCode}/member/login_check", byMethod{http.MethodPost: s.inStore(s.memberLogin)})
	s.routes.handle("/api/admin/login_check", byMethod{http.MethodPost: s.adminLogin})
	s.routes.handle("/api/{storeCode}/token/refresh", byMethod{http.MethodPost: s.inStore(s.refreshToken)})
	s.routes.handle("/api/{storeCode}/member/profile", byMethod{http.MethodGet: s.inStore(s.profile)})
	s.routes.handle("/api/{storeCode}/member/points", byMethod{http.MethodGet: s.inStore(s.points)})
	s.routes.handle("/api/{storeCode}/customer", byMethod{http.MethodGet: s.inStore(s.customers)})
	return s
}

func (s *openloyalty) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.routes.ServeHTTP(w, r) }

// inStore lets a request through to h only for the DEFAULT store; any other
// store code gets a 404. The router has answered a wrong method 405 first.
func (s *openloyalty) inStore(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if code := r.PathValue("storeCode"); code != "" && code != openloyaltyStore {
			s.fail(w, http.StatusNotFound, "Store not found")
			return
		}
		h(w, r)
	}
}

func (s *openloyalty) fail(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, openloyaltyError{Code: status, Message: message})
}

// credentials decodes a login body; it answers 400 itself and returns false
// when the body is unusable.
func (s *openloyalty) credentials(w http.ResponseWriter, r *http.Request) (user, password string, ok bool) {
	var body struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if err := decodeJSON(r, &body); err != nil {
		s.fail(w, http.StatusBadRequest, "Invalid JSON body.")
		return "", "", false
	}
	if body.Username == "" || body.Password == "" {
		s.fail(w, http.StatusBadRequest, "Both username and password are required.")
		return "", "", false
	}
	return body.Username, body.Password, true
}

func (s *openloyalty) badCredentials(w http.ResponseWriter) {
	message := "Invalid credentials."
	if s.f.has("wrong-error-message") {
		message = "Bad credentials"
	}
	s.fail(w, http.StatusUnauthorized, message)
}

func (s *openloyalty) memberLogin(w http.ResponseWriter, r *http.Request) {
	user, password, ok := s.credentials(w, r)
	if !ok {
		return
	}
	m, found := s.byEmail[user]
	if !found || m.password != password {
		s.badCredentials(w)
		return
	}
	writeJSON(w, http.StatusOK, s.issue(openloyaltyPrincipal{role: openloyaltyRoleMember, username: m.Email}))
}

func (s *openloyalty) adminLogin(w http.ResponseWriter, r *http.Request) {
	user, password, ok := s.credentials(w, r)
	if !ok {
		return
	}
	if user != openloyaltyAdminUser || password != openloyaltyAdminPassword {
		s.badCredentials(w)
		return
	}
	writeJSON(w, http.StatusOK, s.issue(openloyaltyPrincipal{role: openloyaltyRoleAdmin, username: user}))
}

// issue signs an access token for p and stores a new refresh token.
func (s *openloyalty) issue(p openloyaltyPrincipal) openloyaltyTokens {
	claims := jwt.MapClaims{"username": p.username, "roles": []string{p.role}}
	if m, ok := s.byEmail[p.username]; ok && p.role == openloyaltyRoleMember {
		claims["customerId"] = m.CustomerID
		claims["storeCode"] = openloyaltyStore
	}
	refresh := randomToken(48)
	s.refresh.put(refresh, p, s.o.Now().Add(s.o.RefreshLifetime))
	return openloyaltyTokens{Token: s.signer.sign(claims, s.o.TokenLifetime), RefreshToken: refresh}
}

func (s *openloyalty) refreshToken(w http.ResponseWriter, r *http.Request) {
	var body struct {
		RefreshToken string `json:"refresh_token"`
	}
	if err := decodeJSON(r, &body); err != nil {
		s.fail(w, http.StatusBadRequest, "Invalid JSON body.")
		return
	}
	if body.RefreshToken == "" {
		s.fail(w, http.StatusBadRequest, "refresh_token is required.")
		return
	}
	// Rotation makes a refresh token single-use; the faults keep it alive.
	lookup := s.refresh.take
	if s.f.has("no-rotation") || s.f.has("reuse-refresh") {
		lookup = s.refresh.get
	}
	p, found, expired := lookup(body.RefreshToken, s.o.Now())
	if !found || expired {
		s.fail(w, http.StatusUnauthorized, "JWT Refresh Token Not Found")
		return
	}
	tokens := s.issue(p)
	if s.f.has("no-rotation") {
		s.refresh.remove(tokens.RefreshToken)
		tokens.RefreshToken = body.RefreshToken
	}
	writeJSON(w, http.StatusOK, tokens)
}

// authorize checks the bearer token for role; it answers 401 or 403 itself
// and returns false when the request may not go on.
func (s *openloyalty) authorize(w http.ResponseWriter, r *http.Request, role string) (openloyaltyPrincipal, bool) {
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok && s.f.has("accept-raw-token") {
		raw, ok = r.Header.Get("Authorization"), true
	}
	if !ok || strings.TrimSpace(raw) == "" {
		if role == openloyaltyRoleMember && s.f.has("accept-no-token") {
			return openloyaltyPrincipal{role: role, username: s.members[0].Email}, true
		}
		s.fail(w, http.StatusUnauthorized, "JWT Token not found")
		return openloyaltyPrincipal{}, false
	}
	claims, err := s.signer.parseLax(strings.TrimSpace(raw), laxity{
		ignoreExpiry: s.f.has("accept-expired"), allowNone: s.f.has("accept-alg-none"), ignoreSignature: s.f.has("ignore-signature")})
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		s.fail(w, http.StatusUnauthorized, "Expired JWT Token")
		return openloyaltyPrincipal{}, false
	case err != nil:
		s.fail(w, http.StatusUnauthorized, "Invalid JWT Token")
		return openloyaltyPrincipal{}, false
	}
	p := openloyaltyPrincipal{username: openloyaltyClaim(claims, "username")}
	if roles, _ := claims["roles"].([]any); len(roles) > 0 {
		p.role, _ = roles[0].(string)
	}
	allowed := p.role == role ||
		(role == openloyaltyRoleAdmin && p.role == openloyaltyRoleMember && s.f.has("member-on-admin"))
	if !allowed {
		s.fail(w, http.StatusForbidden, "Access Denied.")
		return openloyaltyPrincipal{}, false
	}
	return p, true
}

func openloyaltyClaim(claims jwt.MapClaims, name string) string {
	v, _ := claims[name].(string)
	return v
}

// member returns the member a member-endpoint request speaks for.
func (s *openloyalty) member(w http.ResponseWriter, r *http.Request) (openloyaltyMember, bool) {
	p, ok := s.authorize(w, r, openloyaltyRoleMember)
	if !ok {
		return openloyaltyMember{}, false
	}
	m, found := s.byEmail[p.username]
	if !found {
		s.fail(w, http.StatusUnauthorized, "Invalid JWT Token")
		return openloyaltyMember{}, false
	}
	return m, true
}

func (s *openloyalty) profile(w http.ResponseWriter, r *http.Request) {
	if m, ok := s.member(w, r); ok {
		writeJSON(w, http.StatusOK, m)
	}
}

func (s *openloyalty) points(w http.ResponseWriter, r *http.Request) {
	m, ok := s.member(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"customerId":    m.CustomerID,
		"activePoints":  m.activePoints,
		"earnedPoints":  m.activePoints + 200,
		"spentPoints":   200,
		"lockedPoints":  0,
		"expiredPoints": 0,
	})
}

func (s *openloyalty) customers(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.authorize(w, r, openloyaltyRoleAdmin); !ok {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": s.members, "total": len(s.members)})
}
