package runner

import (
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/golang-jwt/jwt/v5"
	"github.com/tidwall/gjson"

	"github.com/flowrun/flowrun/flows"
)

// conformRole is the part a request plays, which decides the standards
// its answer is held to.
type conformRole struct {
	// bearer: auth attaches the session's credentials to the request, so
	// a 401 to it answers a protected resource (RFC 6750 §3).
	bearer bool
	// token: the request goes to a token endpoint, so a 400 or 401 to it
	// is a token error answer (RFC 6749 §5.2).
	token bool
	// issue: the request's answer issues the session's credentials: a
	// token answer when it succeeds (RFC 6749 §5.1), and its cookies are
	// session cookies.
	issue bool
}

// ownRole is the role of a step's own request. A step whose captures
// become the session's credentials (a login, a refresh) asks for tokens.
// A request that says grant: goes to the token endpoint whatever its
// step (an expect-401 with a wrong client secret): a token request, and
// no resource a Bearer token opens.
func ownRole(sp *stepPlan) conformRole {
	issue, grant := len(sp.credential) > 0, sp.req.Grant != ""
	return conformRole{bearer: sp.cred.Attach && !grant, token: issue || grant, issue: issue}
}

// extraRole is the role of a step's extra request, of check kind kind:
// a probe is the step's request with broken credentials; a followup that
// attaches no credentials carries a refresh token itself (a used one sent
// again, a logged-out one), so it is a token request. Only the step's own
// answer issues credentials.
func extraRole(sp *stepPlan, kind CheckKind) conformRole {
	r := ownRole(sp)
	r.token = r.token || kind != CheckProbe && !sp.cred.Attach
	r.issue = false
	return r
}

// conform adds the conformance checks that apply to resp, the answer of
// exchange xi playing role r, placed at pos, and returns their outcome.
// A spec without `conformance:` costs nothing here.
func (f *flowRun) conform(r conformRole, pos Pos, xi int, resp *response, sr *StepResult) Status {
	spec := f.plan.Spec
	if len(spec.Conformance) == 0 {
		return Passed
	}
	n := len(sr.Checks)
	if r.bearer && resp.status == http.StatusUnauthorized && spec.Conforms(flows.ConformRFC6750) && bearerAuth(spec.Auth) {
		sr.Checks = append(sr.Checks, bearerChallenge(pos, presentsBearer(sr.Exchanges[xi].Request), resp))
	}
	if spec.Conforms(flows.ConformRFC6749) {
		switch {
		case r.issue && resp.status >= 200 && resp.status < 300:
			sr.Checks = append(sr.Checks, tokenAnswer(pos, resp)...)
		case r.token && (resp.status == http.StatusBadRequest || resp.status == http.StatusUnauthorized):
			sr.Checks = append(sr.Checks, tokenError(pos, resp))
		}
	}
	if r.issue && spec.Conforms(flows.ConformCookies) {
		for _, c := range resp.cookies {
			// A cookie the answer deletes sets nothing.
			if c.MaxAge < 0 || !c.Expires.IsZero() && c.Expires.Before(f.cfg.Now()) {
				continue
			}
			sr.Checks = append(sr.Checks, cookieAttributes(pos, c))
		}
	}
	for i := n; i < len(sr.Checks); i++ {
		sr.Checks[i].Exchange = xi
	}
	return worst(sr.Checks[n:])
}

// worse returns the worse of two outcomes, as worst ranks them.
func worse(a, b Status) Status {
	if a == Failed || b == Failed {
		return Failed
	}
	if a == Errored || b == Errored {
		return Errored
	}
	return a
}

// conformCheck is a conformance check that passed, until nonconforming
// says otherwise.
func conformCheck(pos Pos, expr, expected, actual string) Check {
	return Check{Pos: pos, Kind: CheckConformance, Expr: "conformance " + expr, Status: Passed,
		Expected: textValue(expected), Actual: textValue(actual)}
}

// nonconforming marks c failed: actual is what was there, msg says it
// and what the standard requires.
func nonconforming(c Check, actual, msg string) Check {
	c.Status, c.Actual, c.Message = Failed, textValue(actual), msg
	return c
}

// bearerAuth reports whether auth attaches an Authorization header with
// the Bearer scheme.
func bearerAuth(a flows.Auth) bool {
	return slices.ContainsFunc(a.Headers, func(p flows.Pair) bool {
		scheme, _, _ := strings.Cut(strings.TrimSpace(p.Value), " ")
		return !p.Remove && strings.EqualFold(p.Name, "Authorization") && strings.EqualFold(scheme, "Bearer")
	})
}

// presentsBearer reports whether a request as sent carries a token with
// the Bearer scheme: Authorization: Bearer x.
func presentsBearer(req *Request) bool {
	if req == nil {
		return false
	}
	return slices.ContainsFunc(req.Headers, func(h Header) bool {
		scheme, token, _ := strings.Cut(strings.TrimSpace(h.Value), " ")
		return strings.EqualFold(h.Name, "Authorization") && strings.EqualFold(scheme, "Bearer") && strings.TrimSpace(token) != ""
	})
}

// bearerChallenge checks RFC 6750 §3 on a 401: a Bearer challenge in
// WWW-Authenticate, with error="invalid_token" when a Bearer token was
// presented; without one, no error code is needed.
func bearerChallenge(pos Pos, presented bool, resp *response) Check {
	want, expr, to := "a Bearer challenge", `rfc6750 §3: the 401 carries WWW-Authenticate: Bearer`, "the 401 to a request without a Bearer token"
	if presented {
		want, expr, to = `a Bearer challenge with error="invalid_token"`, expr+` with error="invalid_token"`, "the 401 to a request with a Bearer token"
	}
	values := resp.header.Values("WWW-Authenticate")
	shown := "WWW-Authenticate: " + oneLine(strings.Join(values, ", "), 160)
	c := conformCheck(pos, expr, want, shown)
	requires := "RFC 6750 §3 requires a WWW-Authenticate: Bearer challenge on every 401 of a protected resource"
	if presented {
		requires = `RFC 6750 §3 requires a WWW-Authenticate: Bearer challenge with error="invalid_token" when the token presented is refused`
	}
	if len(values) == 0 {
		return nonconforming(c, "no WWW-Authenticate header", to+" has no WWW-Authenticate header; "+requires)
	}
	chs := parseChallenges(values)
	i := slices.IndexFunc(chs, func(ch challenge) bool { return strings.EqualFold(ch.scheme, "Bearer") })
	if i < 0 {
		return nonconforming(c, shown, fmt.Sprintf("%s has %s, with no Bearer challenge; %s", to, shown, requires))
	}
	ch := chs[i]
	if code, ok := ch.params["error"]; presented && code != "invalid_token" {
		what := "without an error code"
		if ok {
			what = "with error=" + strconv.Quote(oneLine(code, 40))
		}
		return nonconforming(c, shown, fmt.Sprintf("%s has %s, a Bearer challenge %s; %s", to, shown, what, requires))
	}
	return c
}

// tokenAnswer checks RFC 6749 §5.1 on a successful token answer: a JSON
// object with a string access_token and token_type and a numeric
// expires_in, Cache-Control: no-store, and an expires_in that agrees with
// a JWT access token's exp - iat. No value of the answer is quoted.
func tokenAnswer(pos Pos, resp *response) []Check {
	fields := conformCheck(pos, "rfc6749 §5.1: the token answer is a JSON object with a string access_token, a string token_type and a numeric expires_in",
		"access_token and token_type strings, expires_in a number", "access_token and token_type strings, expires_in a number")
	requires := "RFC 6749 §5.1 answers a token request with a JSON object holding access_token and token_type (strings) and expires_in (the token's lifetime in seconds)"
	body := gjson.ParseBytes(resp.body)
	var problems []string
	switch {
	case !resp.isJSON():
		problems = append(problems, bodyKind(resp))
	case !body.IsObject():
		problems = append(problems, "the body is "+jsonKind(body))
	default:
		for _, fd := range []struct {
			name string
			typ  gjson.Type
		}{{"access_token", gjson.String}, {"token_type", gjson.String}, {"expires_in", gjson.Number}} {
			v := body.Get(fd.name)
			switch {
			case !v.Exists():
				problems = append(problems, "no "+fd.name)
			case v.Type != fd.typ:
				problems = append(problems, fd.name+" is "+jsonKind(v))
			}
		}
	}
	if len(problems) > 0 {
		got := strings.Join(problems, ", ")
		fields = nonconforming(fields, got, fmt.Sprintf("the %d token answer has %s; %s", resp.status, got, requires))
	}
	out := []Check{fields, noStore(pos, resp)}
	if c, ok := expiresAgrees(pos, body); ok {
		out = append(out, c)
	}
	return out
}

// noStore checks that a token answer has Cache-Control: no-store.
func noStore(pos Pos, resp *response) Check {
	c := conformCheck(pos, "rfc6749 §5.1: the token answer has Cache-Control: no-store", "Cache-Control: no-store", "Cache-Control: no-store")
	values := resp.header.Values("Cache-Control")
	for _, v := range values {
		for d := range strings.SplitSeq(v, ",") {
			name, _, _ := strings.Cut(d, "=")
			if strings.EqualFold(strings.TrimSpace(name), "no-store") {
				return c
			}
		}
	}
	got := "no Cache-Control header"
	if len(values) > 0 {
		got = "Cache-Control: " + oneLine(strings.Join(values, ", "), 120)
	}
	return nonconforming(c, got, fmt.Sprintf("the %d token answer has %s, without no-store; RFC 6749 §5.1 requires Cache-Control: no-store on every answer that holds tokens", resp.status, got))
}

// expiresAgrees checks that a token answer's expires_in agrees with its
// JWT access token's exp - iat, within defaultJWTTolerance. ok is false
// when there is nothing to compare: no numeric expires_in, or an access
// token that is not a JWT with exp and iat.
func expiresAgrees(pos Pos, body gjson.Result) (Check, bool) {
	in, tok := body.Get("expires_in"), body.Get("access_token")
	if in.Type != gjson.Number || tok.Type != gjson.String || jwtParts(tok.Str) == nil {
		return Check{}, false
	}
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(tok.Str, claims); err != nil {
		return Check{}, false
	}
	exp, hasExp := numClaim(claims, "exp")
	iat, hasIat := numClaim(claims, "iat")
	if !hasExp || !hasIat {
		return Check{}, false
	}
	tol := defaultJWTTolerance.Seconds()
	life := exp - iat
	c := conformCheck(pos, "rfc6749 §5.1: expires_in agrees with the access token's exp - iat",
		fmt.Sprintf("expires_in %s ± %s s (exp - iat)", seconds(life), seconds(tol)), "expires_in "+seconds(in.Num))
	if math.Abs(in.Num-life) > tol {
		return nonconforming(c, c.Actual.Text, fmt.Sprintf("expires_in is %s s, but the access token's exp - iat is %s s; RFC 6749 §5.1 makes expires_in the access token's lifetime in seconds (flowrun allows %s s)",
			seconds(in.Num), seconds(life), seconds(tol))), true
	}
	return c, true
}

func seconds(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// tokenErrors are the error codes of RFC 6749 §5.2.
var tokenErrors = []string{"invalid_request", "invalid_client", "invalid_grant", "unauthorized_client", "unsupported_grant_type", "invalid_scope"}

// tokenError checks RFC 6749 §5.2 on a 400 or 401 to a token request: a
// JSON object whose error is a registered code.
func tokenError(pos Pos, resp *response) Check {
	codes := strings.Join(tokenErrors, ", ")
	c := conformCheck(pos, fmt.Sprintf("rfc6749 §5.2: the %d error answer is a JSON object whose error is a registered code", resp.status),
		"error: one of "+codes, "")
	body := gjson.ParseBytes(resp.body)
	var got string
	switch e := body.Get("error"); {
	case !resp.isJSON():
		got = bodyKind(resp)
	case !body.IsObject():
		got = "the body is " + jsonKind(body)
	case !e.Exists():
		got = "no error"
	case e.Type != gjson.String:
		got = "error is " + jsonKind(e)
	case !slices.Contains(tokenErrors, e.Str):
		got = "error " + strconv.Quote(oneLine(e.Str, 40))
	default:
		c.Actual = textValue("error " + strconv.Quote(e.Str))
		return c
	}
	return nonconforming(c, got, fmt.Sprintf("the %d answer to a token request has %s; RFC 6749 §5.2 requires a JSON object whose error is one of %s", resp.status, got, codes))
}

// bodyKind says what a body that is not JSON is: its type and size,
// never its text.
func bodyKind(resp *response) string {
	ctype, _, _ := strings.Cut(resp.header.Get("Content-Type"), ";")
	if ctype = strings.TrimSpace(ctype); ctype == "" {
		ctype = "no Content-Type"
	}
	return fmt.Sprintf("a body that is not JSON (%s, %d bytes)", oneLine(ctype, 60), len(resp.body))
}

// jsonKind names a JSON value's type.
func jsonKind(v gjson.Result) string {
	switch {
	case v.Type == gjson.String:
		return "a string"
	case v.Type == gjson.Number:
		return "a number"
	case v.Type == gjson.True || v.Type == gjson.False:
		return "a boolean"
	case v.Type == gjson.Null:
		return "null"
	case v.IsArray():
		return "a JSON array"
	}
	return "a JSON object"
}

// cookieAttributes checks that a cookie an answer sets is Secure, HttpOnly
// and has SameSite. The check names the cookie, never its value.
func cookieAttributes(pos Pos, c *http.Cookie) Check {
	name := oneLine(c.Name, 60)
	ck := conformCheck(pos, "cookies: cookie "+name+" is Secure, HttpOnly and SameSite", "Secure, HttpOnly, SameSite", "Secure, HttpOnly, SameSite")
	var missing []string
	if !c.Secure {
		missing = append(missing, "Secure")
	}
	if !c.HttpOnly {
		missing = append(missing, "HttpOnly")
	}
	switch c.SameSite {
	case 0:
		missing = append(missing, "SameSite")
	case http.SameSiteDefaultMode:
		missing = append(missing, "SameSite of Strict, Lax or None")
	}
	if len(missing) == 0 {
		return ck
	}
	got := "no " + strings.Join(missing, ", no ")
	return nonconforming(ck, got, fmt.Sprintf("cookie %s is set without %s; a session cookie must be Secure (sent over HTTPS only), HttpOnly (out of scripts' reach) and have SameSite (kept off cross-site requests), as RFC 6265bis §4.1.2 defines them",
		name, strings.Join(missing, ", ")))
}
