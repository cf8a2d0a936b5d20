package flows

import (
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Conformance checks a spec may switch on with `conformance:`. Each is a
// reported check wherever it applies.
const (
	// ConformRFC6750: every 401 answer to a request that carries (or
	// should carry) a bearer credential has WWW-Authenticate: Bearer, with
	// error="invalid_token" when a token was presented (RFC 6750 §3).
	ConformRFC6750 = "rfc6750"
	// ConformRFC6749: a token answer (a login's or a refresh's) has
	// access_token, token_type, expires_in and Cache-Control: no-store
	// (RFC 6749 §5.1), expires_in agrees with a JWT access token's
	// exp - iat, and an error answer of a token request carries a
	// registered error code (§5.2).
	ConformRFC6749 = "rfc6749"
	// ConformCookies: every cookie a login or a refresh sets is Secure,
	// HttpOnly and has SameSite.
	ConformCookies = "cookies"
)

// ConformanceKinds are the conformance checks, in the order documented.
var ConformanceKinds = []string{ConformRFC6750, ConformRFC6749, ConformCookies}

func (d *decoder) conformance(n *yaml.Node, what string) []string {
	out := d.strList(n, what)
	for _, c := range out {
		if !slices.Contains(ConformanceKinds, c) {
			d.errorf(n, "%s: %q is not a conformance check%s; write %s", what, c, didYouMean(c, ConformanceKinds), strings.Join(ConformanceKinds, ", "))
		}
	}
	return out
}

// Conforms reports whether the spec switched on the conformance check c.
func (s *Spec) Conforms(c string) bool { return slices.Contains(s.Conformance, c) }
