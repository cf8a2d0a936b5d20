package mutate

import "slices"

// authenticated reports whether x is a request an authenticated step
// sends: a call's or an expect-401's (their probes and followups too,
// not a re-login), or a request step's that carries a credential.
func authenticated(x *exchange, creds []credential) bool {
	switch x.step.Kind {
	case "call", "expect-401":
		return x.step.Part != "reauth"
	case "request":
		return slices.ContainsFunc(creds, func(c credential) bool { return !x.lacks(c) })
	}
	return false
}

// ignoresMissing is ignores-missing-credentials: it puts the credentials
// an authenticated request lacks back on it, from what the API accepted
// or issued before.
type ignoresMissing struct {
	creds   bool
	lacked  bool
	altered int
}

func (m *ignoresMissing) request(x *exchange, s *seen) {
	if !authenticated(x, s.creds) {
		return
	}
	changed := false
	for _, c := range s.creds {
		if !x.lacks(c) {
			continue
		}
		m.lacked = true
		if v, ok := s.lastGood(x.step.Flow, c); ok {
			x.set(c, v)
			changed = true
		}
	}
	if changed {
		m.altered++
	}
}

func (m *ignoresMissing) response(*exchange, *seen) {}

func (m *ignoresMissing) report() (int, string) {
	switch {
	case m.altered > 0:
		return m.altered, ""
	case !m.creds:
		return 0, "the spec's auth attaches no header or query credential"
	case m.lacked:
		return 0, "a request lacked a credential, but none had been issued or accepted yet to put in"
	}
	return 0, "no request lacked a credential: no step checks that a call without one is refused"
}

// acceptsTampered is accepts-tampered: it swaps a credential the API
// never issued for one it accepted or issued before.
type acceptsTampered struct {
	forged  bool
	altered int
}

func (m *acceptsTampered) request(x *exchange, s *seen) {
	if x.step.Kind == "login" || x.step.Part == "reauth" {
		return
	}
	changed := false
	for _, c := range s.creds {
		v := x.carries(c)
		if v == "" || s.wasIssued(v) {
			continue
		}
		good, ok := s.lastGood(x.step.Flow, c)
		if v == good {
			continue // a fixed credential, such as an API key: never issued, always the same
		}
		m.forged = true
		if ok {
			x.set(c, good)
			changed = true
		}
	}
	if changed {
		m.altered++
	}
}

func (m *acceptsTampered) response(*exchange, *seen) {}

func (m *acceptsTampered) report() (int, string) {
	switch {
	case m.altered > 0:
		return m.altered, ""
	case m.forged:
		return 0, "a request carried a credential the API never issued, but none had been issued or accepted yet to put instead"
	}
	return 0, "no request carried a credential the API never issued: no step checks that a tampered one is refused"
}
