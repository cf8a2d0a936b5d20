package mutate

import (
	"fmt"
	"slices"
	"strings"

	"github.com/flowrun/flowrun/flows"
)

// Mutant is one way an auth server can be broken at the HTTP layer: a
// spec that passes against it has a gap.
type Mutant struct {
	// Name is how --mutant names it.
	Name string `json:"name"`
	// Breaks says what the mutant does to the API.
	Breaks string `json:"breaks"`
	// Kills says what in a spec catches it: the hint a survivor shows.
	Kills string `json:"kills"`
	make  func(env) mutant
	// needs is the step kind without which the mutant alters nothing,
	// and unmet what a spec whose baseline sent none is told.
	needs, unmet string
}

// env is what a mutant is made with for one run.
type env struct {
	creds []credential
	// logouts are the logout answers the baseline recorded.
	logouts *recording
}

// mutant alters the exchanges of one run through its proxies. The
// proxies call it under their shared lock, with what the proxy in front
// of the exchange's server has seen.
type mutant interface {
	request(x *exchange, s *seen)
	response(x *exchange, s *seen)
	// report says how many exchanges it altered and, if none, why.
	report() (altered int, reason string)
}

// Mutants returns every mutant, in the order they run and are reported.
func Mutants() []Mutant {
	return []Mutant{
		{Name: "ignores-missing-credentials",
			Breaks: "a call without one of the credentials the spec's auth attaches goes through with the last ones the API accepted",
			Kills:  "an expect-401 that sends no credential (or omit: one), or probe: [missing] on the calls",
			make:   func(e env) mutant { return &ignoresMissing{creds: len(e.creds) > 0} }},
		{Name: "accepts-tampered",
			Breaks: "a credential the API never issued goes through, swapped for the last one the API accepted",
			Kills:  "an expect-401 with tamper: [its header], or probe: [tampered] on the calls",
			make:   func(e env) mutant { return &acceptsTampered{} }},
		{Name: "ignores-logout",
			Breaks: "the logout is answered as the real one was, but never reaches the API: the session lives on",
			Kills:  "after the logout, an expect-401 with the logged-out token, or verify: on the logout",
			make:   func(e env) mutant { return &ignoresLogout{logouts: e.logouts} },
			needs:  "logout", unmet: reasonNoLogout},
		{Name: "no-rotation",
			Breaks: "a refresh hands back the refresh token it was sent instead of a new one",
			Kills:  "rotate: [refresh_token] on the refresh step, or on requests: refresh:",
			make:   func(e env) mutant { return &noRotation{translate: map[string]string{}} },
			needs:  "refresh", unmet: reasonNoRefresh},
		{Name: "reuse-accepted",
			Breaks: "a refresh token already used by a refresh is accepted again",
			Kills:  "reuse: refused on the refresh, or an expect-401 that sends the used refresh token",
			make:   func(e env) mutant { return &reuseAccepted{next: map[string]string{}} },
			needs:  "refresh", unmet: reasonNoRefresh},
		{Name: "refusal-status-swapped",
			Breaks: "answers 401 become 403, and 403 become 401",
			Kills:  "expect-401 steps that name the status the API documents (expect: {status: 403}), or auth: refused with that status alone",
			make:   func(e env) mutant { return &statusSwapped{} }},
		{Name: "error-message-changed",
			Breaks: "the body of every 4xx answer says something else",
			Kills:  `an assert on each refusal's documented message, such as json("message") == "..."`,
			make:   func(e env) mutant { return &messageChanged{} }},
	}
}

// The reasons of mutants that need a step kind the spec's run lacks.
const (
	reasonNoLogout  = "no logout"
	reasonNoRefresh = "no refresh step"
)

// Names returns the names of the mutants, in order.
func Names() []string {
	var out []string
	for _, m := range Mutants() {
		out = append(out, m.Name)
	}
	return out
}

// Pick returns the mutants named, in catalogue order; none named is all.
func Pick(names []string) ([]Mutant, error) {
	all := Mutants()
	if len(names) == 0 {
		return all, nil
	}
	known := Names()
	var errs []error
	for _, n := range names {
		if !slices.Contains(known, n) {
			hint := ""
			if best := flows.Nearest(n, known); best != "" {
				hint = fmt.Sprintf(" (did you mean %q?)", best)
			}
			errs = append(errs, fmt.Errorf("no mutant named %q%s; known: %s", n, hint, strings.Join(known, ", ")))
		}
	}
	if len(errs) > 0 {
		return nil, flows.JoinErrors(errs)
	}
	var out []Mutant
	for _, m := range all {
		if slices.Contains(names, m.Name) {
			out = append(out, m)
		}
	}
	return out, nil
}
