package flows

import (
	"time"

	"gopkg.in/yaml.v3"
)

// Retry makes a request step send its request again, every Every, until
// the expression Until holds or For has passed: for an API that takes a
// moment to agree with itself, such as a revoked token that is refused
// only after a while. The step is then judged on the last answer.
type Retry struct {
	Pos Pos
	// Until is an expression over each answer, compiled as an assertion.
	Until    string
	UntilPos Pos
	// Every is the pause between attempts; For bounds them all.
	Every, For time.Duration
}

// The defaults and bounds of retry: every and for.
const (
	DefaultRetryEvery = time.Second
	DefaultRetryFor   = 30 * time.Second
	MinRetryEvery     = 10 * time.Millisecond
	MaxRetryFor       = 10 * time.Minute
)

// retryKey is the key of every request step that sends its request until
// an answer holds.
func retryKey() Key {
	return Key{Name: "retry", Type: TObject, Object: retryObject(),
		Description: "send the request again, every `every`, until `until` holds, for at most `for` (a revoked token that takes a moment to be refused); the step is then judged on the last answer"}
}

// retryObject is the grammar of retry:.
func retryObject() *Object {
	return &Object{Name: "retry", Description: "Sends a step's request again until an expression over its answer holds.", Keys: []Key{
		{Name: "until", Type: TString, Required: true, Description: "an expression over each answer, as in `assert` (status, body, json(), headers, the variables, but not this step's captures): sending stops once it is true", Example: "status == 401"},
		{Name: "every", Type: TDuration, Description: "the pause between attempts (default 1s, at least 10ms)", Example: "500ms"},
		{Name: "for", Type: TDuration, Description: "how long the step may keep sending (default 30s, at most 10m)", Example: "10s"},
	}}
}

// retry decodes `retry: {until, every, for}`.
func (d *decoder) retry(n *yaml.Node, what string) *Retry {
	r := &Retry{Pos: d.pos(n), Every: DefaultRetryEvery, For: DefaultRetryFor}
	before := len(d.errs)
	d.object(n, what, d.g.Objects["retry"], func(key string, _, v *yaml.Node) {
		at := what + ": " + key
		switch key {
		case "until":
			r.Until, r.UntilPos = d.str(v, at), d.pos(v)
			if r.Until == "" {
				d.errorf(v, "%s: an empty expression; write what the answer must hold, e.g. until: status == 401", at)
			}
		case "every":
			if every, ok := d.boundedDuration(v, at); ok && every < MinRetryEvery {
				d.errorf(v, "%s: %s is too short; pause at least %s between attempts, e.g. every: 500ms", at, every, MinRetryEvery)
			} else if ok {
				r.Every = every
			}
		case "for":
			if limit, ok := d.boundedDuration(v, at); ok && (limit <= 0 || limit > MaxRetryFor) {
				d.errorf(v, "%s: %s is out of bounds; give more than 0s and at most %s, e.g. for: 30s", at, limit, MaxRetryFor)
			} else if ok {
				r.For = limit
			}
		}
	})
	if len(d.errs) == before && r.Every > r.For {
		d.errorf(n, "%s: every: %s is longer than for: %s, so the request would be sent once; shorten every or lengthen for", what, r.Every, r.For)
	}
	return r
}

// boundedDuration decodes a duration; ok is false when it is not one (the
// problem is reported), so a bound is not checked against a wrong value.
func (d *decoder) boundedDuration(n *yaml.Node, what string) (time.Duration, bool) {
	before := len(d.errs)
	v := d.duration(n, what)
	return v, len(d.errs) == before
}

// retryOn decodes retry_on: the failure statuses after which a request is
// sent again, when the run allows retries (--retries).
func (d *decoder) retryOn(n *yaml.Node, what string) []int {
	before := len(d.errs)
	out := d.statuses(n, what)
	if len(out) == 0 && len(d.errs) == before {
		d.errorf(n, "%s: want a status or a list of them, such as [429, 503]", what)
	}
	for _, s := range out {
		if s >= 100 && s < 400 {
			d.errorf(n, "%s: %d is not a failure; name 4xx and 5xx statuses such as 429 and 503 (to send a request until its answer changes, give the step retry: {until: ...})", what, s)
		}
	}
	return out
}

// RetryStatuses returns the statuses a step of flow f is sent again
// after: the flow's retry_on, or else the spec's.
func (s *Spec) RetryStatuses(f *Flow) []int {
	if f != nil && f.RetryOn != nil {
		return f.RetryOn
	}
	return s.RetryOn
}
