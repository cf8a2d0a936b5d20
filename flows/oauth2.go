package flows

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// OAuth2 is the spec's OAuth 2.0 (RFC 6749) authorization server: where
// its endpoints are, and how the spec's client authenticates. Steps that
// say `grant:` (a login or refresh), a logout that says `revoke:`, and
// introspect steps build their requests from it.
type OAuth2 struct {
	Pos Pos
	// Issuer, if set, is read for its OpenID Connect discovery document
	// (/.well-known/openid-configuration) when a flow begins: it gives the
	// endpoints the spec does not.
	Issuer string
	// The endpoints: a path joined to base_url, or an absolute URL.
	TokenURL, RevocationURL, IntrospectionURL, UserinfoURL, JWKSURL string
	// ClientID and ClientSecret are templates of the spec's variables.
	ClientID, ClientSecret *Text
	// ClientAuth is how the client authenticates: ClientSecretBasic,
	// ClientSecretPost or ClientAuthNone.
	ClientAuth    string
	ClientAuthPos Pos
	// Scope is requested with the login grants, joined by spaces.
	Scope []string
	// Username and Password are the password grant's, templates.
	Username, Password *Text
}

// The ways a client authenticates to the token endpoint (RFC 6749 §2.3.1,
// as OpenID Connect names them).
const (
	ClientSecretBasic = "client_secret_basic"
	ClientSecretPost  = "client_secret_post"
	ClientAuthNone    = "none"
)

// ClientAuthMethods are the client authentication methods, in order.
var ClientAuthMethods = []string{ClientSecretBasic, ClientSecretPost, ClientAuthNone}

// The grants a login or refresh may say.
const (
	GrantClientCredentials = "client_credentials"
	GrantPassword          = "password"
	GrantRefreshToken      = "refresh_token"
)

// Grants are the grants a step may say, in order.
var Grants = []string{GrantClientCredentials, GrantPassword, GrantRefreshToken}

// OAuth2Var is the variable holding the authorization server's endpoints
// and client, for templates: {{oauth2.token_endpoint}},
// {{oauth2.userinfo_endpoint}}.
const OAuth2Var = "oauth2"

// OAuth2Fields are the keys of the oauth2 variable.
var OAuth2Fields = []string{"issuer", "token_endpoint", "revocation_endpoint", "introspection_endpoint", "userinfo_endpoint", "jwks_uri", "client_id", "client_secret"}

// tokenAnswer is what a grant captures from the token answer (RFC 6749
// §5.1): the tokens are secrets, the rest are not; only access_token must
// be there.
var tokenAnswer = []struct {
	name   string
	public bool
}{{"access_token", false}, {"refresh_token", false}, {"id_token", false}, {"expires_in", true}, {"token_type", true}, {"scope", true}}

func (d *decoder) oauth2(n *yaml.Node) *OAuth2 {
	o := &OAuth2{Pos: d.pos(n), ClientAuth: ClientSecretBasic}
	d.object(n, "oauth2", d.g.Objects["oauth2"], func(key string, _, v *yaml.Node) {
		at := "oauth2: " + key
		switch key {
		case "issuer":
			o.Issuer = strings.TrimRight(d.str(v, at), "/")
		case "token_url":
			o.TokenURL = d.str(v, at)
		case "revocation_url":
			o.RevocationURL = d.str(v, at)
		case "introspection_url":
			o.IntrospectionURL = d.str(v, at)
		case "userinfo_url":
			o.UserinfoURL = d.str(v, at)
		case "jwks_url":
			o.JWKSURL = d.str(v, at)
		case "client_id":
			o.ClientID = &Text{S: d.str(v, at), Pos: d.pos(v)}
		case "client_secret":
			o.ClientSecret = &Text{S: d.str(v, at), Pos: d.pos(v)}
		case "client_auth":
			o.ClientAuth, o.ClientAuthPos = d.str(v, at), d.pos(v)
			if !slices.Contains(ClientAuthMethods, o.ClientAuth) {
				d.errorf(v, "%s: %q is not a client authentication method%s; write %s", at, o.ClientAuth, didYouMean(o.ClientAuth, ClientAuthMethods), strings.Join(ClientAuthMethods, ", "))
			}
		case "scope":
			o.Scope = d.strList(v, at)
		case "username":
			o.Username = &Text{S: d.str(v, at), Pos: d.pos(v)}
		case "password":
			o.Password = &Text{S: d.str(v, at), Pos: d.pos(v)}
		}
	})
	if o.Issuer == "" && o.TokenURL == "" {
		d.errorf(n, "oauth2: give issuer: (its discovery document names the endpoints) or token_url:")
	}
	if o.ClientID == nil {
		d.errorf(n, "oauth2: client_id is missing; give the client's id, e.g. client_id: ${CLIENT_ID}")
	}
	if o.ClientSecret == nil && o.ClientAuth != ClientAuthNone {
		d.errorf(n, "oauth2: client_secret is missing; give it (list its variable under secrets:), or write client_auth: none for a public client")
	}
	return o
}

// grant decodes a step's or named request's grant.
func (d *decoder) grant(v *yaml.Node, at string) (string, Pos) {
	g := d.str(v, at)
	if !slices.Contains(Grants, g) {
		d.errorf(v, "%s: %q is not a grant%s; write %s", at, g, didYouMean(g, Grants), strings.Join(Grants, ", "))
	}
	return g, d.pos(v)
}

// defaultGrant returns the grant a login or refresh step says nothing
// of uses in a spec with oauth2: and no named request of its own.
func defaultGrant(s *Spec, snd Sender) string {
	switch snd.Kind() {
	case "login":
		if s.OAuth2.Username != nil {
			return GrantPassword
		}
		return GrantClientCredentials
	case "refresh":
		return GrantRefreshToken
	}
	return ""
}

// expandGrant fills a request that says grant: with the token request it
// stands for: a form POST to the token endpoint with the grant's fields
// and the client's authentication, capturing the token answer. What the
// request says itself (a path, form fields, captures) wins. It may run
// twice on one request (a named request, then a step using it).
func (d *decoder) expandGrant(s *Spec, r *Request, what string, keep bool) {
	o := s.OAuth2
	if o == nil {
		d.errs = append(d.errs, Errorf(r.GrantPos, "%s: grant: needs the spec's oauth2: section (issuer: or token_url:, client_id:, client_secret:)", what))
		return
	}
	form := []Pair{{Name: "grant_type", Value: r.Grant, Pos: r.GrantPos}}
	switch r.Grant {
	case GrantPassword:
		if o.Username == nil || o.Password == nil {
			d.errs = append(d.errs, Errorf(r.GrantPos, "%s: grant: password needs oauth2: username: and password: (templates, e.g. \"{{username}}\"), or form: {username: ..., password: ...} on the step", what))
		}
		if o.Username != nil {
			form = append(form, Pair{Name: "username", Value: o.Username.S, Pos: o.Username.Pos})
		}
		if o.Password != nil {
			form = append(form, Pair{Name: "password", Value: o.Password.S, Pos: o.Password.Pos})
		}
	case GrantRefreshToken:
		form = append(form, Pair{Name: "refresh_token", Value: "{{refresh_token}}", Pos: r.GrantPos})
	}
	if len(o.Scope) > 0 && r.Grant != GrantRefreshToken {
		form = append(form, Pair{Name: "scope", Value: strings.Join(o.Scope, " "), Pos: o.Pos})
	}
	d.clientRequest(o, r, "token_endpoint", form)
	if !keep {
		return
	}
	for _, c := range tokenAnswer {
		if !slices.ContainsFunc(r.Capture, func(x Capture) bool { return x.Name == c.name }) {
			r.Capture = append(r.Capture, Capture{Pos: r.GrantPos, Name: c.name, Source: c.name, Public: c.public, Optional: c.name != "access_token"})
		}
	}
}

// clientRequest makes r a form POST to one of the authorization server's
// endpoints (a key of the oauth2 variable), authenticated as the client:
// form holds the request's own fields, and what r says itself wins.
func (d *decoder) clientRequest(o *OAuth2, r *Request, endpoint string, form []Pair) {
	r.Method = "POST"
	if r.Path == nil && r.URL == nil {
		r.URL = &Text{S: "{{" + OAuth2Var + "." + endpoint + "}}", Pos: o.Pos}
	}
	switch o.ClientAuth {
	case ClientSecretBasic:
		// RFC 6749 §2.3.1: the id and secret are form-encoded, then joined.
		h := Pair{Name: "Authorization", Value: "Basic {{basicAuth(formEncode(oauth2.client_id), formEncode(oauth2.client_secret))}}", Pos: o.Pos}
		r.Headers = mergePairs([]Pair{h}, r.Headers)
	case ClientSecretPost:
		form = append(form, Pair{Name: "client_id", Value: "{{oauth2.client_id}}", Pos: o.Pos}, Pair{Name: "client_secret", Value: "{{oauth2.client_secret}}", Pos: o.Pos})
	case ClientAuthNone:
		form = append(form, Pair{Name: "client_id", Value: "{{oauth2.client_id}}", Pos: o.Pos})
	}
	r.Form, r.JSON, r.Body = mergePairs(form, r.Form), nil, nil
}

// revokeRequest is a logout's RFC 7009 revocation of the credential name.
func (d *decoder) revokeRequest(s *Spec, r *Request, name string, pos Pos, what string) {
	if s.OAuth2 == nil {
		d.errs = append(d.errs, Errorf(pos, "%s: revoke: needs the spec's oauth2: section (issuer: or revocation_url:)", what))
		return
	}
	d.clientRequest(s.OAuth2, r, "revocation_endpoint", append([]Pair{{Name: "token", Value: "{{" + name + "}}", Pos: pos}}, typeHint(name, pos)...))
}

// typeHint is the token_type_hint for a credential named as RFC 6749
// names its tokens.
func typeHint(name string, pos Pos) []Pair {
	if name == "access_token" || name == "refresh_token" {
		return []Pair{{Name: "token_type_hint", Value: name, Pos: pos}}
	}
	return nil
}

// basicAuth turns auth: basic: into the Authorization header it stands for.
func basicAuthHeader(user, password Text) Pair {
	return Pair{Name: "Authorization", Value: "Basic {{basicAuth(" + templateExpr(user.S) + ", " + templateExpr(password.S) + ")}}", Pos: user.Pos}
}

// templateExpr returns an expression whose value is what the template s
// renders to: "{{user}}" is user, "alice" is "alice", and "a{{b}}c" is
// "a" + string(b) + "c".
func templateExpr(s string) string {
	if m := tplExpr.FindStringSubmatchIndex(s); m != nil && m[0] == 0 && m[1] == len(s) {
		return "(" + strings.TrimSpace(s[m[2]:m[3]]) + ")"
	}
	var parts []string
	last := 0
	for _, m := range tplExpr.FindAllStringSubmatchIndex(s, -1) {
		if m[0] > last {
			parts = append(parts, strconv.Quote(s[last:m[0]]))
		}
		parts = append(parts, "string("+strings.TrimSpace(s[m[2]:m[3]])+")")
		last = m[1]
	}
	if last < len(s) || len(parts) == 0 {
		parts = append(parts, strconv.Quote(s[last:]))
	}
	return strings.Join(parts, " + ")
}

// linkOAuth2 fills what oauth2: implies: a Bearer access token on
// authenticated requests when auth: says nothing else, and the grants of
// named requests.
func (d *decoder) linkOAuth2(s *Spec) {
	for name, r := range s.Requests {
		if r.Grant != "" {
			d.expandGrant(s, r, fmt.Sprintf("request %q", name), true)
		}
	}
	if s.OAuth2 == nil {
		return
	}
	if len(s.Auth.Headers) == 0 && len(s.Auth.Query) == 0 {
		s.Auth.Headers = []Pair{{Name: "Authorization", Value: "Bearer {{access_token}}", Pos: s.OAuth2.Pos}}
	}
}
