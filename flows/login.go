package flows

import "gopkg.in/yaml.v3"

// Login sends the provider's login request, which must succeed; what it
// captures becomes the session's credentials. It uses the named request
// "login" unless it says otherwise.
type Login struct{ Request *Request }

func decodeLogin(d *decoder, n *yaml.Node, what string) Action {
	return Login{Request: d.decodeRequest(n, what, d.g.Kinds["login"], nil)}
}

// Kind returns "login".
func (Login) Kind() string { return "login" }

// Req returns the login request.
func (a Login) Req() *Request { return a.Request }

// Credentials returns no credentials: a login is how they are had.
func (Login) Credentials() CredentialUse { return CredentialUse{} }

// Effect returns Start.
func (Login) Effect() Effect { return Start }

// DefaultStatus returns nil: any 2xx.
func (Login) DefaultStatus(Auth) []int { return nil }
