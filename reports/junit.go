package reports

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/flowrun/flowrun/runner"
)

// JUnit writes the run as JUnit XML for CI: a <testsuites> root, one
// <testsuite> per spec and one <testcase> per flow, or per step with
// o.PerStep. A check that was false is a <failure>, a step that could not
// be carried out or judged an <error>, a flow or step that never ran
// <skipped>. Each suite's <system-out> holds the masked log of its flows.
//
// The file validates against both the strict Apache Ant schema and the
// one Jenkins' xUnit plugin uses, so where they differ it keeps to Ant:
// the root has no attributes (its totals are in a comment), each suite
// has package, id, timestamp (UTC, without a zone) and hostname, and the
// logs are the suite's, since Ant allows no <system-out> in a test case.
func JUnit(w io.Writer, r *runner.Result, o Options) error {
	ew := &errWriter{w: w}
	io.WriteString(ew, xml.Header)
	enc := xml.NewEncoder(ew)
	enc.Indent("", "  ")
	if err := enc.Encode(junitReport(r, o)); err != nil {
		return err
	}
	fmt.Fprintln(ew)
	return ew.err
}

// The document, as plain data; junitReport builds it, JUnit writes it.

type junitSuites struct {
	XMLName xml.Name `xml:"testsuites"`
	// Totals are a comment: Ant's schema allows no attributes on the root.
	Totals string       `xml:",comment"`
	Suites []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Package    string          `xml:"package,attr"`
	ID         int             `xml:"id,attr"`
	Timestamp  string          `xml:"timestamp,attr"`
	Hostname   string          `xml:"hostname,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Properties junitProperties `xml:"properties"`
	Cases      []junitCase     `xml:"testcase"`
	// Ant requires both, in this order, after the test cases.
	SystemOut junitText `xml:"system-out"`
	SystemErr junitText `xml:"system-err"`
}

type junitProperties struct {
	Property []junitProperty `xml:"property"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string `xml:"name,attr"`
	Classname string `xml:"classname,attr"`
	Time      string `xml:"time,attr"`
	// At most one is set: Ant allows one outcome element per test case.
	Failure *junitText `xml:"failure"`
	Error   *junitText `xml:"error"`
	Skipped *junitText `xml:"skipped"`
}

// junitText is an element holding text, with optional message and type
// attributes. It writes its text as one character-data token, so line
// breaks stay line breaks (a chardata field would write each as &#xA;);
// the encoder still escapes <, >, & and quotes, so "]]>" is safe.
type junitText struct {
	Message string
	Type    string
	Text    string
}

// MarshalXML writes the element with its attributes and text.
func (x junitText) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	if x.Message != "" {
		start.Attr = append(start.Attr, xml.Attr{Name: xml.Name{Local: "message"}, Value: x.Message})
	}
	if x.Type != "" {
		start.Attr = append(start.Attr, xml.Attr{Name: xml.Name{Local: "type"}, Value: x.Type})
	}
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	if x.Text != "" {
		if err := e.EncodeToken(xml.CharData(x.Text)); err != nil {
			return err
		}
	}
	return e.EncodeToken(start.End())
}

// junitReport builds the document: one suite per spec, in the result's order.
func junitReport(r *runner.Result, o Options) junitSuites {
	doc := junitSuites{Suites: make([]junitSuite, 0, len(r.Specs))}
	for i, s := range r.Specs {
		doc.Suites = append(doc.Suites, junitSpec(i, s, r, o))
	}
	doc.Totals = junitTotals(doc.Suites, r.Duration)
	return doc
}

// junitSpec builds the suite of one spec.
func junitSpec(id int, s runner.SpecResult, r *runner.Result, o Options) junitSuite {
	name := suiteName(s)
	started, span := flowSpan(s.Flows, r.Started)
	js := junitSuite{
		Name: name, Package: name, ID: id,
		Timestamp:  started.UTC().Format("2006-01-02T15:04:05"),
		Hostname:   junitHostname(o),
		Time:       seconds(span),
		Properties: junitProps(s, r, o),
		SystemOut:  junitText{Text: xmlSafe(flowLog(s.Flows))},
	}
	for _, f := range s.Flows {
		if !o.PerStep || len(f.Steps) == 0 {
			js.add(flowCase(name, f))
			continue
		}
		for i := range f.Steps {
			js.add(stepCase(name, f, i))
		}
	}
	return js
}

// add appends a test case and counts its outcome.
func (js *junitSuite) add(c junitCase) {
	js.Tests++
	switch {
	case c.Failure != nil:
		js.Failures++
	case c.Error != nil:
		js.Errors++
	case c.Skipped != nil:
		js.Skipped++
	}
	js.Cases = append(js.Cases, c)
}

// suiteName is the spec's provider, or its file when it names none:
// Ant requires a name.
func suiteName(s runner.SpecResult) string {
	for _, name := range []string{s.Provider, s.File} {
		if strings.TrimSpace(name) != "" {
			return xmlSafe(name)
		}
	}
	return "flowrun"
}

func junitHostname(o Options) string {
	if h := strings.TrimSpace(o.Hostname); h != "" {
		return xmlSafe(h)
	}
	return "localhost"
}

// junitProps says where the spec's requests went; its values are masked.
func junitProps(s runner.SpecResult, r *runner.Result, o Options) junitProperties {
	props := []junitProperty{{"file", s.File}, {"base_url", s.BaseURL}}
	if s.Sandbox != "" {
		props = append(props, junitProperty{"sandbox", s.Sandbox})
	}
	if o.Version != "" {
		props = append(props, junitProperty{"flowrun_version", o.Version})
	}
	if r.Interrupted {
		props = append(props, junitProperty{"interrupted", "true"})
	}
	for i := range props {
		props[i].Value = xmlSafe(props[i].Value)
	}
	return junitProperties{Property: props}
}

// flowSpan returns when the first of the flows began and how long it was
// until the last one ended: flows may run at once, so their times do not
// add up to the suite's. It returns fallback when no flow began.
func flowSpan(fs []runner.FlowResult, fallback time.Time) (time.Time, time.Duration) {
	var first, last time.Time
	for _, f := range fs {
		if f.Started.IsZero() {
			continue
		}
		if first.IsZero() || f.Started.Before(first) {
			first = f.Started
		}
		if end := f.Started.Add(f.Duration); end.After(last) {
			last = end
		}
	}
	if first.IsZero() {
		return fallback, 0
	}
	return first, last.Sub(first)
}

// flowCase is the test case of a whole flow.
func flowCase(classname string, f runner.FlowResult) junitCase {
	c := junitCase{Name: xmlSafe(f.Name), Classname: classname, Time: seconds(f.Duration)}
	switch f.Status {
	case runner.Failed, runner.Errored:
		c.setProblem(f.Status, flowProblem(f))
	case runner.Skipped:
		c.Skipped = &junitText{Message: xmlSafe(firstOf(f.Reason, "not run"))}
	}
	return c
}

// stepCase is the test case of step i of a flow.
func stepCase(classname string, f runner.FlowResult, i int) junitCase {
	st := f.Steps[i]
	c := junitCase{Name: xmlSafe(f.Name + " › " + stepName(i, st)), Classname: classname, Time: seconds(st.Duration)}
	switch st.Status {
	case runner.Failed, runner.Errored:
		msg, typ := stepCause(st)
		c.setProblem(st.Status, junitText{Message: msg, Type: typ, Text: stepProblem(i, st)})
	case runner.Skipped:
		c.Skipped = &junitText{Message: xmlSafe(firstOf(st.Error, f.Reason, "not run"))}
	}
	return c
}

// setProblem sets the failure (a check was false) or the error (the
// flow or step could not be carried out or judged).
func (c *junitCase) setProblem(s runner.Status, p junitText) {
	p = junitText{Message: xmlSafe(oneLine(p.Message)), Type: xmlSafe(p.Type), Text: xmlSafe(p.Text)}
	if s == runner.Failed {
		c.Failure = &p
	} else {
		c.Error = &p
	}
}

// flowProblem explains a flow that failed or errored: its message is the
// cause in the first step with the flow's outcome, its text every step
// that did not pass.
func flowProblem(f runner.FlowResult) junitText {
	p := junitText{Message: firstOf(f.Reason, "the flow "+outcome(f.Status)), Type: "error"}
	cause := -1
	var text []string
	for i, st := range f.Steps {
		if st.Status != runner.Failed && st.Status != runner.Errored {
			continue
		}
		if cause < 0 || (st.Status == f.Status && f.Steps[cause].Status != f.Status) {
			cause = i
		}
		text = append(text, stepProblem(i, st))
	}
	if cause >= 0 {
		msg, typ := stepCause(f.Steps[cause])
		p.Message, p.Type = stepName(cause, f.Steps[cause])+": "+msg, typ
	} else {
		text = append(text, fmt.Sprintf("flow %s at %s\n", outcome(f.Status), f.Pos))
	}
	p.Text = strings.Join(text, "\n")
	return p
}

// stepCause is the one-line cause of a step that did not pass, and its
// type: the step's error, else the kind of its first check with the
// step's outcome.
func stepCause(st runner.StepResult) (message, typ string) {
	if st.Status == runner.Errored && st.Error != "" {
		return st.Error, "error"
	}
	for _, want := range []func(runner.Check) bool{
		func(c runner.Check) bool { return c.Status == st.Status },
		func(c runner.Check) bool { return !c.Passed() },
	} {
		for _, c := range st.Checks {
			if want(c) {
				return checkLine(c), firstOf(string(c.Kind), "assert")
			}
		}
	}
	if st.Status == runner.Failed {
		return firstOf(st.Error, "the step failed"), "failure"
	}
	return firstOf(st.Error, "the step errored"), "error"
}

// stepProblem is a step's place, its error, every check that did not
// hold, each with expected and actual values and its place in the spec,
// and the step's requests and responses: CI pages (GitLab's among them)
// show this text but not a suite's log, and Ant allows a test case no log.
func stepProblem(i int, st runner.StepResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s at %s\n", stepName(i, st), outcome(st.Status), st.Pos)
	if st.Error != "" {
		fmt.Fprintf(&b, "  error: %s\n", st.Error)
	}
	for _, c := range st.Checks {
		if !c.Passed() {
			fmt.Fprintf(&b, "  %s %s\n", mark(c.Status), checkLine(c))
		}
	}
	writeExchanges(&b, st, "  ", Options{})
	return b.String()
}

// flowLog is the step log of the flows: each flow and step with its mark
// and time, and each request and response as the result holds them, so
// masked.
func flowLog(fs []runner.FlowResult) string {
	var b strings.Builder
	for i, f := range fs {
		if i > 0 {
			b.WriteString("\n")
		}
		line := fmt.Sprintf("%s %s  %s", mark(f.Status), f.Name, round(f.Duration))
		if f.Status == runner.Skipped {
			line = fmt.Sprintf("%s %s  not run: %s", mark(f.Status), f.Name, firstOf(f.Reason, "no reason given"))
		}
		if note := runsNote(f.Runs); note != "" {
			line += "  (" + note + ")"
		}
		fmt.Fprintf(&b, "%s  (%s)\n", line, f.Pos)
		for j, st := range f.Steps {
			fmt.Fprintf(&b, "  %s %s  %s  (%s)\n", mark(st.Status), stepName(j, st), stepTime(st), st.Pos)
			if st.Error != "" && st.Status != runner.Skipped {
				fmt.Fprintf(&b, "    error:    %s\n", st.Error)
			}
			writeExchanges(&b, st, "    ", Options{})
		}
	}
	return b.String()
}

// junitTotals is the root's comment: the counts of every suite and the
// run's time.
func junitTotals(suites []junitSuite, d time.Duration) string {
	var tests, failures, errs, skipped int
	for _, s := range suites {
		tests, failures, errs, skipped = tests+s.Tests, failures+s.Failures, errs+s.Errors, skipped+s.Skipped
	}
	return fmt.Sprintf(" totals: tests=%d failures=%d errors=%d skipped=%d time=%s ", tests, failures, errs, skipped, seconds(d))
}

// outcome names a status after "step 1 login".
func outcome(s runner.Status) string {
	if s == runner.Errored {
		return "errored"
	}
	return string(s)
}

// seconds is a duration in seconds to the millisecond, as JUnit's time.
func seconds(d time.Duration) string {
	return fmt.Sprintf("%.3f", max(d, 0).Seconds())
}

func firstOf(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// oneLine joins a message's lines, for an attribute that CI shows as a
// headline.
func oneLine(s string) string {
	var parts []string
	for _, line := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' }) {
		if line = strings.TrimSpace(line); line != "" {
			parts = append(parts, line)
		}
	}
	return strings.Join(parts, " ")
}

// xmlSafe drops the characters XML 1.0 does not allow at all (most
// control characters, U+FFFE, U+FFFF), which no escaping can carry;
// invalid UTF-8 becomes U+FFFD.
func xmlSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r',
			r >= 0x20 && r <= 0xD7FF,
			r >= 0xE000 && r <= 0xFFFD,
			r >= 0x10000 && r <= 0x10FFFF:
			return r
		}
		return -1
	}, s)
}
