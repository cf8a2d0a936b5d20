package runner

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/flowrun/flowrun/flows"
)

// probeExpired sends the request with the session's token past its
// lifetime: re-signed with an exp in the past when auth: expired: hmac
// gives the key, else the real token once its exp (or the login's
// expires_in) has passed, waiting at most auth: expired: wait.
func (f *flowRun) probeExpired(ctx context.Context, sp *stepPlan, s *session, env map[string]any, req *http.Request, body []byte, creds []placed, refused []int, sr *StepResult) []Check {
	errored := func(msg string) []Check {
		c := Check{Pos: sp.step.Pos, Kind: CheckProbe, Expr: "probe expired", Status: Errored,
			Expected: textValue(statusList(refused)), Actual: textValue("not sent"), Message: msg}
		sr.Checks = append(sr.Checks, c)
		return []Check{c}
	}
	if f.plan.expiredKey != nil {
		key, err := f.plan.expiredKey.render(env)
		if err != nil {
			return errored("auth: expired: hmac: " + err.Error())
		}
		f.red.learn("expired-hmac", key)
		var out []Check
		for _, c := range creds {
			scheme, token := splitScheme(c.value)
			if jwtParts(token) == nil {
				continue
			}
			expired, err := resignExpired(token, key, f.cfg.Now())
			if err != nil {
				return errored(err.Error())
			}
			v := variant{label: c.name + " re-signed with an exp in the past",
				edit: func(h http.Header, q map[string][]string) { put(c, h, q, scheme+expired) }}
			out = append(out, f.sendProbe(ctx, sp, req, body, v, refused, sr))
		}
		if len(out) == 0 {
			return errored("no credential on the request is a JWT that auth: expired: hmac could re-sign")
		}
		return out
	}
	at, how, err := f.expiry(s, creds)
	if err != nil {
		return errored(err.Error())
	}
	bound := f.plan.Spec.Auth.Expired.Wait
	if bound <= 0 {
		bound = flows.DefaultExpiredWait
	}
	d := at.Sub(f.cfg.Now())
	if d > bound {
		return errored(fmt.Sprintf("the token expires in %s (%s), later than the probe may wait (%s); set auth: expired: wait, give auth: expired: hmac to re-sign the token, or use a shorter token lifetime",
			d.Round(time.Second), how, bound))
	}
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return errored("the run was interrupted while waiting for the token to expire")
		}
	}
	label := "expired: the session's token once " + how + " has passed"
	c := Check{Pos: sp.step.Pos, Kind: CheckProbe, Expr: "probe " + label}
	return []Check{f.sendCheck(ctx, sp, "probe "+label, again(ctx, req, body), body, c, refused, "the API accepted the session's token after "+how, sr)}
}

// expiry returns when the session's token expires, and how that is known:
// the latest exp of the JWTs the request carries, or the time the session
// last logged in or refreshed plus its captured expires_in.
func (f *flowRun) expiry(s *session, creds []placed) (time.Time, string, error) {
	var at time.Time
	for _, c := range creds {
		_, token := splitScheme(c.value)
		if jwtParts(token) == nil {
			continue
		}
		claims := jwt.MapClaims{}
		if _, _, err := jwt.NewParser().ParseUnverified(token, claims); err != nil {
			continue
		}
		if exp, ok := numClaim(claims, "exp"); ok {
			// exp is in whole seconds: the token is expired a second later.
			if t := time.Unix(int64(math.Ceil(exp)), 0).Add(time.Second); t.After(at) {
				at = t
			}
		}
	}
	if !at.IsZero() {
		return at, "its exp", nil
	}
	for _, name := range []string{"expires_in", "expiresIn"} {
		if v, ok := s.Creds[name]; ok && !s.issued.IsZero() {
			secs, ok := toFloat(v)
			if !ok || secs < 0 {
				return time.Time{}, "", fmt.Errorf("%s is %v, not a number of seconds", name, v)
			}
			return s.issued.Add(time.Duration(secs*float64(time.Second)) + time.Second), "the login's " + name, nil
		}
	}
	return time.Time{}, "", fmt.Errorf("the session's token has no exp and its login captured no expires_in: give auth: expired: hmac, or write a wait step and an expect-401 instead")
}

// resignExpired returns the HMAC-signed JWT token signed again with key,
// its exp a minute in the past and its iat (and nbf) moved with it, so
// its lifetime is kept.
func resignExpired(token, key string, now time.Time) (string, error) {
	claims := jwt.MapClaims{}
	tok, _, err := jwt.NewParser().ParseUnverified(token, claims)
	if err != nil {
		return "", fmt.Errorf("the token is not a JWT: %v", firstLine(err))
	}
	method, ok := tok.Method.(*jwt.SigningMethodHMAC)
	if !ok {
		return "", fmt.Errorf("the token is signed with %s, not HMAC: auth: expired: hmac cannot re-sign it; leave hmac out to wait for its exp", tok.Method.Alg())
	}
	// A token signed with another key is refused for its signature, which
	// would prove nothing about expiry: the key must verify the real one.
	if _, err := jwt.NewParser(jwt.WithoutClaimsValidation(), jwt.WithValidMethods([]string{method.Alg()})).Parse(token,
		func(*jwt.Token) (any, error) { return []byte(key), nil }); err != nil {
		return "", fmt.Errorf("auth: expired: hmac does not verify the session's token (%s): it is not the key the API signs with, and a token re-signed with it would be refused for its signature, not its exp", firstLine(err))
	}
	exp := now.Add(-time.Minute).Unix()
	life := int64(3600)
	if e, ok := numClaim(claims, "exp"); ok {
		if i, ok := numClaim(claims, "iat"); ok && e > i {
			life = int64(e - i)
		}
	}
	claims["exp"] = exp
	if _, ok := claims["iat"]; ok {
		claims["iat"] = exp - life
	}
	if _, ok := claims["nbf"]; ok {
		claims["nbf"] = exp - life
	}
	out := jwt.NewWithClaims(method, claims)
	for k, v := range tok.Header {
		if k != "alg" {
			out.Header[k] = v
		}
	}
	signed, err := out.SignedString([]byte(key))
	if err != nil {
		return "", fmt.Errorf("re-signing the token: %v", err)
	}
	return signed, nil
}

// toFloat returns a JSON number, or a string holding one, as a float.
func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int:
		return float64(x), true
	case string:
		var f float64
		_, err := fmt.Sscan(strings.TrimSpace(x), &f)
		return f, err == nil
	}
	return 0, false
}
