package flows

import (
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Action is what a step does. Each step kind is its own type.
type Action interface {
	// Kind returns the kind's key in a spec, such as "login".
	Kind() string
}

// Sender is implemented by the kinds that send an HTTP request.
type Sender interface {
	Action
	// Req returns the request, merged with the named request it uses.
	Req() *Request
	// Credentials says how the session's credentials go onto the request.
	Credentials() CredentialUse
	// Effect says what a passing step does to its session.
	Effect() Effect
	// DefaultStatus lists the statuses accepted when the step names none,
	// given the spec's auth; nil means any 2xx.
	DefaultStatus(Auth) []int
}

// Prober is implemented by the kinds that send refusal probes: which
// ones, for a step of flow f in spec s.
type Prober interface {
	ProbeKinds(s *Spec, f *Flow) []string
}

// Effect is what a passing step does to its session.
type Effect int

// The effects of a step on its session.
const (
	// Keep leaves the session as it was.
	Keep Effect = iota
	// Start makes the step's captures the session's credentials.
	Start
	// Rotate replaces the credentials the step captures; Request.Rotate
	// names those that must change.
	Rotate
	// End logs the session out.
	End
)

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

// kinds lists the step kinds by key.
func kinds() map[string]kindDecoder {
	return map[string]kindDecoder{
		"login":      decodeLogin,
		"call":       decodeCall,
		"expect-401": decodeExpect401,
		"refresh":    decodeRefresh,
		"logout":     decodeLogout,
		"request":    decodePlain,
		"wait":       decodeWait,
	}
}

// KindNames returns the step kinds' keys, sorted.
func KindNames() []string {
	var out []string
	for k := range kinds() {
		out = append(out, k)
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
	dec, ok := kinds()[k.Value]
	if !ok {
		d.errorf(k, "%s: unknown step kind %q%s; known kinds: %s", what, k.Value, didYouMean(k.Value, known), strings.Join(known, ", "))
		return nil
	}
	if v.Tag == "!!null" && k.Value != "wait" {
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
