package flows

import (
	"slices"

	"gopkg.in/yaml.v3"
)

var refreshKind = kindDef{name: "refresh", decode: decodeRefresh, object: func(common []Key) *Object {
	return requestKind("refresh", "Exchanges the refresh token (`requests.refresh` by default); its captures replace the session's credentials. With `oauth2:`, it is a token request (`grant: refresh_token`). Default status: any 2xx.", common, grantKey, rotateKey,
		Key{Name: "reuse", Type: TString, Description: "what the API does when the used refresh token is presented again, checked by sending this refresh again as it was sent: `refused` (the spec's `auth: refused` statuses or 400), `accepted` (2xx), or `revokes-family` (refused, and the new refresh token is refused too)",
			Example: "refused", Enum: ReusePolicies},
		Key{Name: "revokes", Type: TStrings, Description: "credentials the refresh revokes: their old values are what the `revoked` probe sends afterwards", Example: []any{"token"}})
}}

// ReusePolicies are what an API may do with a used refresh token.
var ReusePolicies = []string{"refused", "accepted", "revokes-family"}

// Refresh exchanges the session's refresh token: what it captures replaces
// the session's credentials, and each credential named in rotate must come
// back changed. It uses the named request "refresh" unless it says otherwise.
type Refresh struct {
	Request *Request
	// Reuse is the policy on a used refresh token: "refused", "accepted",
	// "revokes-family", or empty to leave it unchecked.
	Reuse    string
	ReusePos Pos
	// Revokes names credentials whose old values the API must refuse
	// after the refresh.
	Revokes    []string
	RevokesPos Pos
}

func decodeRefresh(d *decoder, n *yaml.Node, what string) Action {
	a := Refresh{}
	a.Request = d.decodeRequest(n, what, d.g.Kinds["refresh"], func(key string, _, v *yaml.Node) {
		switch key {
		case "reuse":
			a.Reuse, a.ReusePos = d.str(v, what+": reuse"), d.pos(v)
			if !slices.Contains(ReusePolicies, a.Reuse) {
				d.errorf(v, "%s: reuse: %q is not a policy%s; write refused, accepted or revokes-family", what, a.Reuse, didYouMean(a.Reuse, ReusePolicies))
			}
		case "revokes":
			a.Revokes, a.RevokesPos = d.strList(v, what+": revokes"), d.pos(v)
		}
	})
	return a
}

// Kind returns "refresh".
func (Refresh) Kind() string { return "refresh" }

// Req returns the refresh request.
func (a Refresh) Req() *Request { return a.Request }

// Credentials needs a live session but attaches nothing: a refresh request
// carries its refresh token where the spec puts it.
func (Refresh) Credentials() CredentialUse { return CredentialUse{NeedSession: true} }

// Advance renews the session's credentials with the captures; those it
// revokes keep their old values as revoked ones.
func (a Refresh) Advance(s *Session, captured map[string]any) map[string]any {
	s.Renew(captured, a.Revokes)
	return nil
}

// DefaultStatus returns nil: any 2xx.
func (Refresh) DefaultStatus(Auth) []int { return nil }

// Followups check the reuse policy: the refresh sent again as it was,
// with the refresh token it used up.
func (a Refresh) Followups(s *Spec) []Followup {
	refused := append(slices.Clone(s.Auth.RefusedOr()), 400)
	switch a.Reuse {
	case "refused":
		return []Followup{{Pos: a.ReusePos, Check: "reuse", Label: "the used refresh token sent again is refused", Status: refused}}
	case "accepted":
		return []Followup{{Pos: a.ReusePos, Check: "reuse", Label: "the used refresh token sent again is accepted"}}
	case "revokes-family":
		return []Followup{
			{Pos: a.ReusePos, Check: "reuse", Label: "the used refresh token sent again is refused", Status: refused},
			{Pos: a.ReusePos, Check: "reuse", Label: "after that reuse, the new refresh token is refused too", Request: a.Request, Status: refused},
		}
	}
	return nil
}

// linkKind requires a capture, and revoked names that are credentials.
func (a Refresh) linkKind(d *decoder, s *Spec, st *Step, what string) {
	d.needCapture(st, a, what)
	names := s.captureNames()
	for _, n := range a.Revokes {
		if !slices.Contains(names, n) {
			d.errs = append(d.errs, Errorf(a.RevokesPos, "%s: revokes: %q is not a credential any login or refresh captures%s", what, n, didYouMean(n, names)))
		}
	}
}
