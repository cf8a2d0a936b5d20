package reports

import (
	"fmt"
	"io"
	"strings"

	"github.com/flowrun/flowrun/runner"
)

// GitHub writes one GitHub Actions workflow command per failed or
// errored step, `::error file=...,line=...,col=...,title=...::message`,
// so the step is marked in the spec where it is written, and a `::notice`
// for each step that logged in again after a 401.
func GitHub(w io.Writer, r *runner.Result, _ Options) error {
	ew := &errWriter{w: w}
	for _, s := range r.Specs {
		for _, f := range s.Flows {
			for i, st := range f.Steps {
				if reauthed(st) {
					title := fmt.Sprintf("%s › %s › %s logged in again", s.Provider, f.Name, stepName(i, st))
					fmt.Fprintf(ew, "::notice file=%s,line=%d,col=%d,title=%s::%s\n", ghProperty(st.Pos.File),
						st.Pos.Line, st.Pos.Col, ghProperty(title), "answered 401: logged in again (reauth: on-401) and retried once")
				}
				if st.Status != runner.Failed && st.Status != runner.Errored {
					continue
				}
				word := "failed"
				if st.Status == runner.Errored {
					word = "errored"
				}
				title := fmt.Sprintf("%s › %s › %s %s", s.Provider, f.Name, stepName(i, st), word)
				fmt.Fprintf(ew, "::error file=%s,line=%d,col=%d,title=%s::%s\n", ghProperty(st.Pos.File),
					st.Pos.Line, st.Pos.Col, ghProperty(title), ghData(annotation(st)))
			}
		}
	}
	return ew.err
}

// annotation says why a step did not pass: its error, or its checks that
// did not hold.
func annotation(st runner.StepResult) string {
	var lines []string
	if st.Error != "" {
		lines = append(lines, st.Error)
	}
	for _, c := range st.Checks {
		if !c.Passed() {
			lines = append(lines, checkLine(c))
		}
	}
	return strings.Join(lines, "\n")
}

// ghData escapes a workflow command's message.
func ghData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// ghProperty escapes a workflow command's property value.
func ghProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
