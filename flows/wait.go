package flows

import (
	"time"

	"gopkg.in/yaml.v3"
)

// Wait pauses the flow, for instance until a token has expired.
type Wait struct {
	Duration time.Duration
}

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
