package reports_test

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"

	"github.com/flowrun/flowrun/internal/reporttest"
	"github.com/flowrun/flowrun/reports"
)

func writeCTRF(t *testing.T, name string) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := reports.CTRF(&b, results()[name], reports.Options{Version: "1.4.0"}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestCTRFGolden(t *testing.T) {
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			golden(t, "ctrf_"+name+".golden.json", writeCTRF(t, name))
		})
	}
}

// TestCTRFMatchesSchema checks every report against ctrf-io/ctrf's
// schema/ctrf.schema.json (MIT), as kept in ../shared/schemas.
func TestCTRFMatchesSchema(t *testing.T) {
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			reporttest.ValidateCTRF(t, writeCTRF(t, name))
		})
	}
}

// ctrfRead is the part of a CTRF document the tests read.
type ctrfRead struct {
	Results struct {
		Summary struct {
			Tests, Passed, Failed, Pending, Skipped, Other, Suites int
			Start, Stop, Duration                                  int64
			Extra                                                  struct{ Errored int }
		}
		Tests []struct {
			Name, Status, RawStatus, Message, Trace, FilePath string
			Line, Retries                                     int
			Duration                                          int64
			Start, Stop                                       *int64
			Suite                                             []string
			Parameters                                        map[string]string
			Steps                                             []struct {
				Name, Status string
				Extra        struct{ RawStatus string }
			}
		}
		Extra struct {
			Status      string
			Interrupted bool
		}
	}
}

func readCTRF(t *testing.T, name string) ctrfRead {
	t.Helper()
	var d ctrfRead
	if err := json.Unmarshal(writeCTRF(t, name), &d); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestCTRFSummary(t *testing.T) {
	type counts struct{ tests, passed, failed, skipped, other, errored, suites int }
	for _, tc := range []struct {
		name string
		want counts
	}{
		{"passed", counts{tests: 1, passed: 1, suites: 1}},
		{"failed", counts{tests: 4, passed: 1, failed: 3, errored: 1, suites: 2}},
		{"errored", counts{tests: 3, passed: 1, failed: 2, errored: 2, suites: 2}},
		{"interrupted", counts{tests: 3, passed: 1, failed: 1, skipped: 1, errored: 1, suites: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := readCTRF(t, tc.name).Results.Summary
			got := counts{s.Tests, s.Passed, s.Failed, s.Skipped, s.Other, s.Extra.Errored, s.Suites}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
			if s.Pending != 0 {
				t.Errorf("got %d pending, want 0", s.Pending)
			}
			r := results()[tc.name]
			if start := r.Started.UnixMilli(); s.Start != start || s.Stop != start+r.Duration.Milliseconds() ||
				s.Duration != r.Duration.Milliseconds() {
				t.Errorf("got start %d, stop %d, duration %d; want %d, %d, %d", s.Start, s.Stop, s.Duration,
					start, start+r.Duration.Milliseconds(), r.Duration.Milliseconds())
			}
		})
	}
}

// TestCTRFErrored checks that an errored flow is a failed test that
// keeps "error" as its raw status, with its cause and place.
func TestCTRFErrored(t *testing.T) {
	d := readCTRF(t, "errored")
	var got []string
	for _, x := range d.Results.Tests {
		got = append(got, x.Name+": "+x.Status+"/"+x.RawStatus)
	}
	want := []string{"demo › login and call: passed/passed", "demo › server down: failed/error",
		"other › assertion cannot be evaluated: failed/error"}
	if !slices.Equal(got, want) {
		t.Fatalf("got tests %q, want %q", got, want)
	}
	down := d.Results.Tests[1]
	for _, c := range []struct{ what, got, want string }{
		{"message", down.Message, "step 1 login: no answer within the step's timeout of 30s"},
		{"trace", down.Trace, "step 1 login (specs/demo.yaml:32:9): error\n  error: no answer within the step's timeout of 30s\n" +
			"  POST http://127.0.0.1:4000/login → no response"},
		{"filePath", down.FilePath, "specs/demo.yaml"},
		{"suite", down.Suite[0], "demo"},
		{"step", down.Steps[0].Status + "/" + down.Steps[0].Extra.RawStatus, "failed/error"},
	} {
		if c.got != c.want {
			t.Errorf("server down: got %s %q, want %q", c.what, c.got, c.want)
		}
	}
	if down.Line != 32 || down.Duration != 30000 {
		t.Errorf("server down: got line %d, duration %d; want 32, 30000", down.Line, down.Duration)
	}
	expr := d.Results.Tests[2]
	if want := `step 1 request: json("slideshow.title"): could not be evaluated: the expression gave "Sample", not true or false (specs/demo.yaml:53:28)`; expr.Message != want {
		t.Errorf("expression error: got message %q, want %q", expr.Message, want)
	}
	if d.Results.Extra.Status != "error" {
		t.Errorf("got run status %q, want error", d.Results.Extra.Status)
	}
}

// TestCTRFInterrupted checks an interrupted run: the flow cut short is
// failed (error), the flow that never began is skipped with its reason
// and no times, and the run says it was interrupted.
func TestCTRFInterrupted(t *testing.T) {
	d := readCTRF(t, "interrupted")
	if !d.Results.Extra.Interrupted {
		t.Error("results.extra.interrupted is not set")
	}
	if len(d.Results.Tests) != 3 {
		t.Fatalf("got %d tests, want 3", len(d.Results.Tests))
	}
	cut, never := d.Results.Tests[1], d.Results.Tests[2]
	if cut.Status != "failed" || cut.RawStatus != "error" || cut.Message != "step 1 wait: the run was interrupted during the wait" {
		t.Errorf("cut short: got %s/%s %q", cut.Status, cut.RawStatus, cut.Message)
	}
	var steps []string
	for _, s := range cut.Steps {
		steps = append(steps, s.Name+" "+s.Status+"/"+s.Extra.RawStatus)
	}
	if want := []string{"step 1 wait failed/error", "step 2 call skipped/skipped"}; !slices.Equal(steps, want) {
		t.Errorf("cut short: got steps %q, want %q", steps, want)
	}
	if never.Status != "skipped" || never.RawStatus != "skipped" ||
		never.Message != "not run: the run was interrupted before this flow began" {
		t.Errorf("never began: got %s/%s %q", never.Status, never.RawStatus, never.Message)
	}
	if never.Start != nil || never.Stop != nil || never.Duration != 0 || never.Trace != "" || never.Line != 70 {
		t.Errorf("never began: got start %v, stop %v, duration %d, trace %q, line %d; want none, none, 0, none, 70",
			never.Start, never.Stop, never.Duration, never.Trace, never.Line)
	}
}

// TestCTRFFailed checks a failed assertion's message, line and the data
// row kept as a parameter.
func TestCTRFFailed(t *testing.T) {
	d := readCTRF(t, "failed")
	row := d.Results.Tests[2]
	if row.Name != "other › profile has the right name [mary]" || row.Parameters["row"] != "mary" {
		t.Errorf("got %q with parameters %v, want the row mary", row.Name, row.Parameters)
	}
	if want := `step 1 call: json("name") == "Mary" && token != old: expected true, got "Tom" == "Mary" is false (specs/demo.yaml:46:15)`; row.Message != want {
		t.Errorf("got message %q, want %q", row.Message, want)
	}
	if row.Line != 44 || row.Retries != 0 || row.Start == nil || *row.Stop-*row.Start != row.Duration {
		t.Errorf("got line %d, retries %d, start %v, duration %d; want 44, 0, set, stop-start", row.Line, row.Retries, row.Start, row.Duration)
	}
	if passed := d.Results.Tests[0]; passed.Message != "" || passed.Trace != "" || passed.Line != 10 {
		t.Errorf("passed flow: got message %q, trace %q, line %d; want none, none, 10", passed.Message, passed.Trace, passed.Line)
	}
}
