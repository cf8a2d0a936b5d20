package reports_test

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/flowrun/flowrun/internal/reporttest"
	"github.com/flowrun/flowrun/reports"
	"github.com/flowrun/flowrun/runner"
)

// The report as a CI server reads it.
type xSuites struct {
	XMLName xml.Name `xml:"testsuites"`
	Suites  []xSuite `xml:"testsuite"`
}

type xSuite struct {
	Name      string      `xml:"name,attr"`
	Timestamp string      `xml:"timestamp,attr"`
	Hostname  string      `xml:"hostname,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Errors    int         `xml:"errors,attr"`
	Skipped   int         `xml:"skipped,attr"`
	Props     []xProperty `xml:"properties>property"`
	Cases     []xCase     `xml:"testcase"`
	SystemOut string      `xml:"system-out"`
}

type xProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type xCase struct {
	Name    string    `xml:"name,attr"`
	Failure *xProblem `xml:"failure"`
	Error   *xProblem `xml:"error"`
	Skipped *xProblem `xml:"skipped"`
}

type xProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// outcome is "failure:TYPE", "error:TYPE", "skipped" or "passed".
func (c xCase) outcome() string {
	switch {
	case c.Failure != nil:
		return "failure:" + c.Failure.Type
	case c.Error != nil:
		return "error:" + c.Error.Type
	case c.Skipped != nil:
		return "skipped"
	}
	return "passed"
}

// problem is the case's failure, error or skipped element.
func (c xCase) problem() *xProblem {
	for _, p := range []*xProblem{c.Failure, c.Error, c.Skipped} {
		if p != nil {
			return p
		}
	}
	return nil
}

func junitXML(t *testing.T, r *runner.Result, o reports.Options) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := reports.JUnit(&b, r, o); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func parseJUnit(t *testing.T, data []byte) xSuites {
	t.Helper()
	var doc xSuites
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("not well-formed: %v\n%s", err, data)
	}
	return doc
}

var goldenOpts = reports.Options{Hostname: "ci-runner", Version: "1.0.0"}

func TestJUnitGolden(t *testing.T) {
	for _, name := range names {
		for _, perStep := range []bool{false, true} {
			file := "junit_" + name + ".golden.xml"
			if perStep {
				file = "junit_" + name + "_per_step.golden.xml"
			}
			t.Run(file, func(t *testing.T) {
				o := goldenOpts
				o.PerStep = perStep
				golden(t, file, junitXML(t, results()[name], o))
			})
		}
	}
}

// TestJUnitValidates checks every report against the strict Ant schema
// and the lenient Jenkins one, with the real validator.
func TestJUnitValidates(t *testing.T) {
	reporttest.RequireTool(t, "xmllint")
	runs := results()
	runs["awkward text"] = awkwardResult()
	for name, r := range runs {
		for _, perStep := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/per step %v", name, perStep), func(t *testing.T) {
				o := goldenOpts
				o.PerStep = perStep
				reporttest.ValidateJUnit(t, junitXML(t, r, o))
			})
		}
	}
}

func TestJUnitOutcomes(t *testing.T) {
	type suite struct {
		name                             string
		tests, failures, errors, skipped int
		cases                            []string
	}
	for _, tc := range []struct {
		result  string
		perStep bool
		want    []suite
	}{
		{"failed", false, []suite{
			{"demo", 2, 1, 0, 0, []string{"passed", "failure:status"}},
			{"other", 2, 1, 1, 0, []string{"failure:assert", "error:assert"}},
		}},
		{"errored", false, []suite{
			{"demo", 2, 0, 1, 0, []string{"passed", "error:error"}},
			{"other", 1, 0, 1, 0, []string{"error:assert"}},
		}},
		{"errored", true, []suite{
			{"demo", 3, 0, 1, 0, []string{"passed", "passed", "error:error"}},
			{"other", 1, 0, 1, 0, []string{"error:assert"}},
		}},
		{"interrupted", false, []suite{
			{"demo", 3, 0, 1, 1, []string{"passed", "error:error", "skipped"}},
		}},
		{"interrupted", true, []suite{
			{"demo", 5, 0, 1, 2, []string{"passed", "passed", "error:error", "skipped", "skipped"}},
		}},
	} {
		o := reports.Options{PerStep: tc.perStep}
		doc := parseJUnit(t, junitXML(t, results()[tc.result], o))
		if len(doc.Suites) != len(tc.want) {
			t.Fatalf("%s (per step: %v): got %d suites, want %d", tc.result, tc.perStep, len(doc.Suites), len(tc.want))
		}
		for i, want := range tc.want {
			s := doc.Suites[i]
			var cases []string
			for _, c := range s.Cases {
				cases = append(cases, c.outcome())
			}
			got := suite{s.Name, s.Tests, s.Failures, s.Errors, s.Skipped, cases}
			if strings.Join(got.cases, ",") != strings.Join(want.cases, ",") ||
				got.name != want.name || got.tests != want.tests || got.failures != want.failures ||
				got.errors != want.errors || got.skipped != want.skipped {
				t.Errorf("%s (per step: %v) suite %d: got %+v, want %+v", tc.result, tc.perStep, i, got, want)
			}
		}
	}
}

func TestJUnitMessages(t *testing.T) {
	for _, tc := range []struct {
		result  string
		perStep bool
		test    string
		message string
		// inText must be in the element's text.
		inText []string
	}{
		{"failed", false, "refused without token", "step 1 expect-401: status: expected 401, got 200 (specs/demo.yaml:23:19)",
			[]string{"step 1 expect-401 failed at specs/demo.yaml:22:9", "✗ status: expected 401, got 200 (specs/demo.yaml:23:19)",
				"request:  GET http://127.0.0.1:4000/me?q=a&b=<api_key#77aa>", "response: 200 in 2ms"}},
		{"failed", true, "profile has the right name [mary] › step 1 call",
			`json("name") == "Mary" && token != old: expected true, got "Tom" == "Mary" is false (specs/demo.yaml:46:15)`,
			[]string{"step 1 call failed at specs/demo.yaml:44:9"}},
		{"errored", false, "server down", "step 1 login: no answer within the step's timeout of 30s",
			[]string{"step 1 login errored at specs/demo.yaml:32:9", "error: no answer within the step's timeout of 30s"}},
		{"errored", false, "assertion cannot be evaluated",
			`step 1 request: json("slideshow.title"): could not be evaluated: the expression gave "Sample", not true or false (specs/demo.yaml:53:28)`,
			[]string{"step 1 request errored at specs/demo.yaml:52:9"}},
		{"interrupted", false, "waits for expiry", "step 1 wait: the run was interrupted during the wait",
			[]string{"step 1 wait errored at specs/demo.yaml:62:9"}},
		{"interrupted", false, "never began", "the run was interrupted before this flow began", nil},
		{"interrupted", true, "never began › step 1 login", "the run was interrupted before this flow began", nil},
		{"interrupted", true, "waits for expiry › step 2 call", "not run: step 1 did not pass", nil},
	} {
		doc := parseJUnit(t, junitXML(t, results()[tc.result], reports.Options{PerStep: tc.perStep}))
		c, ok := findCase(doc, tc.test)
		if !ok {
			t.Errorf("%s: no test case %q", tc.result, tc.test)
			continue
		}
		p := c.problem()
		if p == nil {
			t.Errorf("%s: %q: got no failure, error or skipped element", tc.result, tc.test)
			continue
		}
		if p.Message != tc.message {
			t.Errorf("%s: %q: got message %q, want %q", tc.result, tc.test, p.Message, tc.message)
		}
		for _, want := range tc.inText {
			if !strings.Contains(p.Text, want) {
				t.Errorf("%s: %q: got text %q, want it to hold %q", tc.result, tc.test, p.Text, want)
			}
		}
	}
}

func findCase(doc xSuites, name string) (xCase, bool) {
	for _, s := range doc.Suites {
		for _, c := range s.Cases {
			if c.Name == name {
				return c, true
			}
		}
	}
	return xCase{}, false
}

func TestJUnitSuiteAttributes(t *testing.T) {
	for _, tc := range []struct {
		hostname, want string
	}{
		{"", "localhost"},
		{"ci-7", "ci-7"},
	} {
		doc := parseJUnit(t, junitXML(t, results()["failed"], reports.Options{Hostname: tc.hostname}))
		for _, s := range doc.Suites {
			if s.Hostname != tc.want {
				t.Errorf("Hostname %q: got hostname %q, want %q", tc.hostname, s.Hostname, tc.want)
			}
			if s.Timestamp != "2026-01-02T03:04:05" {
				t.Errorf("got timestamp %q, want 2026-01-02T03:04:05 (the first flow's start, UTC, no zone)", s.Timestamp)
			}
		}
		if got := doc.Suites[1].Props; len(got) < 1 || got[0] != (xProperty{"file", "specs/other.yaml"}) {
			t.Errorf("got properties %+v, want file=specs/other.yaml first", got)
		}
	}
}

// awkwardResult has text that XML cannot hold as it is: "]]>", control
// characters, a non-character and invalid UTF-8.
func awkwardResult() *runner.Result {
	body := "a ]]> b <![CDATA[ c \x00\x07\x1b[31m red \uFFFE d \xff e & <f>"
	r := results()["failed"]
	st := &r.Specs[0].Flows[1].Steps[0]
	st.Exchanges[0].Response.Body.Text = body
	st.Exchanges[0].Response.Headers = append(st.Exchanges[0].Response.Headers, runner.Header{Name: "X-Odd", Value: "\x01]]>\x02"})
	st.Checks[0].Actual.Text = "\x1b]]>"
	r.Specs[0].Flows[1].Name = "refused \x00 without token"
	return r
}

func TestJUnitWellFormed(t *testing.T) {
	for _, perStep := range []bool{false, true} {
		data := junitXML(t, awkwardResult(), reports.Options{PerStep: perStep})
		doc := parseJUnit(t, data)
		for _, bad := range []string{"\x00", "\x01", "\x07", "\x1b", "\uFFFE", "\xff"} {
			if bytes.Contains(data, []byte(bad)) {
				t.Errorf("per step %v: got %q in the XML, want it dropped", perStep, bad)
			}
		}
		out := doc.Suites[0].SystemOut
		for _, want := range []string{"a ]]> b <![CDATA[ c [31m red  d \uFFFD e & <f>", "X-Odd: ]]>"} {
			if !strings.Contains(out, want) {
				t.Errorf("per step %v: got system-out\n%s\nwant it to hold %q", perStep, out, want)
			}
		}
		c, ok := findCase(doc, "refused  without token")
		if !perStep && (!ok || c.Failure == nil || !strings.Contains(c.Failure.Message, "got ]]>")) {
			t.Errorf("got case %+v (found: %v), want a failure whose message holds \"got ]]>\"", c, ok)
		}
	}
}

func TestJUnitNoSpecs(t *testing.T) {
	data := junitXML(t, &runner.Result{Started: t0, Duration: time.Millisecond}, reports.Options{})
	if doc := parseJUnit(t, data); len(doc.Suites) != 0 {
		t.Errorf("got %d suites, want none", len(doc.Suites))
	}
}
