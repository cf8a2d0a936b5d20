package flows

import "gopkg.in/yaml.v3"

// Expect401 is a request the API must refuse: by default with 401, or the
// status the spec names (MIC refuses with 403). It carries the session's
// credentials, if any, except those it omits, sets or tampers with, so it
// checks a missing, wrong, tampered, expired or logged-out credential.
type Expect401 struct {
	Request *Request
	Omit    []string
	Set     []Pair
	Tamper  []string
	// Probes are refusal probes sent after the request.
	Probes []string
}

var expect401Kind = kindDef{name: "expect-401", decode: decodeExpect401, object: func(common []Key) *Object {
	return requestKind("expect-401", "A request the API must refuse: no token, a tampered, expired or logged-out one. Default status: the spec's `auth: refused`, or 401.", common,
		probesKey("probes", "refusal probes sent after this request, each derived from the session's real credentials and each its own check"),
		Key{Name: "omit", Type: TStrings, Description: "credential headers or query parameters (names from `auth`) to leave out; `all` leaves out every one", Example: []any{"Authorization"}},
		Key{Name: "set", Type: TPairs, Description: "credential name → template, sent instead of the session's value", Example: map[string]any{"Authorization": "Bearer not-a-token"}},
		Key{Name: "tamper", Type: TStrings, Description: "credentials sent with one character changed near the end (inside a JWT's signature)", Example: []any{"Authorization"}})
}}

func decodeExpect401(d *decoder, n *yaml.Node, what string) Action {
	a := Expect401{}
	a.Request = d.decodeRequest(n, what, d.g.Kinds["expect-401"], func(key string, _, v *yaml.Node) {
		switch key {
		case "omit":
			a.Omit = d.strList(v, what+": omit")
		case "set":
			a.Set = d.pairs(v, what+": set")
		case "tamper":
			a.Tamper = d.strList(v, what+": tamper")
		case "probes":
			a.Probes = d.probes(v, what+": probes")
		}
	})
	return a
}

// ProbeKinds returns the probes the step names.
func (a Expect401) ProbeKinds(*Spec, *Flow) ([]string, bool) { return a.Probes, false }

// Kind returns "expect-401".
func (Expect401) Kind() string { return "expect-401" }

// Req returns the request.
func (a Expect401) Req() *Request { return a.Request }

// Credentials attaches what the session has, less what is omitted.
func (a Expect401) Credentials() CredentialUse {
	return CredentialUse{Attach: true, Omit: a.Omit, Set: a.Set, Tamper: a.Tamper}
}

// Omits reports whether the credential named name is left out, by its
// name or by "all". Names match in any case, as header names do.
func (u CredentialUse) Omits(name string) bool {
	return containsFold(u.Omit, "all") || containsFold(u.Omit, name)
}

// Tampers reports whether the credential named name is sent altered.
func (u CredentialUse) Tampers(name string) bool { return containsFold(u.Tamper, name) }

// Advance leaves the session as it was; the captures are flow variables.
func (Expect401) Advance(_ *Session, captured map[string]any) map[string]any { return captured }

// DefaultStatus returns the statuses the spec's auth says the API refuses
// with (auth: {refused: [403]}), or 401.
func (Expect401) DefaultStatus(a Auth) []int {
	return a.RefusedOr()
}
