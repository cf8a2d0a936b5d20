package flows

import "gopkg.in/yaml.v3"

// Login sends the provider's login request, which must succeed; what it
// captures becomes the session's credentials. It uses the named request
// "login" unless it says otherwise.
type Login struct{ Request *Request }

var loginKind = kindDef{name: "login", decode: decodeLogin, object: func(common []Key) *Object {
	return requestKind("login", "Sends the login request (`requests.login` unless `use` says otherwise); what it captures becomes the session's credentials. With `oauth2:`, it is a token request (`grant`). Default status: any 2xx.", common, grantKey)
}}

func decodeLogin(d *decoder, n *yaml.Node, what string) Action {
	return Login{Request: d.decodeRequest(n, what, d.g.Kinds["login"], nil)}
}

// Kind returns "login".
func (Login) Kind() string { return "login" }

// Req returns the login request.
func (a Login) Req() *Request { return a.Request }

// Credentials returns no credentials: a login is how they are had.
func (Login) Credentials() CredentialUse { return CredentialUse{} }

// Advance starts the session: the captures are its credentials.
func (Login) Advance(s *Session, captured map[string]any) map[string]any {
	s.Start(captured)
	return nil
}

// linkKind requires a capture: a login is how a session gets credentials.
func (a Login) linkKind(d *decoder, _ *Spec, st *Step, what string) { d.needCapture(st, a, what) }

// DefaultStatus returns nil: any 2xx.
func (Login) DefaultStatus(Auth) []int { return nil }
