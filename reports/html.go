package reports

import (
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"time"

	"github.com/flowrun/flowrun/runner"
)

// The page's parts, kept as files of their own so each can be read and
// edited as what it is; they are embedded so the binary needs nothing else.
var (
	//go:embed html/report.html.tmpl
	htmlTemplate string
	//go:embed html/report.css
	htmlCSS string
	//go:embed html/report.js
	htmlJS string
)

// HTML writes the report as one self-contained HTML page: the summary,
// then each spec with its flows, each flow expandable to its steps with a
// timeline bar, checks, requests and responses. Flows and steps that did
// not pass are open. Styles and the script of the "failed only" filter
// are inline, and the page's Content-Security-Policy forbids every
// request, so it can be kept as a CI artifact and opened anywhere. Every
// value is escaped; the output depends on the result only.
func HTML(w io.Writer, r *runner.Result, o Options) error {
	t, err := template.New("report").Funcs(template.FuncMap{
		"mark":      htmlMark,
		"word":      htmlWord,
		"round":     round,
		"codeClass": codeClass,
	}).Parse(htmlTemplate)
	if err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	return t.Execute(w, newHTMLPage(r, o))
}

// htmlPage is what the template shows: the result with everything the
// template would otherwise compute.
type htmlPage struct {
	*runner.Result
	Outcome    runner.Status
	Badge      string
	Summary    string
	Counts     []htmlCount
	Started    string
	StartedISO string
	Took       string
	Version    string
	AllPassed  bool
	Specs      []htmlSpec
	ScriptHash string
	CSS        template.CSS
	JS         template.JS
}

type htmlCount struct {
	N      int
	Label  string
	Status runner.Status
}

type htmlSpec struct {
	runner.SpecResult
	ID        string
	AllPassed bool
	Flows     []htmlFlow
}

type htmlFlow struct {
	runner.FlowResult
	ID    string
	Head  htmlRow
	Open  bool
	Steps []htmlStep
}

type htmlStep struct {
	runner.StepResult
	ID        string
	Head      htmlRow
	Open      bool
	HasBody   bool
	Exchanges []htmlExchange
}

// htmlExchange hides an exchange's error when its step already says it.
type htmlExchange struct {
	runner.Exchange
	Error string
}

// htmlRow is the line of a flow or a step: mark, name, tags, then its
// timeline bar and time, or a note saying why it did not run.
type htmlRow struct {
	Status   runner.Status
	Name     string
	Tags     []string
	Bar      template.CSS
	BarTitle string
	Time     string
	Note     string
	// Runs sums up the runs of a flow run several times.
	Runs string
}

func newHTMLPage(r *runner.Result, o Options) htmlPage {
	c := r.Counts()
	sum := sha256.Sum256([]byte(htmlJS))
	p := htmlPage{
		Result:  r,
		Outcome: r.Status(),
		Badge:   string(r.Status()),
		Summary: Summary(r),
		Counts: []htmlCount{
			{c[runner.Passed], "passed", runner.Passed},
			{c[runner.Failed], "failed", runner.Failed},
			{c[runner.Errored], "errored", runner.Errored},
			{c[runner.Skipped], "not run", runner.Skipped},
		},
		Started:    "unknown",
		Took:       round(r.Duration),
		Version:    o.Version,
		AllPassed:  c[runner.Passed] == r.Flows(),
		ScriptHash: "sha256-" + base64.StdEncoding.EncodeToString(sum[:]),
		CSS:        template.CSS(htmlCSS),
		JS:         template.JS(htmlJS),
	}
	switch {
	case r.Interrupted:
		p.Badge = "interrupted"
	case p.Outcome == runner.Errored:
		p.Badge = "errored"
	}
	if !r.Started.IsZero() {
		p.Started = r.Started.UTC().Format("2006-01-02 15:04:05 UTC")
		p.StartedISO = r.Started.UTC().Format(time.RFC3339Nano)
	}
	for i, s := range r.Specs {
		hs := htmlSpec{SpecResult: s, ID: fmt.Sprintf("spec-%d", i+1), AllPassed: true}
		for j, f := range s.Flows {
			hs.Flows = append(hs.Flows, newHTMLFlow(r, f, fmt.Sprintf("%s-flow-%d", hs.ID, j+1)))
			hs.AllPassed = hs.AllPassed && f.Status == runner.Passed
		}
		p.Specs = append(p.Specs, hs)
	}
	return p
}

func newHTMLFlow(r *runner.Result, f runner.FlowResult, id string) htmlFlow {
	hf := htmlFlow{FlowResult: f, ID: id, Open: opened(f.Status),
		Head: htmlRow{Status: f.Status, Name: f.Name, Tags: f.Tags, Time: round(f.Duration)}}
	if f.Status == runner.Skipped {
		hf.Head.Note = "not run"
		if f.Reason != "" {
			hf.Head.Note += ": " + f.Reason
		}
	} else {
		hf.Head.Bar, hf.Head.BarTitle = bar(f.Started, f.Duration, r.Started, r.Duration, "the run")
		hf.Head.Runs = runsNote(f.Runs)
	}
	for i, st := range f.Steps {
		hs := htmlStep{StepResult: st, ID: fmt.Sprintf("%s-step-%d", id, i+1), Open: opened(st.Status),
			Head: htmlRow{Status: st.Status, Name: stepName(i, st), Time: stepTime(st)}}
		hs.HasBody = len(st.Exchanges)+len(st.Checks)+len(st.Captured) > 0 || (st.Error != "" && st.Status != runner.Skipped)
		if st.Status == runner.Skipped {
			hs.Head.Note = stepTime(st)
		} else {
			hs.Head.Bar, hs.Head.BarTitle = bar(st.Started, st.Duration, f.Started, f.Duration, "the flow")
		}
		for _, x := range st.Exchanges {
			hx := htmlExchange{Exchange: x, Error: x.Error}
			if x.Error == st.Error {
				hx.Error = ""
			}
			hs.Exchanges = append(hs.Exchanges, hx)
		}
		hf.Steps = append(hf.Steps, hs)
	}
	return hf
}

// opened says whether a flow or step is shown open: those that need
// attention are.
func opened(s runner.Status) bool { return s == runner.Failed || s == runner.Errored }

// bar places a timeline bar: it starts at start's offset from base and is
// as long as d, both in percent of total, so bars of one flow line up. It
// returns the CSS and a tooltip; nothing when start is unknown.
func bar(start time.Time, d time.Duration, base time.Time, total time.Duration, of string) (template.CSS, string) {
	if start.IsZero() || base.IsZero() {
		return "", ""
	}
	left, width := 0.0, 100.0
	if total > 0 {
		left = 100 * float64(start.Sub(base)) / float64(total)
		width = 100 * float64(d) / float64(total)
	}
	// A bar is at least wide enough to be seen, and never leaves its track.
	left = min(max(left, 0), 99.5)
	width = min(max(width, 0.5), 100-left)
	title := fmt.Sprintf("starts %s into %s, takes %s", round(start.Sub(base)), of, round(d))
	return template.CSS(fmt.Sprintf("left:%.2f%%;width:%.2f%%", left, width)), title
}

// htmlMark is an outcome's sign; a dash too short to see in a badge is
// drawn as an en dash.
func htmlMark(s runner.Status) string {
	if m := mark(s); m != "-" {
		return m
	}
	return "–"
}

// htmlWord names an outcome for a screen reader and a badge.
func htmlWord(s runner.Status) string {
	switch s {
	case runner.Errored:
		return "error"
	case runner.Skipped:
		return "not run"
	}
	return string(s)
}

// codeClass groups HTTP status codes by their first digit: "code-2xx".
func codeClass(code int) string {
	return fmt.Sprintf("code-%dxx", code/100)
}
