package flows

import "gopkg.in/yaml.v3"

// Refresh exchanges the session's refresh token: what it captures replaces
// the session's credentials, and each credential named in rotate must come
// back changed. It uses the named request "refresh" unless it says otherwise.
type Refresh struct{ Request *Request }

var refreshKind = kindDef{name: "refresh", decode: decodeRefresh, object: func(common []Key) *Object {
	return requestKind("refresh", "Exchanges the refresh token (`requests.refresh` by default); its captures replace the session's credentials. Default status: any 2xx.", common, rotateKey)
}}

func decodeRefresh(d *decoder, n *yaml.Node, what string) Action {
	return Refresh{Request: d.decodeRequest(n, what, d.g.Kinds["refresh"], nil)}
}

// Kind returns "refresh".
func (Refresh) Kind() string { return "refresh" }

// Req returns the refresh request.
func (a Refresh) Req() *Request { return a.Request }

// Credentials needs a live session but attaches nothing: a refresh request
// carries its refresh token where the spec puts it.
func (Refresh) Credentials() CredentialUse { return CredentialUse{NeedSession: true} }

// Advance renews the session's credentials with the captures.
func (a Refresh) Advance(s *Session, captured map[string]any) map[string]any {
	s.Renew(captured, nil)
	return nil
}

// linkKind requires a capture: a refresh renews the session's credentials.
func (a Refresh) linkKind(d *decoder, _ *Spec, st *Step, what string) { d.needCapture(st, a, what) }

// DefaultStatus returns nil: any 2xx.
func (Refresh) DefaultStatus(Auth) []int { return nil }
