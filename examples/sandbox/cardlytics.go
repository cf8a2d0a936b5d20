package sandbox

import (
	"net/http"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// cardlyticsTokenLifetime is the documented session token lifetime.
const cardlyticsTokenLifetime = time.Hour

// Cardlytics' custom headers.
const (
	cardlyticsRequestIDHeader = "X-CDLX-Request-Id"
	cardlyticsSessionHeader   = "X-CDLX-Session-Token"
)

// cardlyticsProvider simulates the Cardlytics publisher API: a JWT session
// token in the X-CDLX-Session-Token header, no refresh and no logout.
var cardlyticsProvider = provider{
	build: func(o Options, f faultSet) http.Handler { return newCardlytics(o, f) },
	faults: map[string]string{
		"accept-expired":      "expired session tokens are accepted",
		"accept-tampered":     "the session token's signature is not checked",
		"sensitive-payload":   "the session token's payload carries the customer's email and account number",
		"single-session":      "a new session revokes the user's earlier sessions",
		"wrong-error-message": `an inactive user gets "User is inactive" instead of "User is not enrolled in the program"`,
		"inactive-allowed":    "an inactive user gets a session",
	},
}

// cardlyticsCustomer is a seeded customer of an institution.
type cardlyticsCustomer struct {
	email    string
	status   string // enrollmentOptInStatus: ACTIVE or INACTIVE
	accounts []string
}

// cardlyticsSeed returns the seeded institutions and their customers.
func cardlyticsSeed() map[string]map[string]cardlyticsCustomer {
	return map[string]map[string]cardlyticsCustomer{
		"demo-bank": {
			"cust-active":      {email: "active@example.com", status: "ACTIVE", accounts: []string{"40001234567890"}},
			"cust-active-2":    {email: "active2@example.com", status: "ACTIVE", accounts: []string{"40009876543210", "40005555666677"}},
			"cust-inactive":    {email: "inactive@example.com", status: "INACTIVE", accounts: []string{"40001111222233"}},
			"cust-no-accounts": {email: "noaccounts@example.com", status: "ACTIVE"},
		},
	}
}

// cardlyticsAd is one offer getAds returns.
type cardlyticsAd struct {
	AdID        string  `json:"adId"`
	Merchant    string  `json:"merchantName"`
	Headline    string  `json:"headline"`
	RewardType  string  `json:"rewardType"`
	RewardValue float64 `json:"rewardValue"`
	ExpiresOn   string  `json:"expiresOn"`
}

func cardlyticsSeedAds() []cardlyticsAd {
	return []cardlyticsAd{
		{AdID: "ad-1001", Merchant: "Coffee Corner", Headline: "10% back on coffee", RewardType: "PERCENT", RewardValue: 10, ExpiresOn: "2030-12-31"},
		{AdID: "ad-1002", Merchant: "Book Nook", Headline: "£5 back when you spend £25", RewardType: "FIXED", RewardValue: 5, ExpiresOn: "2030-12-31"},
		{AdID: "ad-1003", Merchant: "Fuel Stop", Headline: "3% back on fuel", RewardType: "PERCENT", RewardValue: 3, ExpiresOn: "2030-06-30"},
	}
}

// cardlyticsMessage is Cardlytics' error body.
type cardlyticsMessage struct {
	Message string `json:"message"`
}

type cardlytics struct {
	o            Options
	f            faultSet
	signer       *jwtSigner
	institutions map[string]map[string]cardlyticsCustomer
	routes       *router

	mu     sync.Mutex
	latest map[string]string // institution/customer → newest sessionId, for single-session
}

func newCardlytics(o Options, f faultSet) *cardlytics {
	if o.TokenLifetime <= 0 {
		o.TokenLifetime = cardlyticsTokenLifetime
	}
	c := &cardlytics{
		o: o, f: f,
		signer:       newJWTSigner(o.Now),
		institutions: cardlyticsSeed(),
		latest:       map[string]string{},
	}
	c.routes = newRouter(c.fail, "Not found", "Method not allowed")
	c.routes.handle("/v2/session/startSession", byMethod{http.MethodPost: c.startSession})
	c.routes.handle("/v2/ads/getAds", byMethod{http.MethodPost: c.getAds})
	return c
}

func (c *cardlytics) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// The request ID is echoed on every answer, so calls can be traced.
	if id := r.Header.Get(cardlyticsRequestIDHeader); id != "" {
		w.Header().Set(cardlyticsRequestIDHeader, id)
	}
	c.routes.ServeHTTP(w, r)
}

func (c *cardlytics) fail(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, cardlyticsMessage{message})
}

func (c *cardlytics) startSession(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get(cardlyticsRequestIDHeader) == "" {
		c.fail(w, http.StatusBadRequest, "X-CDLX-Request-Id header is required")
		return
	}
	var body struct {
		InstitutionID string `json:"institutionId"`
		CustomerID    string `json:"customerId"`
	}
	if err := decodeJSON(r, &body); err != nil {
		c.fail(w, http.StatusBadRequest, "Request body must be a JSON object")
		return
	}
	cust, message := c.lookup(body.InstitutionID, body.CustomerID)
	if message != "" {
		c.fail(w, http.StatusBadRequest, message)
		return
	}
	sessionID := randomToken(12)
	claims := jwt.MapClaims{
		"institutionId": body.InstitutionID,
		"customerId":    body.CustomerID,
		"sessionId":     sessionID,
	}
	if c.f.has("sensitive-payload") {
		claims["email"] = cust.email
		claims["accountNumber"] = cust.accounts[0]
	}
	if c.f.has("single-session") {
		c.mu.Lock()
		c.latest[body.InstitutionID+"/"+body.CustomerID] = sessionID
		c.mu.Unlock()
	}
	writeJSON(w, http.StatusOK, map[string]string{"token": c.signer.sign(claims, c.o.TokenLifetime)})
}

// lookup finds the customer who may start a session, or the 400 message
// explaining why none may.
func (c *cardlytics) lookup(institutionID, customerID string) (cardlyticsCustomer, string) {
	if institutionID == "" || customerID == "" {
		return cardlyticsCustomer{}, "institutionId and customerId are required"
	}
	customers, ok := c.institutions[institutionID]
	if !ok {
		return cardlyticsCustomer{}, "Unknown institution"
	}
	cust, ok := customers[customerID]
	switch {
	case !ok:
		return cardlyticsCustomer{}, "Unknown customer"
	case cust.status == "INACTIVE" && c.f.has("wrong-error-message"):
		return cardlyticsCustomer{}, "User is inactive"
	case cust.status == "INACTIVE" && !c.f.has("inactive-allowed"):
		return cardlyticsCustomer{}, "User is not enrolled in the program"
	case len(cust.accounts) == 0:
		return cardlyticsCustomer{}, "User has no accounts"
	}
	return cust, ""
}

func (c *cardlytics) getAds(w http.ResponseWriter, r *http.Request) {
	claims, message := c.session(r)
	if message != "" {
		c.fail(w, http.StatusUnauthorized, message)
		return
	}
	customerID, _ := claims["customerId"].(string)
	out := map[string]any{"customerId": customerID, "ads": cardlyticsSeedAds()}
	if id := r.Header.Get(cardlyticsRequestIDHeader); id != "" {
		out["requestId"] = id
	}
	writeJSON(w, http.StatusOK, out)
}

// session checks the request's session token and returns its claims, or the
// 401 message explaining why it is refused.
func (c *cardlytics) session(r *http.Request) (jwt.MapClaims, string) {
	raw := r.Header.Get(cardlyticsSessionHeader)
	if raw == "" {
		if r.Header.Get("Authorization") != "" {
			return nil, "Session token must be sent in the X-CDLX-Session-Token header, not Authorization"
		}
		return nil, "X-CDLX-Session-Token header is required"
	}
	var (
		claims = jwt.MapClaims{}
		err    error
	)
	if c.f.has("accept-tampered") {
		_, _, err = jwt.NewParser().ParseUnverified(raw, claims)
	} else {
		claims, err = c.signer.parse(raw, true)
	}
	if err != nil {
		return nil, "Invalid session token"
	}
	exp, err := claims.GetExpirationTime()
	if err != nil || exp == nil {
		return nil, "Invalid session token"
	}
	if !c.o.Now().Before(exp.Time) && !c.f.has("accept-expired") {
		return nil, "Session token has expired"
	}
	if c.f.has("single-session") && c.revoked(claims) {
		return nil, "Session is no longer valid"
	}
	return claims, ""
}

// revoked reports whether a newer session of the same user replaced the
// token's session; only the single-session fault revokes.
func (c *cardlytics) revoked(claims jwt.MapClaims) bool {
	inst, _ := claims["institutionId"].(string)
	cust, _ := claims["customerId"].(string)
	sid, _ := claims["sessionId"].(string)
	c.mu.Lock()
	defer c.mu.Unlock()
	latest, ok := c.latest[inst+"/"+cust]
	return ok && latest != sid
}
