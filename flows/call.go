package flows

import "gopkg.in/yaml.v3"

// Call is an authenticated request: the session's credentials are attached.
// A call needs a live session: after a login, before a logout.
type Call struct{ Request *Request }

var callKind = kindDef{name: "call", decode: decodeCall, object: func(common []Key) *Object {
	return requestKind("call", "An authenticated request: the session's credentials are attached; needs a live session. Default status: any 2xx.", common)
}}

func decodeCall(d *decoder, n *yaml.Node, what string) Action {
	return Call{Request: d.decodeRequest(n, what, d.g.Kinds["call"], nil)}
}

// Kind returns "call".
func (Call) Kind() string { return "call" }

// Req returns the call's request.
func (a Call) Req() *Request { return a.Request }

// Credentials attaches the session's credentials and needs a live session.
func (Call) Credentials() CredentialUse { return CredentialUse{Attach: true, NeedSession: true} }

// Advance leaves the session as it was; the captures are flow variables.
func (Call) Advance(_ *Session, captured map[string]any) map[string]any { return captured }

// ProbeKinds returns the flow's probes, or else the spec's: every
// passing call is probed with them.
func (Call) ProbeKinds(s *Spec, f *Flow) ([]string, bool) {
	if f.Probe != nil {
		return *f.Probe, true
	}
	return s.Probe, true
}

// DefaultStatus returns nil: any 2xx.
func (Call) DefaultStatus(Auth) []int { return nil }
