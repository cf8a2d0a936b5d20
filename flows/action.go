package flows

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Action is what a step does. Each step kind is its own type.
type Action interface {
	// Kind returns the kind's key in a spec, such as "login".
	Kind() string
}

// Sender is implemented by the kinds that send an HTTP request. A kind
// owns its meaning through these methods: what its request carries, what
// it must be answered with, and what it does to its session. Validation
// and the runner both ask the kind; neither switches over kinds.
type Sender interface {
	Action
	// Req returns the request, merged with the named request it uses.
	Req() *Request
	// Credentials says how the session's credentials go onto the request.
	Credentials() CredentialUse
	// DefaultStatus lists the statuses accepted when the step names none,
	// given the spec's auth; nil means any 2xx.
	DefaultStatus(Auth) []int
	// Advance carries out what the step, once passed, does to its session
	// given what it captured, and returns the captures that are flow
	// variables rather than the session's credentials. Validation runs it
	// over names (nil values) and the runner over values, so they agree.
	Advance(s *Session, captured map[string]any) (vars map[string]any)
}

// Prober is implemented by the kinds that send refusal probes: which
// ones, for a step of flow f in spec s, and whether they are the spec's
// or flow's auto-probes (run only where they apply) rather than the
// step's own (an error where they do not).
type Prober interface {
	ProbeKinds(s *Spec, f *Flow) (kinds []string, auto bool)
}

// Followup is a request a kind sends once its step has passed, to prove
// what the step claims: that a used refresh token is refused, that a
// logged-out token is. Each is its own check in reports.
type Followup struct {
	Pos Pos
	// Check is the check's kind in reports ("reuse", "verify") and Label
	// what it proves.
	Check, Label string
	// Request is the request to send; nil sends the step's own request
	// again, exactly as it was sent.
	Request *Request
	// Before sends Request with the session's credentials from before the
	// step; else with those after it. Attach puts them on the request as
	// auth says; else only the request's own templates use them.
	Before, Attach bool
	// Status lists the statuses that pass; nil means any 2xx.
	Status []int
}

// Followuper is implemented by kinds that send followups.
type Followuper interface {
	Followups(s *Spec) []Followup
}

// Session is what a flow knows of one session as its steps go on.
type Session struct {
	// Live is true from a login to a logout.
	Live bool
	// Ended is true once a logout ended the session.
	Ended bool
	// Creds are the session's credentials by name.
	Creds map[string]any
	// Revoked are credentials the API must refuse from now on: those
	// from before a logout, or from before a refresh that revokes them.
	Revoked map[string]any
	// Logins counts the session's logins: the step that raises it is the
	// login a re-login repeats.
	Logins int
}

// Start makes captured the session's credentials.
func (s *Session) Start(captured map[string]any) {
	s.Creds, s.Live, s.Ended = maps.Clone(captured), true, false
	s.Logins++
	if s.Creds == nil {
		s.Creds = map[string]any{}
	}
}

// Renew replaces the credentials captured anew; those named in revoke
// keep their old values as revoked ones.
func (s *Session) Renew(captured map[string]any, revoke []string) {
	if s.Creds == nil {
		s.Creds = map[string]any{}
	}
	if len(revoke) > 0 {
		s.Revoked = map[string]any{}
		for _, n := range revoke {
			if v, ok := s.Creds[n]; ok {
				s.Revoked[n] = v
			}
		}
	}
	maps.Copy(s.Creds, captured)
}

// End logs the session out: all its credentials are revoked.
func (s *Session) End() {
	s.Live, s.Ended, s.Revoked = false, true, maps.Clone(s.Creds)
}

// CredentialUse says which of the session's credentials a request carries.
type CredentialUse struct {
	// Attach puts the session's credentials on the request.
	Attach bool
	// NeedSession makes a step without a live session a spec error.
	NeedSession bool
	// Omit names credential headers or query parameters to leave out;
	// "all" leaves out every one.
	Omit []string
	// Set replaces credential values with the given templates.
	Set []Pair
	// Tamper names credentials whose value is sent altered.
	Tamper []string
}

// kindDecoder decodes one step kind's body.
type kindDecoder func(d *decoder, n *yaml.Node, what string) Action

// kindDef is one step kind: its key, how its body decodes, and its
// grammar, given the keys every request step has. A kind lives in a file
// of its own; its type implements Sender if it sends a request.
type kindDef struct {
	name   string
	decode kindDecoder
	object func(common []Key) *Object
}

// kindDefs lists the step kinds. Adding a kind is adding its file and
// its line here.
var kindDefs = []kindDef{loginKind, callKind, expect401Kind, refreshKind, logoutKind, introspectKind, plainKind, waitKind}

// kindDecoderFor returns the decoder of the kind keyed name.
func kindDecoderFor(name string) (kindDecoder, bool) {
	i := slices.IndexFunc(kindDefs, func(k kindDef) bool { return k.name == name })
	if i < 0 {
		return nil, false
	}
	return kindDefs[i].decode, true
}

// KindNames returns the step kinds' keys, sorted.
func KindNames() []string {
	var out []string
	for _, k := range kindDefs {
		out = append(out, k.name)
	}
	slices.Sort(out)
	return out
}

// decodeStep decodes one list item of a flow's steps: a mapping with a
// single kind key, such as `- login: {}` or `- wait: 2s`.
func (d *decoder) decodeStep(n *yaml.Node, what string) *Step {
	n = resolve(n)
	known := KindNames()
	if n.Kind != yaml.MappingNode || len(n.Content) != 2 {
		d.errorf(n, "%s: want a mapping with one step kind as its key (%s), such as `- login: {}`, got %s",
			what, strings.Join(known, ", "), kindName(n))
		return nil
	}
	k, v := n.Content[0], resolve(n.Content[1])
	dec, ok := kindDecoderFor(k.Value)
	if !ok {
		d.errorf(k, "%s: unknown step kind %q%s; known kinds: %s", what, k.Value, didYouMean(k.Value, known), strings.Join(known, ", "))
		return nil
	}
	if v.Tag == "!!null" {
		v = &yaml.Node{Kind: yaml.MappingNode, Line: v.Line, Column: v.Column}
	}
	s := &Step{Pos: d.pos(k), Name: k.Value}
	if v.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(v.Content); i += 2 {
			if v.Content[i].Value == "name" {
				s.Name = d.str(v.Content[i+1], what+": name")
			}
		}
	}
	s.Action = dec(d, v, fmt.Sprintf("%s (%s)", what, k.Value))
	return s
}
