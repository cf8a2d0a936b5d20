package flows

import "gopkg.in/yaml.v3"

// Plain is a request step for everything else: no credentials unless it
// says `auth: true`, and any status the spec expects.
type Plain struct {
	Request *Request
	Auth    bool
}

func decodePlain(d *decoder, n *yaml.Node, what string) Action {
	a := Plain{}
	a.Request = d.decodeRequest(n, what, d.g.Kinds["request"], func(_ string, _, v *yaml.Node) {
		a.Auth = d.boolean(v, what+": auth")
	})
	return a
}

// Kind returns "request".
func (Plain) Kind() string { return "request" }

// Req returns the request.
func (a Plain) Req() *Request { return a.Request }

// Credentials attaches the session's credentials when the step says auth.
func (a Plain) Credentials() CredentialUse {
	return CredentialUse{Attach: a.Auth, NeedSession: a.Auth}
}

// Effect returns Keep.
func (Plain) Effect() Effect { return Keep }

// DefaultStatus returns nil: any 2xx.
func (Plain) DefaultStatus(Auth) []int { return nil }
