package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"github.com/tidwall/gjson"

	"github.com/flowrun/flowrun/flows"
)

// defaultJWTTolerance is how far a lifetime may be off when the spec says nothing.
const defaultJWTTolerance = 5 * time.Second

// maxJWKS bounds a JWK Set document.
const maxJWKS = 1 << 20

// jwtPlan is a compiled `expect: {jwt: ...}` block.
type jwtPlan struct {
	check                            *flows.JWTCheck
	token, iss, aud, sub, hmac, jwks *template
	pem                              any // the parsed public key
}

// signed lists every signing method but none: an unsigned token never verifies.
var signed = []string{"HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
	"ES256", "ES384", "ES512", "EdDSA"}

// jwt compiles a jwt block in scope sc; captured are the step's captures.
func (c *compiler) jwt(j *flows.JWTCheck, captured []string, what string, sc *scope) *jwtPlan {
	p := &jwtPlan{check: j}
	tpl := func(t *flows.Text, key string) *template {
		if t == nil {
			return nil
		}
		return c.template(t.S, t.Pos, what+": jwt: "+key, sc)
	}
	switch {
	case j.Token != nil:
		p.token = tpl(j.Token, "token")
	case len(captured) == 0:
		c.errorf(j.Pos, "%s: jwt: the step captures nothing; say which token to check: token: \"{{name}}\"", what)
	default:
		p.token = tpl(&flows.Text{S: "{{" + captured[0] + "}}", Pos: j.Pos}, "token")
	}
	p.iss, p.aud, p.sub = tpl(j.Iss, "iss"), tpl(j.Aud, "aud"), tpl(j.Sub, "sub")
	p.hmac, p.jwks = tpl(j.HMAC, "hmac"), tpl(j.JWKS, "jwks")
	if j.PEM != nil {
		key, err := parsePublicKey(j.PEM)
		if err != nil {
			c.errorf(j.Pos, "%s: jwt: pem: %s: %v", what, j.PEMPath, err)
		}
		p.pem = key
	}
	return p
}

// parsePublicKey reads an RSA, EC or Ed25519 public key in PEM.
func parsePublicKey(pem []byte) (any, error) {
	if k, err := jwt.ParseRSAPublicKeyFromPEM(pem); err == nil {
		return k, nil
	}
	if k, err := jwt.ParseECPublicKeyFromPEM(pem); err == nil {
		return k, nil
	}
	if k, err := jwt.ParseEdPublicKeyFromPEM(pem); err == nil {
		return k, nil
	}
	return nil, errors.New("not a PEM public key (RSA, EC or Ed25519)")
}

// checkJWT checks the token: that it is a JWT, its times, claims and
// signature, each its own check. The token's value is never in a message.
func (f *flowRun) checkJWT(ctx context.Context, p *jwtPlan, resp *response, env map[string]any) []Check {
	j := p.check
	mk := func(what string) Check {
		return Check{Pos: j.Pos, Kind: CheckJWT, Expr: "jwt: " + what, Status: Passed, Expected: textValue("true"), Actual: textValue("true")}
	}
	fail := func(c Check, expected, actual, msg string) Check {
		c.Status, c.Expected, c.Actual, c.Message = Failed, textValue(expected), textValue(actual), msg
		return c
	}
	raw, err := p.token.render(env)
	if err != nil {
		c := mk("token")
		c.Status, c.Message = Errored, err.Error()
		return []Check{c}
	}
	_, raw = splitScheme(strings.TrimSpace(raw))
	claims := jwt.MapClaims{}
	tok, _, err := jwt.NewParser().ParseUnverified(raw, claims)
	if err != nil {
		return []Check{fail(mk("is a JWT"), "a JWT", "not a JWT", "the value is not a JWT: "+firstLine(err))}
	}
	now, tol := f.cfg.Now(), j.Tolerance
	if tol <= 0 {
		tol = defaultJWTTolerance
	}
	var out []Check
	exp, hasExp := numClaim(claims, "exp")
	iat, hasIat := numClaim(claims, "iat")
	if hasExp {
		c := mk("exp is in the future")
		if at := time.Unix(int64(exp), 0); !at.After(now) {
			c = fail(c, "after "+now.UTC().Format(time.RFC3339), at.UTC().Format(time.RFC3339), "the token has expired")
		}
		out = append(out, c)
	}
	if nbf, ok := numClaim(claims, "nbf"); ok {
		c := mk("nbf is not in the future")
		if at := time.Unix(int64(nbf), 0); at.After(now.Add(tol)) {
			c = fail(c, "at or before "+now.UTC().Format(time.RFC3339), at.UTC().Format(time.RFC3339), "the token is not valid yet")
		}
		out = append(out, c)
	}
	lifetime := func(what string, want time.Duration) Check {
		c := mk(what)
		if !hasExp || !hasIat {
			return fail(c, want.String(), "no exp or no iat", "the token has no exp or no iat to measure its lifetime by")
		}
		got := time.Duration(exp-iat) * time.Second
		c.Expected, c.Actual = textValue(want.String()+" ± "+tol.String()), textValue(got.String())
		if math.Abs(float64(got-want)) > float64(tol) {
			c.Status, c.Message = Failed, fmt.Sprintf("exp - iat is %s, not %s", got, want)
		}
		return c
	}
	if j.Lifetime > 0 {
		out = append(out, lifetime("lifetime", j.Lifetime))
	}
	if j.ExpiresIn != "" {
		v := gjson.GetBytes(resp.body, j.ExpiresIn)
		if v.Type != gjson.Number {
			out = append(out, fail(mk("exp - iat agrees with "+j.ExpiresIn), "a number of seconds at "+j.ExpiresIn, "nothing there", "the answer has no "+j.ExpiresIn))
		} else {
			out = append(out, lifetime("exp - iat agrees with "+j.ExpiresIn, time.Duration(v.Float()*float64(time.Second))))
		}
	}
	for _, cl := range []struct {
		name string
		tpl  *template
	}{{"iss", p.iss}, {"aud", p.aud}, {"sub", p.sub}} {
		if cl.tpl != nil {
			out = append(out, claimCheck(mk, cl.name, cl.tpl, claims, env))
		}
	}
	if c, ok := f.signatureCheck(ctx, p, raw, tok.Method.Alg(), env, mk); ok {
		out = append(out, c)
	}
	if j.NoSensitiveClaims {
		c := mk("no sensitive claims")
		if bad := sensitiveClaims("", claims); len(bad) > 0 {
			c = fail(c, "none", strings.Join(bad, ", "), "the payload, which anyone holding the token can read, has claims that look sensitive: "+strings.Join(bad, ", "))
		}
		out = append(out, c)
	}
	return out
}

// claimCheck compares a claim with the value a template gives; aud may
// be a list that must hold it.
func claimCheck(mk func(string) Check, name string, tpl *template, claims jwt.MapClaims, env map[string]any) Check {
	c := mk(name)
	want, err := tpl.render(env)
	if err != nil {
		c.Status, c.Message = Errored, err.Error()
		return c
	}
	got := claims[name]
	c.Expected, c.Actual = valueOf(want), valueOf(got)
	ok := got == want
	if list, isList := got.([]any); isList {
		ok = slices.Contains(list, any(want))
	}
	if !ok {
		c.Status, c.Message = Failed, fmt.Sprintf("the token's %s is not %q", name, want)
	}
	return c
}

// signatureCheck verifies the signature with the key the block names; ok
// is false when it names none.
func (f *flowRun) signatureCheck(ctx context.Context, p *jwtPlan, raw, alg string, env map[string]any, mk func(string) Check) (Check, bool) {
	var kf jwt.Keyfunc
	var how string
	switch {
	case p.hmac != nil:
		secret, err := p.hmac.render(env)
		if err != nil {
			c := mk("signature")
			c.Status, c.Message = Errored, err.Error()
			return c, true
		}
		how, kf = "the HMAC secret", func(*jwt.Token) (any, error) { return []byte(secret), nil }
	case p.pem != nil:
		how, kf = p.check.PEMPath, func(*jwt.Token) (any, error) { return p.pem, nil }
	case p.jwks != nil:
		url, err := p.jwks.render(env)
		if err == nil {
			kf, err = f.jwksKeys(ctx, url)
		}
		if err != nil {
			c := mk("signature")
			c.Status, c.Message = Errored, "jwks: "+err.Error()
			return c, true
		}
		how = "the JWK Set at " + url
	default:
		return Check{}, false
	}
	c := mk(alg + " signature verifies with " + how)
	_, err := jwt.Parse(raw, kf, jwt.WithoutClaimsValidation(), jwt.WithValidMethods(signed))
	if err != nil {
		c.Status, c.Actual, c.Message = Failed, textValue("false"), "the signature does not verify: "+firstLine(err)
	}
	return c, true
}

// jwksKeys fetches a JWK Set once per flow, with the run's client.
func (f *flowRun) jwksKeys(ctx context.Context, url string) (jwt.Keyfunc, error) {
	if k, ok := f.jwks[url]; ok {
		return k.Keyfunc, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := f.httpClient().Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := readBody(resp.Body, maxJWKS)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s answered %d", url, resp.StatusCode)
	}
	k, err := keyfunc.NewJWKSetJSON(json.RawMessage(body))
	if err != nil {
		return nil, fmt.Errorf("%s is not a JWK Set: %v", url, err)
	}
	if f.jwks == nil {
		f.jwks = map[string]keyfunc.Keyfunc{}
	}
	f.jwks[url] = k
	return k.Keyfunc, nil
}

func numClaim(c jwt.MapClaims, name string) (float64, bool) {
	v, ok := c[name].(float64)
	return v, ok
}

// sensitiveWords are parts of claim names that hold what a token's
// payload, readable by anyone who holds it, must not.
var sensitiveWords = []string{"password", "passwd", "secret", "pin", "cvv", "cvc", "ssn", "card"}

// sensitiveClaims names the claims that look sensitive: by their name, or
// a value that is a card number (13 to 19 digits passing Luhn's check).
func sensitiveClaims(prefix string, v any) []string {
	var out []string
	switch x := v.(type) {
	case jwt.MapClaims:
		return sensitiveClaims(prefix, map[string]any(x))
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(x)) {
			name := k
			if prefix != "" {
				name = prefix + "." + k
			}
			l := strings.ToLower(k)
			if slices.ContainsFunc(sensitiveWords, func(w string) bool { return strings.Contains(l, w) }) {
				out = append(out, name)
				continue
			}
			out = append(out, sensitiveClaims(name, x[k])...)
		}
	case []any:
		for i, e := range x {
			out = append(out, sensitiveClaims(fmt.Sprintf("%s[%d]", prefix, i), e)...)
		}
	case string:
		if luhn(strings.NewReplacer(" ", "", "-", "").Replace(x)) {
			out = append(out, prefix)
		}
	case float64:
		if x == math.Trunc(x) && luhn(fmt.Sprintf("%.0f", x)) {
			out = append(out, prefix)
		}
	}
	return out
}

// luhn reports whether s is 13 to 19 digits that pass Luhn's check, as
// card numbers do.
func luhn(s string) bool {
	if len(s) < 13 || len(s) > 19 {
		return false
	}
	sum := 0
	for i := range len(s) {
		d := int(s[len(s)-1-i] - '0')
		if d < 0 || d > 9 {
			return false
		}
		if i%2 == 1 {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}
