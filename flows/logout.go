package flows

import (
	"slices"

	"gopkg.in/yaml.v3"
)

var logoutKind = kindDef{name: "logout", decode: decodeLogout, object: func(common []Key) *Object {
	return requestKind("logout", "Ends the session (`requests.logout` by default); later calls in the session are spec errors. Default status: any 2xx.", common,
		Key{Name: "revoke", Type: TString, Description: "revoke this credential at the `oauth2:` server's revocation endpoint (RFC 7009) instead of sending `requests.logout`: a form POST of `token` and `token_type_hint`, authenticated as the client",
			Example: "refresh_token"},
		Key{Name: "verify", Type: TStrings, Description: "named requests sent after the logout with the credentials from before it: each must be refused (the spec's `auth: refused` statuses, or 400 for one that a refresh uses), proving the logout revoked them",
			Example: []any{"profile", "refresh"}})
}}

// Logout ends the session on the server. A later call in the same session
// is a spec error; an expect-401 there checks the token is dead. It uses
// the named request "logout" unless it says otherwise.
type Logout struct {
	Request *Request
	// Verify names requests sent after the logout with the old
	// credentials, each of which must be refused.
	Verify    []string
	VerifyPos Pos
	// Revoke names the credential revoked at the oauth2: server's
	// revocation endpoint (RFC 7009), if the logout is a revocation.
	Revoke    string
	RevokePos Pos
}

func decodeLogout(d *decoder, n *yaml.Node, what string) Action {
	a := Logout{}
	a.Request = d.decodeRequest(n, what, d.g.Kinds["logout"], func(key string, _, v *yaml.Node) {
		switch key {
		case "verify":
			a.Verify, a.VerifyPos = d.strList(v, what+": verify"), d.pos(v)
		case "revoke":
			a.Revoke, a.RevokePos = d.str(v, what+": revoke"), d.pos(v)
		}
	})
	return a
}

// Kind returns "logout".
func (Logout) Kind() string { return "logout" }

// Req returns the logout request.
func (a Logout) Req() *Request { return a.Request }

// Credentials attaches the session's credentials and needs a live
// session; a revocation authenticates as the client instead.
func (a Logout) Credentials() CredentialUse {
	return CredentialUse{Attach: a.Revoke == "", NeedSession: true}
}

// defaultUse is "logout", unless the logout is a revocation.
func (a Logout) defaultUse() string {
	if a.Revoke != "" {
		return ""
	}
	return "logout"
}

// expand builds a revocation's request from the spec's oauth2:.
func (a Logout) expand(d *decoder, s *Spec, r *Request, what string) {
	if a.Revoke == "" {
		return
	}
	if r.Use != "" {
		d.errs = append(d.errs, Errorf(a.RevokePos, "%s: give revoke: or use:, not both", what))
		return
	}
	d.revokeRequest(s, r, a.Revoke, a.RevokePos, what)
}

// Advance ends the session; the captures are flow variables.
func (Logout) Advance(s *Session, captured map[string]any) map[string]any {
	s.End()
	return captured
}

// DefaultStatus returns nil: any 2xx.
func (Logout) DefaultStatus(Auth) []int { return nil }

// Followups send each request named in verify with the credentials from
// before the logout; each must be refused.
func (a Logout) Followups(s *Spec) []Followup {
	var out []Followup
	for _, name := range a.Verify {
		r := s.Requests[name]
		if r == nil {
			continue // linkKind reported it
		}
		r = namedAs(r, a.Request.Session)
		status := s.Auth.RefusedOr()
		if s.refreshes(name) {
			// RFC 6749 refuses a bad refresh token with 400 invalid_grant.
			status = append(slices.Clone(status), 400)
		}
		out = append(out, Followup{Pos: a.VerifyPos, Check: "verify", Label: "after the logout, " + name + " with the old credentials is refused",
			Request: r, Before: true, Attach: !s.refreshes(name), Status: status})
	}
	return out
}

// linkKind checks that verify names requests, and revoke a credential.
func (a Logout) linkKind(d *decoder, s *Spec, _ *Step, what string) {
	if a.Revoke != "" {
		if names := s.captureNames(); !slices.Contains(names, a.Revoke) {
			d.errs = append(d.errs, Errorf(a.RevokePos, "%s: revoke: %q is not a credential any login or refresh captures%s", what, a.Revoke, didYouMean(a.Revoke, names)))
		}
	}
	for _, name := range a.Verify {
		if s.Requests[name] == nil {
			d.errs = append(d.errs, Errorf(a.VerifyPos, "%s: verify: no request named %q%s under requests", what, name, didYouMean(name, keys(s.Requests))))
		}
	}
}
