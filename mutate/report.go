package mutate

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/flowrun/flowrun/runner"
)

// Outcome is what became of one mutant on one spec.
type Outcome string

// The outcomes.
const (
	// Killed: the run did not pass; the spec caught the mutant.
	Killed Outcome = "killed"
	// Survived: the run passed although the mutant altered it: a gap in the spec.
	Survived Outcome = "survived"
	// NotApplicable: the mutant found nothing to alter in the spec's run.
	NotApplicable Outcome = "n/a"
)

// Report is the outcome of mutating specs: plain data, in the order of
// the specs and of the mutants, with no secret in it (what it quotes of
// a run comes from the runner's masked result).
type Report struct {
	Started     time.Time     `json:"started"`
	Duration    time.Duration `json:"duration_ns"`
	Interrupted bool          `json:"interrupted,omitempty"`
	// Mutants are the mutants applied, in order.
	Mutants []Mutant     `json:"mutants"`
	Specs   []SpecReport `json:"specs"`
	// Killed, Survived and NotApplicable count the outcomes of every spec.
	Killed        int `json:"killed"`
	Survived      int `json:"survived"`
	NotApplicable int `json:"not_applicable"`
	// Score is Killed / (Killed + Survived) in percent; nil when no
	// mutant applied.
	Score *float64 `json:"score"`
	// Internal lists the bugs of flowrun the runs met (the CLI exits 3).
	Internal []runner.InternalError `json:"-"`
}

// SpecReport is what became of one spec's mutants.
type SpecReport struct {
	File     string   `json:"file"`
	Provider string   `json:"provider"`
	Baseline Baseline `json:"baseline"`
	// Mutants are the outcomes of the mutants run; none when the
	// baseline did not pass.
	Mutants []MutantResult `json:"mutants"`
	// Error says why the spec could not be run at all, such as a sandbox
	// that would not start.
	Error string `json:"error,omitempty"`
}

// Baseline is the outcome of a spec's run without a mutant.
type Baseline struct {
	Status runner.Status `json:"status"`
	Flows  int           `json:"flows"`
	// Caught is the first step that did not pass, if any.
	Caught *Catch `json:"caught,omitempty"`
	// Unreachable says why the proxy could not reach the API, when the
	// baseline did not pass and that may be why.
	Unreachable string `json:"unreachable,omitempty"`
}

// MutantResult is what became of one mutant on one spec.
type MutantResult struct {
	Name    string  `json:"name"`
	Outcome Outcome `json:"outcome"`
	// Altered counts the exchanges the mutant altered.
	Altered int `json:"altered"`
	// Reason says why a mutant did not apply.
	Reason string `json:"reason,omitempty"`
	// Caught is the first step that did not pass with the mutant.
	Caught *Catch `json:"caught,omitempty"`
	// Hint says, for a survivor, what in a spec would catch it.
	Hint string `json:"hint,omitempty"`
}

// Catch is the first step of a run that did not pass.
type Catch struct {
	Flow string `json:"flow"`
	// Step is the step as reports name it: "step 2 call: read profile".
	Step   string        `json:"step"`
	Pos    runner.Pos    `json:"pos"`
	Status runner.Status `json:"status"`
	// Check is the first check of the step that did not hold, as the
	// spec writes it; Message says what it got, or why the step errored.
	Check   string `json:"check,omitempty"`
	Message string `json:"message"`
}

// String writes where the catch is and why: flow › step (place): message.
func (c *Catch) String() string {
	return fmt.Sprintf("%s › %s (%s): %s", c.Flow, c.Step, c.Pos, c.Message)
}

// firstCatch returns the first step of res, in report order, that did
// not pass and was not skipped.
func firstCatch(res *runner.Result) *Catch {
	for _, s := range res.Specs {
		for _, f := range s.Flows {
			for i, st := range f.Steps {
				if st.Status != runner.Failed && st.Status != runner.Errored {
					continue
				}
				c := &Catch{Flow: f.Name, Step: stepName(i, st), Pos: st.Pos, Status: st.Status, Message: oneLine(st.Error)}
				for _, ck := range st.Checks {
					if !ck.Passed() {
						c.Check, c.Message = ck.Expr, oneLine(checkLine(ck))
						break
					}
				}
				return c
			}
		}
	}
	return nil
}

// stepName is "step 2 call: read profile", or "step 1 login" when the
// step has no name of its own, as the terminal report writes it.
func stepName(i int, st runner.StepResult) string { return st.Title(i) }

// checkLine says what a check expected and what it got.
func checkLine(c runner.Check) string {
	switch {
	case c.Status == runner.Errored:
		return fmt.Sprintf("%s: could not be evaluated: %s", c.Expr, c.Message)
	case c.Message != "" && c.Kind == runner.CheckAssert:
		return fmt.Sprintf("%s: expected %s, got %s", c.Expr, c.Expected.Text, c.Message)
	}
	return fmt.Sprintf("%s: expected %s, got %s", c.Expr, c.Expected.Text, c.Actual.Text)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// tally counts the outcomes and computes the score.
func (r *Report) tally() {
	r.Killed, r.Survived, r.NotApplicable, r.Score = 0, 0, 0, nil
	for _, s := range r.Specs {
		for _, m := range s.Mutants {
			switch m.Outcome {
			case Killed:
				r.Killed++
			case Survived:
				r.Survived++
			case NotApplicable:
				r.NotApplicable++
			}
		}
	}
	if n := r.Killed + r.Survived; n > 0 {
		score := 100 * float64(r.Killed) / float64(n)
		r.Score = &score
	}
}

// BaselinesFailed counts the specs whose baseline did not pass.
func (r *Report) BaselinesFailed() int {
	n := 0
	for _, s := range r.Specs {
		if s.Error == "" && s.Baseline.Status != runner.Passed {
			n++
		}
	}
	return n
}

// Errors returns, for each spec that could not be mutated, its file and why.
func (r *Report) Errors() []string {
	var out []string
	for _, s := range r.Specs {
		if s.Error != "" {
			out = append(out, s.File+": "+s.Error)
		}
	}
	return out
}

// ScoreText writes the score as a percentage, rounded down to a tenth,
// so 99.96% never shows as 100%; "none" when no mutant applied.
func (r *Report) ScoreText() string {
	if r.Score == nil {
		return "none"
	}
	return fmt.Sprintf("%s%%", formatTenths(math.Floor(*r.Score*10)/10))
}

func formatTenths(f float64) string {
	s := fmt.Sprintf("%.1f", f)
	return strings.TrimSuffix(s, ".0")
}

// Text writes the report people read: each spec's baseline, a line per
// spec and mutant, then the score.
func Text(w io.Writer, r *Report) error {
	ew := &errWriter{w: w}
	specW, mutW := len("SPEC"), len("MUTANT")
	for _, s := range r.Specs {
		specW = max(specW, len(s.Provider))
		for _, m := range s.Mutants {
			mutW = max(mutW, len(m.Name))
		}
	}
	for _, s := range r.Specs {
		fmt.Fprintf(ew, "%-*s  %s: %s\n", specW, s.Provider, s.File, baselineText(s))
	}
	fmt.Fprintf(ew, "\n%-*s  %-*s  %-8s  %s\n", specW, "SPEC", mutW, "MUTANT", "OUTCOME", "CAUGHT BY, OR WHY NOT")
	for _, s := range r.Specs {
		for _, m := range s.Mutants {
			fmt.Fprintf(ew, "%-*s  %-*s  %-8s  %s\n", specW, s.Provider, mutW, m.Name, m.Outcome, detail(m))
		}
	}
	line := fmt.Sprintf("\nmutation score: %s (%d killed, %d survived, %d not applicable", r.ScoreText(), r.Killed, r.Survived, r.NotApplicable)
	if n := r.BaselinesFailed(); n > 0 {
		line += fmt.Sprintf("; %d spec(s) not mutated: the baseline did not pass", n)
	}
	if n := len(r.Errors()); n > 0 {
		line += fmt.Sprintf("; %d spec(s) could not be mutated", n)
	}
	line += ") in " + round(r.Duration)
	if r.Interrupted {
		line += " (interrupted)"
	}
	fmt.Fprintln(ew, line)
	return ew.err
}

// plural writes a count with its noun: 1 flow, 2 flows.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// round shortens a duration for people: 1.2s, 35ms.
func round(d time.Duration) string {
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(100 * time.Millisecond).String()
}

func baselineText(s SpecReport) string {
	b := s.Baseline
	switch {
	case s.Error != "":
		return "could not be mutated: " + oneLine(s.Error)
	case b.Status == runner.Passed:
		return fmt.Sprintf("baseline passed (%s)", plural(b.Flows, "flow"))
	}
	line := fmt.Sprintf("baseline %s, so no mutant was run", b.Status)
	if b.Caught != nil {
		line += ": " + b.Caught.String()
	}
	if b.Unreachable != "" {
		line += "; the proxy could not reach " + oneLine(b.Unreachable)
	}
	return line
}

func detail(m MutantResult) string {
	switch m.Outcome {
	case Killed:
		if m.Caught != nil {
			return m.Caught.String()
		}
		return "the run did not pass"
	case Survived:
		return fmt.Sprintf("the spec passed with it (%s altered); to catch it: %s", plural(m.Altered, "exchange"), m.Hint)
	}
	return m.Reason
}

// JSON writes the report as indented JSON.
func JSON(w io.Writer, r *Report) error {
	e := json.NewEncoder(w)
	e.SetIndent("", "  ")
	e.SetEscapeHTML(false)
	return e.Encode(r)
}

// errWriter keeps the first write error, so a report is written without
// checking each line.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}
