package reports

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/flowrun/flowrun/runner"
)

// Options tunes a report.
type Options struct {
	// Verbose shows the request and response of every step, not only of
	// those that failed.
	Verbose bool
}

// Table writes the terminal report: a table of flows and steps with their
// outcome and time, then what went wrong in each failure, then a summary.
func Table(w io.Writer, r *runner.Result, o Options) error {
	for _, s := range r.Specs {
		fmt.Fprintf(w, "%s (%s): %s\n", s.Provider, s.File, target(s))
	}
	t := tablewriter.NewTable(w,
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithTrimSpace(tw.Off),
	)
	t.Header("PROVIDER", "FLOW / STEP", "RESULT", "TIME")
	for _, s := range r.Specs {
		for _, f := range s.Flows {
			if err := t.Append(s.Provider, f.Name, strings.ToUpper(string(f.Status)), round(f.Duration)); err != nil {
				return err
			}
			for i, st := range f.Steps {
				name := fmt.Sprintf("  %d %s", i+1, st.Kind)
				if st.Name != st.Kind {
					name += ": " + st.Name
				}
				took := round(st.Duration)
				if st.Status == runner.Skipped {
					took = "-"
				}
				if err := t.Append("", name, string(st.Status), took); err != nil {
					return err
				}
			}
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	for _, s := range r.Specs {
		for _, f := range s.Flows {
			for i, st := range f.Steps {
				if st.Status == runner.Failed || st.Status == runner.Errored || (o.Verbose && st.Status == runner.Passed) {
					writeStep(w, s, f, i, st)
				}
			}
		}
	}
	fmt.Fprintln(w, Summary(r))
	return nil
}

// target says where a spec's requests went.
func target(s runner.SpecResult) string {
	if s.Sandbox != "" {
		return fmt.Sprintf("embedded sandbox %q at %s", s.Sandbox, s.BaseURL)
	}
	return s.BaseURL
}

// Summary returns the closing line: flows passed, failed, errored and
// skipped, and the run's time.
func Summary(r *runner.Result) string {
	c := r.Counts()
	total := c[runner.Passed] + c[runner.Failed] + c[runner.Errored] + c[runner.Skipped]
	line := fmt.Sprintf("%d flows: %d passed, %d failed, %d errored in %s", total, c[runner.Passed], c[runner.Failed], c[runner.Errored], round(r.Duration))
	if r.Interrupted {
		line += " (interrupted)"
	}
	return line
}

// writeStep explains one step: where it is, each check with expected and
// actual values, and the request and response.
func writeStep(w io.Writer, s runner.SpecResult, f runner.FlowResult, i int, st runner.StepResult) {
	fmt.Fprintf(w, "\n%s %s › %s › step %d %s (%s)\n", strings.ToUpper(string(st.Status)), s.Provider, f.Name, i+1, st.Name, st.Place)
	if st.Error != "" {
		fmt.Fprintf(w, "  error: %s\n", st.Error)
	}
	for _, c := range st.Checks {
		mark := "✗"
		if c.Passed {
			mark = "✓"
		}
		fmt.Fprintf(w, "  %s %s: expected %s, got %s (%s)\n", mark, c.Expr, c.Expected, c.Actual, c.Place)
	}
	if q := st.Request; q != nil {
		fmt.Fprintf(w, "  request:  %s %s\n", q.Method, q.URL)
		writeMessage(w, q.Headers, q.Body)
	}
	if p := st.Response; p != nil {
		fmt.Fprintf(w, "  response: %d\n", p.Status)
		writeMessage(w, p.Headers, p.Body)
	}
}

func writeMessage(w io.Writer, hs []runner.Header, body string) {
	for _, h := range hs {
		fmt.Fprintf(w, "            %s: %s\n", h.Name, h.Value)
	}
	if body != "" {
		for _, line := range strings.Split(strings.TrimRight(body, "\n"), "\n") {
			fmt.Fprintf(w, "            %s\n", line)
		}
	}
}

// round shows a duration to the millisecond.
func round(d time.Duration) string {
	if d < time.Millisecond {
		return d.Round(time.Microsecond).String()
	}
	return d.Round(time.Millisecond).String()
}
