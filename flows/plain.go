package flows

import "gopkg.in/yaml.v3"

// Plain is a request step for everything else: no credentials unless it
// says `auth: true`, and any status the spec expects.
type Plain struct {
	Request *Request
	Auth    bool
}

var plainKind = kindDef{name: "request", decode: decodePlain, object: func(common []Key) *Object {
	return requestKind("request", "A plain request for everything else: public endpoints, error cases. Default status: any 2xx.", common,
		Key{Name: "auth", Type: TBool, Description: "attach the session's credentials", Example: true})
}}

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

// Advance leaves the session as it was; the captures are flow variables.
func (Plain) Advance(_ *Session, captured map[string]any) map[string]any { return captured }

// DefaultStatus returns nil: any 2xx.
func (Plain) DefaultStatus(Auth) []int { return nil }
