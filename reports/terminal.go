package reports

import (
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/flowrun/flowrun/runner"
)

// Options tunes the reports; each reporter reads the fields it needs.
type Options struct {
	// Version is flowrun's version, named as the reporting tool.
	Version string
	// Hostname names the machine the run was on (JUnit's hostname).
	Hostname string
	// PerStep makes each step a test case of its own (JUnit), instead of
	// each flow.
	PerStep bool
	// Verbose shows every step with its request and response, not only
	// the steps that did not pass.
	Verbose bool
	// Quiet shows the summary only.
	Quiet bool
	// Color marks outcomes with ANSI colours.
	Color bool
	// Curl adds, to each failed or errored step, a curl command that
	// sends its request again, with secrets as $FLOWRUN_... references.
	Curl bool
}

// Terminal writes the report people read: where each spec ran, one line
// per flow, then everything needed to act on each step that did not
// pass, then the summary.
func Terminal(w io.Writer, r *runner.Result, o Options) error {
	return NewTerminal(w, o).End(r)
}

// TerminalWriter writes the terminal report while a run goes: it is the
// run's runner.Observer, so each flow's line appears as soon as it and
// the flows before it have ended, and it keeps no flow. End writes the
// rest.
type TerminalWriter struct {
	ew               *errWriter
	o                Options
	p                paint
	width, nameWidth int
	begun            bool
}

// NewTerminal returns a terminal report writing to w.
func NewTerminal(w io.Writer, o Options) *TerminalWriter {
	return &TerminalWriter{ew: &errWriter{w: w}, o: o, p: painter(o.Color)}
}

// Begin writes where each spec runs, and sizes the flow lines from every
// flow's name.
func (t *TerminalWriter) Begin(r *runner.Result) {
	t.begun = true
	for _, s := range r.Specs {
		t.width = max(t.width, len(s.Provider))
		for _, f := range s.Flows {
			t.nameWidth = max(t.nameWidth, utf8.RuneCountInString(f.Name))
		}
	}
	t.nameWidth = min(t.nameWidth, maxNameWidth)
	if !t.o.Quiet {
		writeTargets(t.ew, r)
	}
}

// Flow writes one flow's line; in verbose mode each step follows with its
// exchanges.
func (t *TerminalWriter) Flow(s *runner.SpecResult, f *runner.FlowResult) {
	if !t.o.Quiet {
		writeFlow(t.ew, s, f, t.width, t.nameWidth, t.o, t.p)
	}
}

// End writes each step that did not pass, with everything needed to act
// on it, then the summary. Called without Begin, it writes the whole report.
func (t *TerminalWriter) End(r *runner.Result) error {
	if !t.begun {
		t.Begin(r)
		for i := range r.Specs {
			for j := range r.Specs[i].Flows {
				t.Flow(&r.Specs[i], &r.Specs[i].Flows[j])
			}
		}
	}
	ew, p := t.ew, t.p
	if !t.o.Quiet {
		for _, s := range r.Specs {
			for _, f := range s.Flows {
				for i, st := range f.Steps {
					if st.Status == runner.Failed || st.Status == runner.Errored {
						writeStep(ew, s, f, i, t.o, p)
					}
				}
			}
		}
		fmt.Fprintln(ew)
	}
	fmt.Fprintln(ew, p.status(r.Status(), Summary(r)))
	return ew.err
}

// writeTargets says, once per spec, where its requests went.
func writeTargets(w io.Writer, r *runner.Result) {
	for _, s := range r.Specs {
		line := fmt.Sprintf("%s (%s): %s", s.Provider, s.File, s.BaseURL)
		if s.Sandbox != "" {
			line = fmt.Sprintf("%s (%s): embedded sandbox at %s", s.Provider, s.File, s.BaseURL)
			if s.Sandbox != s.Provider {
				line = fmt.Sprintf("%s (%s): embedded sandbox %q at %s", s.Provider, s.File, s.Sandbox, s.BaseURL)
			}
			if len(s.BaseURLEnv) > 0 {
				line += fmt.Sprintf("; set %s for a real deployment", s.BaseURLEnv[0])
			}
		}
		for _, sv := range s.Servers {
			where := sv.URL
			if sv.Sandbox != "" {
				where = "embedded sandbox at " + sv.URL
			}
			line += fmt.Sprintf("; server %s: %s", sv.Name, where)
		}
		fmt.Fprintln(w, line)
	}
	if len(r.Specs) > 0 {
		fmt.Fprintln(w)
	}
}

// maxNameWidth bounds the flow-name column, so one long name does not
// push every time off the screen.
const maxNameWidth = 72

// writeFlow writes one flow's line: mark, provider, flow and time; in
// verbose mode each step follows with its exchanges.
func writeFlow(w io.Writer, s *runner.SpecResult, f *runner.FlowResult, width, nameWidth int, o Options, p paint) {
	line := fmt.Sprintf("%s %-*s  %-*s", p.status(f.Status, mark(f.Status)), width, s.Provider, nameWidth, f.Name)
	switch {
	case f.Status == runner.Skipped && f.Reason != "":
		line += p.dim("  not run: " + f.Reason)
	case f.Status == runner.Skipped:
		line += p.dim("  not run")
	default:
		line += p.dim(fmt.Sprintf("  %7s", round(f.Duration)))
		if note := reauthNote(*f); note != "" {
			line += p.dim("  (" + note + ")")
		}
		if note := runsNote(f.Runs); note != "" {
			line += p.dim("  (" + note + ")")
		}
	}
	fmt.Fprintln(w, strings.TrimRight(line, " "))
	if !o.Verbose {
		return
	}
	for i, st := range f.Steps {
		fmt.Fprintf(w, "    %s %s%s\n", p.status(st.Status, mark(st.Status)), stepName(i, st), p.dim("  "+stepTime(st)))
		if st.Status == runner.Passed {
			writeExchanges(w, st, "      ", o)
		}
	}
}

// writeStep explains a step that did not pass: where it is, why, each
// check with expected and actual values, and each request and response.
func writeStep(w io.Writer, s runner.SpecResult, f runner.FlowResult, i int, o Options, p paint) {
	st := f.Steps[i]
	fmt.Fprintf(w, "\n%s %s › %s › %s (%s)\n", p.status(st.Status, strings.ToUpper(statusWord(st.Status))),
		s.Provider, f.Name, stepName(i, st), st.Pos)
	if st.Error != "" {
		fmt.Fprintf(w, "  error: %s\n", st.Error)
	}
	for _, c := range st.Checks {
		fmt.Fprintf(w, "  %s %s\n", p.status(c.Status, mark(c.Status)), checkLine(c))
	}
	writeExchanges(w, st, "  ", o)
	var after []string
	for j := i + 1; j < len(f.Steps) && f.Steps[j].Status == runner.Skipped; j++ {
		after = append(after, stepName(j, f.Steps[j]))
	}
	if len(after) > 0 {
		fmt.Fprintf(w, "  %s\n", p.dim("not run after it: "+strings.Join(after, ", ")))
	}
}

// checkLine says what a check expected and what it got.
func checkLine(c runner.Check) string {
	switch {
	case c.Status == runner.Errored:
		return fmt.Sprintf("%s: could not be evaluated: %s (%s)", c.Expr, c.Message, c.Pos)
	case c.Passed():
		return fmt.Sprintf("%s (%s)", c.Expr, c.Pos)
	case c.Message != "" && c.Kind == runner.CheckAssert:
		return fmt.Sprintf("%s: expected %s, got %s (%s)", c.Expr, c.Expected.Text, c.Message, c.Pos)
	}
	return fmt.Sprintf("%s: expected %s, got %s (%s)", c.Expr, c.Expected.Text, c.Actual.Text, c.Pos)
}

func writeExchanges(w io.Writer, st runner.StepResult, indent string, o Options) {
	pad := indent + strings.Repeat(" ", 10)
	for _, x := range st.Exchanges {
		if x.Label != "" {
			fmt.Fprintf(w, "%s%s:\n", indent, x.Label)
		}
		if q := x.Request; q != nil {
			fmt.Fprintf(w, "%srequest:  %s %s\n", indent, q.Method, q.URL)
			writeMessage(w, pad, q.Headers, q.Body, 0)
		}
		if x.Error != "" && x.Error != st.Error {
			fmt.Fprintf(w, "%serror:    %s\n", indent, x.Error)
		}
		if p := x.Response; p != nil {
			fmt.Fprintf(w, "%sresponse: %d%s\n", indent, p.Status, took(x.Duration))
			writeMessage(w, pad, p.Headers, p.Body, p.BodyLimit)
		}
		if o.Curl && x.Request != nil && st.Status != runner.Passed {
			for j, line := range strings.Split(Curl(*x.Request), "\n") {
				label := "curl:     "
				if j > 0 {
					label = "          "
				}
				fmt.Fprintf(w, "%s%s%s\n", indent, label, line)
			}
		}
	}
}

// writeMessage writes a message's headers and body; limit is set when
// the body was larger than what is read of one.
func writeMessage(w io.Writer, pad string, hs []runner.Header, body runner.Body, limit int64) {
	for _, h := range hs {
		fmt.Fprintf(w, "%s%s: %s\n", pad, h.Name, h.Value)
	}
	if body.Omitted {
		fmt.Fprintf(w, "%s(a body of %d bytes, not kept: the step passed; --keep-bodies keeps it)\n", pad, body.Size)
	}
	if body.Text != "" {
		for _, line := range strings.Split(strings.TrimRight(body.Text, "\n"), "\n") {
			fmt.Fprintf(w, "%s%s\n", pad, line)
		}
	}
	switch {
	case limit > 0 && body.Truncated:
		fmt.Fprintf(w, "%s… (larger than %d bytes, the most read of a body; the first %d shown)\n", pad, limit, len(body.Text))
	case limit > 0:
		fmt.Fprintf(w, "%s… (larger than %d bytes, the most read of a body; only these were read)\n", pad, limit)
	case body.Truncated:
		fmt.Fprintf(w, "%s… (%d bytes in all; the first %d shown)\n", pad, body.Size, len(body.Text))
	}
}

// stepName is "step 2 call: read profile", or "step 1 login" when the
// step has no name of its own.
func stepName(i int, st runner.StepResult) string { return st.Title(i) }

func stepTime(st runner.StepResult) string {
	if st.Status == runner.Skipped {
		if st.Error != "" {
			return st.Error
		}
		return "not run"
	}
	return round(st.Duration)
}

func took(d time.Duration) string {
	if d <= 0 {
		return ""
	}
	return " in " + round(d)
}

// Summary returns the closing line: flows passed, failed, errored and not
// run, and the run's time. A data-driven flow counts once per row.
func Summary(r *runner.Result) string {
	c := r.Counts()
	line := fmt.Sprintf("%s: %d passed, %d failed, %d errored", plural(r.Flows(), "flow"), c[runner.Passed], c[runner.Failed], c[runner.Errored])
	if n := c[runner.Skipped]; n > 0 {
		line += fmt.Sprintf(", %d not run", n)
	}
	line += " in " + round(r.Duration)
	if r.Interrupted {
		line += " (interrupted)"
	}
	return line
}

// plural writes a count with its noun: 1 flow, 2 flows.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// mark is an outcome's one-character sign.
func mark(s runner.Status) string {
	switch s {
	case runner.Passed:
		return "✓"
	case runner.Failed:
		return "✗"
	case runner.Errored:
		return "!"
	}
	return "-"
}

// statusWord names an outcome in a heading.
func statusWord(s runner.Status) string {
	if s == runner.Errored {
		return "error"
	}
	return string(s)
}

// round shows a duration to the millisecond, or the microsecond below one.
func round(d time.Duration) string {
	if d < time.Millisecond {
		return d.Round(time.Microsecond).String()
	}
	return d.Round(time.Millisecond).String()
}

// paint colours text by outcome when colour is on.
type paint bool

func painter(on bool) paint { return paint(on) }

func (p paint) status(s runner.Status, text string) string {
	if !p {
		return text
	}
	code := map[runner.Status]string{runner.Passed: "32", runner.Failed: "31", runner.Errored: "33", runner.Skipped: "2"}[s]
	return "\x1b[" + code + "m" + text + "\x1b[0m"
}

func (p paint) dim(text string) string {
	if !p {
		return text
	}
	return "\x1b[2m" + text + "\x1b[0m"
}

// errWriter keeps the first write error, so a report is written with
// plain Fprintf calls and checked once.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(b []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(b)
	e.err = err
	return n, err
}
