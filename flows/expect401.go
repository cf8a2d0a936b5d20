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
func (a Expect401) ProbeKinds(*Spec, *Flow) []string { return a.Probes }

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

// Effect returns Keep.
func (Expect401) Effect() Effect { return Keep }

// DefaultStatus returns the statuses the spec's auth says the API refuses
// with (auth: {refused: [403]}), or 401.
func (Expect401) DefaultStatus(a Auth) []int {
	if len(a.Refused) > 0 {
		return a.Refused
	}
	return []int{401}
}
