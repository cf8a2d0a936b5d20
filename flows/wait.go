package flows

import (
	"time"

	"gopkg.in/yaml.v3"
)

// Wait pauses the flow, for instance until a token has expired.
type Wait struct {
	Duration time.Duration
}

var waitKind = kindDef{name: "wait", decode: decodeWait, object: func([]Key) *Object {
	return &Object{Name: "wait", Description: "Pauses the flow: `wait: 2s` or `wait: {duration: 2s}`.", Keys: []Key{
		{Name: "name", Type: TString, Description: "the step's name in reports", Example: "let the token expire"},
		{Name: "duration", Type: TDuration, Required: true, Description: "how long to pause; `${ENV:-default}` works, `{{ }}` does not", Example: "2s"},
	}}
}}

func decodeWait(d *decoder, n *yaml.Node, what string) Action {
	if n.Kind == yaml.MappingNode {
		var w Wait
		d.object(n, what, d.g.Kinds["wait"], func(key string, _, v *yaml.Node) {
			if key == "duration" {
				w.Duration = d.duration(v, what+": duration")
			}
		})
		return w
	}
	return Wait{Duration: d.duration(n, what)}
}

// Kind returns "wait".
func (Wait) Kind() string { return "wait" }
