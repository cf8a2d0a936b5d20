package flows

import (
	"time"

	"gopkg.in/yaml.v3"
)

var waitKind = kindDef{name: "wait", decode: decodeWait, object: func([]Key) *Object {
	return &Object{Name: "wait", Description: "Pauses the flow: `wait: 2s`, `wait: {duration: 2s}`, or until a token has expired: `wait: {until: \"jwt(token).exp + 1\"}`.", Keys: []Key{
		{Name: "name", Type: TString, Description: "the step's name in reports", Example: "let the token expire"},
		{Name: "duration", Type: TDuration, Description: "how long to pause; `${ENV:-default}` works, `{{ }}` does not", Example: "2s"},
		{Name: "until", Type: TString, Description: "an expression giving the Unix time (seconds) or the time to wait for, over the flow's variables and the session's credentials", Example: "jwt(token).exp + 1"},
		{Name: "after_login", Type: TString, Description: "an expression giving seconds to wait, counted from when the session last logged in or refreshed: `expires_in + 1` waits out the login's `expires_in`", Example: "expires_in + 1"},
		{Name: "max", Type: TDuration, Description: "the longest an `until` or `after_login` wait may be (default 2m): a longer one is an error, not a hang", Example: "30s"},
		{Name: "session", Type: TString, Description: "the session whose credentials `until` and `after_login` read (default `default`)", Example: "admin"},
	}}
}}

// DefaultWaitMax bounds a computed wait when the spec does not.
const DefaultWaitMax = 2 * time.Minute

// Wait pauses the flow, for instance until a token has expired: for a
// fixed duration, or until a time computed from the session.
type Wait struct {
	Duration time.Duration
	// Until is an expression giving the time to wait for (Unix seconds or
	// a time); AfterLogin one giving seconds from the session's last login
	// or refresh. At most one of Duration, Until and AfterLogin is set.
	Until, AfterLogin string
	ExprPos           Pos
	// Max bounds a computed wait.
	Max     time.Duration
	Session string
}

func decodeWait(d *decoder, n *yaml.Node, what string) Action {
	w := Wait{Session: DefaultSession}
	if n.Kind != yaml.MappingNode {
		w.Duration = d.duration(n, what)
		return w
	}
	set := 0
	d.object(n, what, d.g.Kinds["wait"], func(key string, _, v *yaml.Node) {
		switch key {
		case "duration":
			w.Duration, set = d.duration(v, what+": duration"), set+1
		case "until":
			w.Until, w.ExprPos, set = d.str(v, what+": until"), d.pos(v), set+1
		case "after_login":
			w.AfterLogin, w.ExprPos, set = d.str(v, what+": after_login"), d.pos(v), set+1
		case "max":
			w.Max = d.duration(v, what+": max")
		case "session":
			w.Session = d.str(v, what+": session")
		}
	})
	if set != 1 {
		d.errorf(n, "%s: give one of duration, until or after_login, e.g. `wait: {until: \"jwt(token).exp + 1\"}`", what)
	}
	if w.Max == 0 {
		w.Max = DefaultWaitMax
	}
	return w
}

// Kind returns "wait".
func (Wait) Kind() string { return "wait" }
