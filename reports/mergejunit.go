package reports

import (
	"cmp"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/flowrun/flowrun/runner"
)

// UnmarshalXML reads what MarshalXML writes.
func (x *junitText) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	var in struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Text    string `xml:",chardata"`
	}
	if err := d.DecodeElement(&in, &start); err != nil {
		return err
	}
	*x = junitText(in)
	return nil
}

// junitPart is a suite of one of the reports merged.
type junitPart struct {
	suite      junitSuite
	from, file string
	start, end time.Time
	logs       map[string]junitFlowLog
	rest       string
}

func (p *junitPart) id() string { return p.suite.Name + "\x00" + p.file }

// junitFlowLog is a flow's part of a suite's log, and where the flow is written.
type junitFlowLog struct {
	pos  runner.Pos
	text string
}

// mergeJUnit merges JUnit reports: suites of the same spec joined, in
// the order of their files, their cases in the order the flows are
// written, the counts, times and the log's flows to match.
func mergeJUnit(w io.Writer, rs []Report) error {
	var lists [][]*junitPart
	var start, end time.Time
	for _, r := range rs {
		var doc junitSuites
		if err := xml.Unmarshal(r.Data, &doc); err != nil {
			return fmt.Errorf("%s: %w", r.Name, err)
		}
		var l []*junitPart
		var first time.Time
		for _, s := range doc.Suites {
			p := newJUnitPart(s, r.Name)
			first, _ = span(first, time.Time{}, p.start, 0)
			l = append(l, p)
		}
		// The run began before its first suite; that second is as near as
		// the report says.
		start, end = span(start, end, first, junitRunTime(doc.Totals))
		lists = append(lists, l)
	}
	parts := mergeOrder(lists, (*junitPart).id, func(a, b *junitPart) int {
		return cmp.Or(strings.Compare(a.file, b.file), strings.Compare(a.suite.Name, b.suite.Name))
	})
	doc := junitSuites{Suites: make([]junitSuite, 0, len(parts))}
	seen := owners{}
	for i, p := range parts {
		var same []*junitPart
		for _, l := range lists {
			for _, q := range l {
				if q.id() == p.id() {
					same = append(same, q)
				}
			}
		}
		s, err := joinSuites(same, i, seen)
		if err != nil {
			return err
		}
		doc.Suites = append(doc.Suites, s)
	}
	doc.Totals = junitTotals(doc.Suites, end.Sub(start))
	ew := &errWriter{w: w}
	io.WriteString(ew, xml.Header)
	enc := xml.NewEncoder(ew)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	fmt.Fprintln(ew)
	return ew.err
}

func newJUnitPart(s junitSuite, from string) *junitPart {
	p := &junitPart{suite: s, from: from, file: s.Name}
	for _, pr := range s.Properties.Property {
		if pr.Name == "file" {
			p.file = pr.Value
		}
	}
	if t, err := time.Parse("2006-01-02T15:04:05", s.Timestamp); err == nil {
		d, _ := time.ParseDuration(s.Time + "s")
		p.start, p.end = t, t.Add(d)
	}
	p.logs, p.rest = junitFlowLogs(s.SystemOut.Text, s.Cases)
	return p
}

// junitRunTime is the run's time in the root's totals comment.
func junitRunTime(totals string) time.Duration {
	for _, f := range strings.Fields(totals) {
		if v, ok := strings.CutPrefix(f, "time="); ok {
			d, _ := time.ParseDuration(v + "s")
			return d
		}
	}
	return 0
}

// junitEntry is a test case with the flow it belongs to.
type junitEntry struct {
	c    junitCase
	flow string
	log  junitFlowLog
	at   place
}

// joinSuites joins the parts of one spec's suite as suite number id.
func joinSuites(parts []*junitPart, id int, seen owners) (junitSuite, error) {
	s := parts[0].suite
	s.ID, s.Tests, s.Failures, s.Errors, s.Skipped, s.Cases = id, 0, 0, 0, 0, nil
	s.Properties.Property = slices.Clone(s.Properties.Property)
	var start, end time.Time
	var lists [][]junitEntry
	var rest []string
	interrupted := false
	for _, p := range parts {
		start, end = span(start, end, p.start, p.end.Sub(p.start))
		var l []junitEntry
		claimed := map[string]bool{}
		for _, c := range p.suite.Cases {
			e := junitEntry{c: c, flow: junitFlowOf(c.Name, p.logs)}
			e.log = p.logs[e.flow]
			if !claimed[e.flow] {
				claimed[e.flow] = true
				if err := seen.claim(p.file, e.flow, p.from); err != nil {
					return s, err
				}
			}
			l = append(l, e)
		}
		ps := make([]runner.Pos, len(l))
		for k, e := range l {
			ps[k] = e.log.pos
		}
		for k, at := range places(p.file, ps) {
			l[k].at = at
		}
		lists = append(lists, l)
		if p.rest != "" {
			rest = append(rest, p.rest)
		}
		interrupted = interrupted || slices.Contains(p.suite.Properties.Property, junitProperty{"interrupted", "true"})
	}
	if !start.IsZero() {
		s.Timestamp, s.Time = start.UTC().Format("2006-01-02T15:04:05"), seconds(end.Sub(start))
	}
	if interrupted && !slices.Contains(s.Properties.Property, junitProperty{"interrupted", "true"}) {
		s.Properties.Property = append(s.Properties.Property, junitProperty{"interrupted", "true"})
	}
	var logs []string
	logged := map[string]bool{}
	for _, e := range mergeOrder(lists, func(e junitEntry) string { return e.c.Name },
		func(a, b junitEntry) int { return a.at.compare(b.at) }) {
		s.add(e.c)
		if e.log.text != "" && !logged[e.flow] {
			logged[e.flow] = true
			logs = append(logs, e.log.text)
		}
	}
	s.SystemOut = junitText{Text: strings.Join(append(logs, rest...), "\n")}
	return s, nil
}

// junitFlowOf is the flow a test case belongs to: the case's name, or
// for a step's case ("flow › step 2 call") the flow's name.
func junitFlowOf(name string, logs map[string]junitFlowLog) string {
	for i := len(name); i >= 0; i = strings.LastIndex(name[:i], " › ") {
		if _, ok := logs[name[:i]]; ok {
			return name[:i]
		}
	}
	return name
}

// junitFlowLogs splits a suite's log, as junitSpec writes it, into the
// part of each of the cases' flows: it begins at the flow's line
// "<mark> <name>  …  (<file>:<line>:<col>)", and a blank line separates
// flows. rest is any text before the first flow's line.
func junitFlowLogs(log string, cases []junitCase) (map[string]junitFlowLog, string) {
	names := map[string]bool{}
	for _, c := range cases {
		for i := len(c.Name); i > 0; i = strings.LastIndex(c.Name[:i], " › ") {
			names[c.Name[:i]] = true
		}
	}
	logs := map[string]junitFlowLog{}
	var rest strings.Builder
	flow := ""
	for _, line := range strings.SplitAfter(log, "\n") {
		if name, pos, ok := junitFlowLine(line, names); ok {
			flow = name
			logs[flow] = junitFlowLog{pos: pos, text: logs[flow].text}
		}
		if flow == "" {
			rest.WriteString(line)
			continue
		}
		l := logs[flow]
		l.text += line
		logs[flow] = l
	}
	for name, l := range logs {
		// The blank line between two flows is the join's, not the flow's.
		if strings.HasSuffix(l.text, "\n\n") {
			l.text = l.text[:len(l.text)-1]
			logs[name] = l
		}
	}
	return logs, rest.String()
}

// junitFlowLine reads a flow's line of a suite's log: its name, one of
// names, and its place.
func junitFlowLine(line string, names map[string]bool) (string, runner.Pos, bool) {
	line = strings.TrimSuffix(line, "\n")
	at := strings.LastIndex(line, "  (")
	if at < 0 || !strings.HasSuffix(line, ")") {
		return "", runner.Pos{}, false
	}
	pos, ok := parsePlace(line[at+3 : len(line)-1])
	if !ok {
		return "", runner.Pos{}, false
	}
	for _, m := range []runner.Status{runner.Passed, runner.Failed, runner.Errored, runner.Skipped} {
		text, ok := strings.CutPrefix(line[:at], mark(m)+" ")
		if !ok {
			continue
		}
		for i := strings.Index(text, "  "); i >= 0; i = nextIndex(text, "  ", i) {
			if names[text[:i]] {
				return text[:i], pos, true
			}
		}
	}
	return "", runner.Pos{}, false
}

// nextIndex is the index of the next sep in s after the one at i, or -1.
func nextIndex(s, sep string, i int) int {
	if j := strings.Index(s[i+1:], sep); j >= 0 {
		return i + 1 + j
	}
	return -1
}

// parsePlace reads "file:line:col".
func parsePlace(s string) (runner.Pos, bool) {
	i := strings.LastIndex(s, ":")
	if i < 0 {
		return runner.Pos{}, false
	}
	j := strings.LastIndex(s[:i], ":")
	if j < 0 {
		return runner.Pos{}, false
	}
	line, err1 := strconv.Atoi(s[j+1 : i])
	col, err2 := strconv.Atoi(s[i+1:])
	if err1 != nil || err2 != nil {
		return runner.Pos{}, false
	}
	return runner.Pos{File: s[:j], Line: line, Col: col}, true
}
