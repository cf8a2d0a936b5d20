package flows

import (
	"slices"
	"strconv"

	"gopkg.in/yaml.v3"
)

var introspectKind = kindDef{name: "introspect", decode: decodeIntrospect, object: func(common []Key) *Object {
	return requestKind("introspect", "Asks the `oauth2:` server's introspection endpoint (RFC 7662) about one of the session's tokens, authenticated as the client, and checks its `active` answer: a live token is active, a revoked or expired one is not. Default status: 200.", common,
		Key{Name: "token", Type: TString, Description: "the credential to introspect, by the name a login or refresh captured it under (default `access_token`)", Example: "refresh_token"},
		Key{Name: "active", Type: TBool, Description: "what the answer's `active` must be (default true)", Example: false})
}}

// Introspect asks the authorization server about a token of the session
// (RFC 7662) and checks whether it is active. It reads the session's
// credentials, also after a logout, and attaches none.
type Introspect struct {
	Request *Request
	// Token names the credential introspected.
	Token    string
	TokenPos Pos
	// Active is what the answer's active must be.
	Active bool
}

func decodeIntrospect(d *decoder, n *yaml.Node, what string) Action {
	a := Introspect{Token: "access_token", Active: true}
	a.Request = d.decodeRequest(n, what, d.g.Kinds["introspect"], func(key string, _, v *yaml.Node) {
		switch key {
		case "token":
			a.Token, a.TokenPos = d.str(v, what+": token"), d.pos(v)
		case "active":
			a.Active = d.boolean(v, what+": active")
		}
	})
	if a.TokenPos == (Pos{}) {
		a.TokenPos = a.Request.Pos
	}
	return a
}

// Kind returns "introspect".
func (Introspect) Kind() string { return "introspect" }

// Req returns the introspection request.
func (a Introspect) Req() *Request { return a.Request }

// Credentials attaches nothing: the request authenticates as the client.
func (Introspect) Credentials() CredentialUse { return CredentialUse{} }

// Advance changes nothing; the captures are flow variables.
func (Introspect) Advance(_ *Session, captured map[string]any) map[string]any { return captured }

// DefaultStatus returns 200: RFC 7662 answers 200 for any token.
func (Introspect) DefaultStatus(Auth) []int { return []int{200} }

// expand builds the request from the spec's oauth2: and checks active.
func (a Introspect) expand(d *decoder, s *Spec, r *Request, what string) {
	if s.OAuth2 == nil {
		d.errs = append(d.errs, Errorf(r.Pos, "%s: introspect needs the spec's oauth2: section (issuer: or introspection_url:)", what))
		return
	}
	d.clientRequest(s.OAuth2, r, "introspection_endpoint", append([]Pair{{Name: "token", Value: "{{" + a.Token + "}}", Pos: a.TokenPos}}, typeHint(a.Token, a.TokenPos)...))
	check := Assertion{Pos: a.TokenPos, Expr: `json("active") == ` + strconv.FormatBool(a.Active)}
	if !slices.Contains(r.Expect.Assert, check) {
		r.Expect.Assert = append([]Assertion{check}, r.Expect.Assert...)
	}
}

// linkKind checks that the token is a credential of the spec.
func (a Introspect) linkKind(d *decoder, s *Spec, _ *Step, what string) {
	if names := s.captureNames(); !slices.Contains(names, a.Token) {
		d.errs = append(d.errs, Errorf(a.TokenPos, "%s: token: %q is not a credential any login or refresh captures%s", what, a.Token, didYouMean(a.Token, names)))
	}
}
