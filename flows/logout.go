package flows

import "gopkg.in/yaml.v3"

// Logout ends the session on the server. A later call in the same session
// is a spec error; an expect-401 there checks the token is dead. It uses
// the named request "logout" unless it says otherwise.
type Logout struct{ Request *Request }

var logoutKind = kindDef{name: "logout", decode: decodeLogout, object: func(common []Key) *Object {
	return requestKind("logout", "Ends the session (`requests.logout` by default); later calls in the session are spec errors. Default status: any 2xx.", common)
}}

func decodeLogout(d *decoder, n *yaml.Node, what string) Action {
	return Logout{Request: d.decodeRequest(n, what, d.g.Kinds["logout"], nil)}
}

// Kind returns "logout".
func (Logout) Kind() string { return "logout" }

// Req returns the logout request.
func (a Logout) Req() *Request { return a.Request }

// Credentials attaches the session's credentials and needs a live session.
func (Logout) Credentials() CredentialUse { return CredentialUse{Attach: true, NeedSession: true} }

// Advance ends the session; the captures are flow variables.
func (Logout) Advance(s *Session, captured map[string]any) map[string]any {
	s.End()
	return captured
}

// DefaultStatus returns nil: any 2xx.
func (Logout) DefaultStatus(Auth) []int { return nil }
