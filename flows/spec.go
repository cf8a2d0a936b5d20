package flows

import (
	"regexp"
	"slices"
	"time"
)

// Spec is one provider's spec file: where the API is, how the session's
// credentials go onto requests, and the flows to run.
type Spec struct {
	File        string
	Pos         Pos
	Provider    string
	Description string
	// BaseURL is the API's root. Empty means the embedded sandbox, when
	// Sandbox names one.
	BaseURL string
	// BaseURLEnv names the environment variables base_url reads, such as
	// OPENLOYALTY_BASE_URL, so a run can say how to point it elsewhere.
	BaseURLEnv []string
	Sandbox    *Sandbox
	// Headers go on every request.
	Headers []Pair
	// Vars are the spec's variables, in order; later ones may use earlier ones.
	Vars []Pair
	// Secrets names variables whose values are never shown.
	Secrets []string
	// SecretFields name request fields whose values are never shown, in
	// every request of the spec.
	SecretFields []SecretField
	Auth         Auth
	// Timeout bounds each step; zero means the runner's default.
	Timeout time.Duration
	// TLS, if set, is how the spec's requests use TLS: a CA to trust, a
	// client certificate, or no verification.
	TLS *TLS
	// Requests are the named requests (login, refresh, logout, ...) that
	// steps reuse with `use`.
	Requests map[string]*Request
	Flows    []*Flow
	// Servers are the other servers steps may send to, by name.
	Servers map[string]*Server
	// Environments are the spec's named environments, by name; Env is
	// the one applied, if any.
	Environments map[string]*Environment
	Env          string
	// Unset lists the ${NAME} references to unset variables, when loaded
	// with Options.Lenient.
	Unset []Unset
	// Deps are the files the spec read besides itself: env files,
	// includes, rows files.
	Deps []string
	// StaticAuth is set when auth uses no captured value: a fixed
	// credential, attached without a login.
	StaticAuth bool
	// Probe lists the refusal probes run after every passing call.
	Probe []string
	// Reauth makes a call answered 401 log in again, with the login that
	// started its session, and retry once.
	Reauth bool
	// RetryOn lists the failure statuses after which a request is sent
	// again, as after a transport error, when the run allows retries.
	RetryOn []int
	// Serial runs the spec's flows one at a time, in order.
	Serial bool
	// Conformance lists the standards checks switched on (ConformanceKinds).
	Conformance []string
	// OAuth2, if set, is the spec's OAuth 2.0 authorization server.
	OAuth2 *OAuth2
}

// ProbeKinds are the refusal probes flowrun derives from a session's
// credentials: each credential left out (missing), altered (tampered), a
// JWT re-encoded unsigned (alg-none), sent with the wrong scheme or in the
// wrong place (wrong-scheme), past its lifetime (expired), from before a
// logout or a revoking refresh (revoked), or another session's
// (other-session).
var ProbeKinds = []string{"missing", "tampered", "alg-none", "wrong-scheme", "expired", "revoked", "other-session"}

// Probes that depend on where in a flow they run: revoked needs revoked
// credentials, other-session another live session. Sent after every call,
// they run only where they apply.
const (
	ProbeExpired      = "expired"
	ProbeRevoked      = "revoked"
	ProbeOtherSession = "other-session"
)

// Server is another server a spec's steps can send to: a URL, or an
// embedded simulator when the URL is empty.
type Server struct {
	Pos     Pos
	Name    string
	URL     string
	URLEnv  []string
	Sandbox *Sandbox
}

// Environment is a named set of settings, chosen with --env, that
// replaces the spec's own.
type Environment struct {
	Pos     Pos
	Name    string
	BaseURL *string
	Vars    []Pair
	Servers map[string]*Server
}

// Pair is a name and a (template) value with its place, such as a header.
type Pair struct {
	Name  string
	Value string
	Pos   Pos
	// Remove is set by a null value: the step leaves out a header or
	// parameter that the spec or a named request would send.
	Remove bool
}

// Sandbox names the embedded simulator a spec runs against when its base
// URL is not set.
type Sandbox struct {
	Pos             Pos
	Provider        string
	TokenLifetime   time.Duration
	RefreshLifetime time.Duration
}

// Auth says how a session's credentials are attached to authenticated
// requests: header and query templates over the captured credentials, such
// as Authorization: "Bearer {{token}}".
type Auth struct {
	Pos     Pos
	Headers []Pair
	Query   []Pair
	// Refused lists the statuses the API refuses a request with: what
	// every expect-401 that names no status accepts. Empty means 401.
	Refused []int
	// Expired says how the expired probe makes an expired token.
	Expired ExpiredProbe
	// Basic, if set, is an HTTP Basic credential (RFC 7617): Headers then
	// holds the Authorization header it stands for.
	Basic *BasicAuth
}

// BasicAuth is a user and password sent as HTTP Basic authentication,
// each a template.
type BasicAuth struct {
	Pos            Pos
	User, Password Text
}

// RefusedOr returns the statuses the API refuses with: Refused, or 401.
func (a Auth) RefusedOr() []int {
	if len(a.Refused) > 0 {
		return a.Refused
	}
	return []int{401}
}

// ExpiredProbe says how the expired probe gets a token past its lifetime.
type ExpiredProbe struct {
	Pos Pos
	// HMAC is a template of the key the API signs its JWTs with: the probe
	// re-signs the session's JWT with an exp in the past, at once.
	HMAC string
	// Wait bounds how long the probe may wait, without HMAC, for the
	// token's exp (or the login's expires_in) to pass.
	Wait time.Duration
}

// DefaultExpiredWait bounds the expired probe's wait when the spec does not.
const DefaultExpiredWait = time.Minute

// tplExpr finds the {{ }} parts of a template; tplIdent the names in one.
var (
	tplExpr  = regexp.MustCompile(`\{\{(.*?)\}\}`)
	tplIdent = regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_]*`)
)

// staticAuth reports whether a spec's auth needs no login: none of its
// templates uses a value that any request captures, so a fixed
// credential (an API token from the environment) goes on every
// authenticated request without a login step.
func staticAuth(s *Spec) bool {
	pairs := append(slices.Clone(s.Auth.Headers), s.Auth.Query...)
	if len(pairs) == 0 {
		return false
	}
	captured := map[string]bool{}
	add := func(r *Request) {
		for _, c := range r.Capture {
			captured[c.Name] = true
		}
	}
	for _, r := range s.Requests {
		add(r)
	}
	for _, f := range s.Flows {
		for _, st := range f.Steps {
			if snd, ok := st.Action.(Sender); ok {
				add(snd.Req())
			}
		}
	}
	for _, p := range pairs {
		for _, m := range tplExpr.FindAllStringSubmatch(p.Value, -1) {
			for _, id := range tplIdent.FindAllString(m[1], -1) {
				if captured[id] {
					return false
				}
			}
		}
	}
	return true
}

// Names returns the names of the headers and query parameters that carry
// credentials.
func (a Auth) Names() []string {
	var out []string
	for _, p := range a.Headers {
		out = append(out, p.Name)
	}
	for _, p := range a.Query {
		out = append(out, p.Name)
	}
	return out
}

// Flow is a named sequence of steps, run in order.
type Flow struct {
	Pos  Pos
	Name string
	Tags []string
	// Probe, when set, replaces the spec's Probe for the flow's calls.
	Probe *[]string
	// Reauth, when set, replaces the spec's Reauth for the flow.
	Reauth *bool
	// RetryOn, when set, replaces the spec's RetryOn for the flow.
	RetryOn []int
	// Exclusive names the principals the flow holds a lease on while it
	// runs: flows holding the same lease never overlap. Each is a template
	// of the spec's variables and the row's values.
	Exclusive []Text
	// Serial runs the flow alone: no other flow runs beside it.
	Serial bool
	Steps  []*Step
	// Rows, if any, make the flow data-driven: it runs once per row, with
	// the row's values as variables.
	Rows []Row
}

// Step is one step of a flow.
type Step struct {
	Pos    Pos
	Name   string
	Action Action
}

// Text is a template string with its place.
type Text struct {
	S   string
	Pos Pos
}

// Capture takes a value from a response into a variable. Source is a gjson
// path into the JSON body, "header:NAME", "cookie:NAME" or "status".
type Capture struct {
	Pos    Pos
	Name   string
	Source string
	// Public marks a value that is not a secret (`secret: false`), such
	// as an id: what a login or refresh captures is secret otherwise.
	Public bool
	// Optional captures nothing, without failing, when the answer has no
	// value there: a grant's refresh_token, id_token or scope.
	Optional bool
}

// SecretField names a request field whose value is a secret: a header, a
// query parameter, a form field or a JSON body path (gjson syntax).
type SecretField struct {
	Pos Pos
	// In is "header", "query", "form" or "json".
	In   string
	Name string
}

// secretPlaces are the places a SecretField may name.
var secretPlaces = []string{"header", "query", "form", "json"}

// Assertion is an expr expression that must be true.
type Assertion struct {
	Pos  Pos
	Expr string
}

// Expect is what a response must satisfy.
type Expect struct {
	// Status lists the accepted status codes; empty means the kind's default.
	Status    []int
	StatusPos Pos
	Assert    []Assertion
	// JWT checks a token the step captured, if set.
	JWT *JWTCheck
}

// JWTCheck is what a JWT must hold: its lifetime, claims and signature.
type JWTCheck struct {
	Pos Pos
	// Token is a template giving the token; nil means the step's first capture.
	Token *Text
	// Lifetime is what exp - iat must be, within Tolerance.
	Lifetime, Tolerance time.Duration
	// Iss, Aud and Sub are templates of the claims expected.
	Iss, Aud, Sub *Text
	// ExpiresIn is a gjson path into the answer's body to a lifetime in
	// seconds that must agree with exp - iat.
	ExpiresIn string
	// HMAC is a template of the shared secret; PEM a public key file's
	// contents (PEMPath its name); JWKS a template of a JWK Set's URL.
	HMAC    *Text
	PEM     []byte
	PEMPath string
	JWKS    *Text
	// NoSensitiveClaims fails on claims that look like passwords, secrets
	// or card numbers.
	NoSensitiveClaims bool
}

// Request is an HTTP request with its captures and expectations. A named
// request holds what a step leaves unsaid.
type Request struct {
	Pos     Pos
	Use     string
	UsePos  Pos
	Session string
	// Server names the server under Spec.Servers the request goes to;
	// empty means the base URL.
	Server    string
	ServerPos Pos
	Method    string
	Path      *Text
	URL       *Text
	Query     []Pair
	Headers   []Pair
	// JSON is the body as plain data whose strings are templates.
	JSON    any
	JSONPos Pos
	Form    []Pair
	Body    *Text
	Capture []Capture
	Expect  Expect
	// Vars are set before the request is built.
	Vars    []Pair
	Timeout time.Duration
	// Rotate names credentials a refresh must replace with new values.
	Rotate    []string
	RotatePos Pos
	// Secrets name fields of the request whose values are never shown.
	Secrets []SecretField
	// Retry, on a step, sends the request again until an answer holds.
	Retry *Retry
	// Principal, on a named login, names who logs in: a template of the
	// variables. Every flow that logs in with the request holds a lease
	// on it, as if it said `exclusive: [principal]`.
	Principal *Text
	// Grant, on a login or refresh, is the OAuth 2.0 grant the request
	// stands for (Grants): a token request built from the spec's oauth2:.
	Grant    string
	GrantPos Pos
}
