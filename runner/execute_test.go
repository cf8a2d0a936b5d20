package runner_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flowrun/flowrun/runner"
)

// slowServer answers /sleep/MS after MS milliseconds, /fail with 500,
// and anything else with a small JSON body.
func slowServer(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ms int
		if _, err := fmt.Sscanf(r.URL.Path, "/sleep/%d", &ms); err == nil {
			time.Sleep(time.Duration(ms) * time.Millisecond)
		}
		if r.URL.Path == "/fail" {
			w.WriteHeader(http.StatusInternalServerError)
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"path":%q,"padding":%q}`, r.URL.Path, strings.Repeat("x", 100))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestPassedStepsKeepNoBodies(t *testing.T) {
	srv := slowServer(t)
	p := plan(t, srv.URL, `provider: bodies
base_url: http://unused
flows:
  - name: one passes, one fails
    steps:
      - request: {method: POST, path: /ok, json: {a: 1}}
      - request: {path: /fail}
`)
	res := runner.Run(context.Background(), []*runner.Plan{p}, runner.Config{Client: noRedirects()})
	st := res.Specs[0].Flows[0].Steps
	ok, failed := st[0].Exchanges[0], st[1].Exchanges[0]
	if b := ok.Response.Body; b.Text != "" || !b.Omitted || b.Size == 0 {
		t.Errorf("passed step: got body %+v, want its size only", b)
	}
	if b := ok.Request.Body; b.Text != "" || !b.Omitted || b.Size != len(`{"a":1}`) {
		t.Errorf("passed step: got request body %+v, want its size only", b)
	}
	if len(ok.Response.Headers) == 0 {
		t.Errorf("passed step: the headers should stay")
	}
	if b := failed.Response.Body; !strings.Contains(b.Text, `"/fail"`) || b.Omitted {
		t.Errorf("failed step: got body %+v, want it kept", b)
	}
}

func TestRepeatSumsUpRuns(t *testing.T) {
	srv := slowServer(t)
	src := `provider: repeat
base_url: http://unused
flows:
  - name: flaky
    rows: [{name: a}, {name: b}]
    steps:
      - request: {path: /sleep/5, expect: {status: 200}}
`
	t.Run("summed up", func(t *testing.T) {
		res := runner.Run(context.Background(), []*runner.Plan{plan(t, srv.URL, src)}, runner.Config{Client: noRedirects(), Repeat: 20, Concurrency: 8})
		fl := res.Specs[0].Flows
		if len(fl) != 2 {
			t.Fatalf("got %d flows, want 2: one per row, each with its runs", len(fl))
		}
		for _, f := range fl {
			r := f.Runs
			if r == nil || r.Count != 20 || r.Passed != 20 || f.Status != runner.Passed {
				t.Fatalf("%s: got %s with runs %+v, want 20 passed", f.Name, f.Status, r)
			}
			if !(r.Min >= 5*time.Millisecond && r.Min <= r.P50 && r.P50 <= r.P90 && r.P90 <= r.P99 && r.P99 <= r.Max) {
				t.Errorf("%s: percentiles out of order: %+v", f.Name, r)
			}
			if f.Duration < 20*r.Min {
				t.Errorf("%s: got duration %s, want the runs' total", f.Name, f.Duration)
			}
		}
	})
	t.Run("a failing run is the one shown", func(t *testing.T) {
		var mu sync.Mutex
		n := 0
		flaky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			n++
			fail := n%4 == 0
			mu.Unlock()
			if fail {
				w.WriteHeader(http.StatusServiceUnavailable)
			}
		}))
		defer flaky.Close()
		p := plan(t, flaky.URL, "provider: x\nbase_url: http://unused\nflows:\n  - name: f\n    steps: [{request: {path: /}}]\n")
		res := runner.Run(context.Background(), []*runner.Plan{p}, runner.Config{Client: noRedirects(), Repeat: 12, Concurrency: 1})
		f := res.Specs[0].Flows[0]
		if f.Status != runner.Failed || f.Runs.Failed != 3 || f.Runs.Passed != 9 || f.Runs.First != 4 {
			t.Errorf("got %s with runs %+v, want failed, 3 of 12 failed, steps of run 4", f.Status, f.Runs)
		}
		if got := f.Steps[0].Exchanges[0].Response.Status; got != 503 {
			t.Errorf("got the steps of a run answered %d, want the failed run's", got)
		}
	})
	t.Run("report each", func(t *testing.T) {
		res := runner.Run(context.Background(), []*runner.Plan{plan(t, srv.URL, src)}, runner.Config{Client: noRedirects(), Repeat: 3, ReportEach: true})
		var names []string
		for _, f := range res.Specs[0].Flows {
			names = append(names, f.Name)
			if f.Runs != nil {
				t.Errorf("%s: a run reported on its own has no Runs", f.Name)
			}
		}
		want := "flaky [a] (run 1/3),flaky [a] (run 2/3),flaky [a] (run 3/3),flaky [b] (run 1/3),flaky [b] (run 2/3),flaky [b] (run 3/3)"
		if got := strings.Join(names, ","); got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	})
}

func TestFailFastRunsNoMoreFlows(t *testing.T) {
	srv := slowServer(t)
	p := plan(t, srv.URL, `provider: ff
base_url: http://unused
flows:
  - {name: first, steps: [{request: {path: /fail}}]}
  - {name: second, steps: [{request: {path: /ok}}]}
  - {name: third, steps: [{request: {path: /ok}}]}
`)
	res := runner.Run(context.Background(), []*runner.Plan{p}, runner.Config{Client: noRedirects(), FailFast: true, Concurrency: 1})
	var got []string
	for _, f := range res.Specs[0].Flows {
		got = append(got, f.Name+":"+string(f.Status))
		if f.Status == runner.Skipped && !strings.Contains(f.Reason, "--fail-fast") {
			t.Errorf("%s: got reason %q, want it to name --fail-fast", f.Name, f.Reason)
		}
	}
	if want := "first:failed,second:skipped,third:skipped"; strings.Join(got, ",") != want {
		t.Errorf("got %s, want %s", strings.Join(got, ","), want)
	}
}

// order records what an Observer hears; Run calls it from one goroutine
// at a time, so it needs no lock.
type order struct {
	begun   int
	flows   []string
	started int
	ended   int
}

func (o *order) Begin(r *runner.Result) { o.begun = r.Flows() }
func (o *order) Flow(_ *runner.SpecResult, f *runner.FlowResult) {
	o.flows = append(o.flows, f.Name+":"+string(f.Status))
}
func (o *order) Started(*runner.FlowResult) { o.started++ }
func (o *order) Ended(*runner.FlowResult)   { o.ended++ }

func TestObserverHearsFlowsInReportOrder(t *testing.T) {
	srv := slowServer(t)
	// The first flows are the slowest: they end last, and are still
	// passed on first.
	var b strings.Builder
	b.WriteString("provider: order\nbase_url: http://unused\nflows:\n")
	var want []string
	for i := range 8 {
		fmt.Fprintf(&b, "  - {name: f%d, steps: [{request: {path: /sleep/%d}}]}\n", i, 80-10*i)
		want = append(want, fmt.Sprintf("f%d:passed", i))
	}
	o := &order{}
	res := runner.Run(context.Background(), []*runner.Plan{plan(t, srv.URL, b.String())}, runner.Config{Client: noRedirects(), Concurrency: 8, Observer: o, Repeat: 2})
	if res.Status() != runner.Passed {
		t.Fatalf("got %s", res.Status())
	}
	if got := strings.Join(o.flows, ","); got != strings.Join(want, ",") {
		t.Errorf("got %s, want %s", got, strings.Join(want, ","))
	}
	if o.begun != 8 || o.started != 16 || o.ended != 16 {
		t.Errorf("got begin %d, started %d, ended %d; want 8 flows of 2 runs each", o.begun, o.started, o.ended)
	}
}

func TestSummarizeKeepsOnlyThePassedFlowsLines(t *testing.T) {
	srv := slowServer(t)
	p := plan(t, srv.URL, `provider: sum
base_url: http://unused
flows:
  - {name: passes, steps: [{request: {path: /ok}}, {request: {path: /ok, expect: {assert: ['json("path") == "/ok"']}}}]}
  - {name: fails, steps: [{request: {path: /ok}}, {request: {path: /fail}}]}
`)
	o := &order{}
	res := runner.Run(context.Background(), []*runner.Plan{p}, runner.Config{Client: noRedirects(), Summarize: true, Observer: o})
	passed, failed := res.Specs[0].Flows[0], res.Specs[0].Flows[1]
	if len(passed.Steps) != 2 || passed.Steps[1].Status != runner.Passed || passed.Steps[1].Pos.Line == 0 {
		t.Fatalf("got steps %+v, want each step's name, place and outcome kept", passed.Steps)
	}
	for _, st := range passed.Steps {
		if st.Exchanges != nil || st.Checks != nil {
			t.Errorf("a passed flow's step kept %d exchanges and %d checks, want none", len(st.Exchanges), len(st.Checks))
		}
	}
	if len(failed.Steps[0].Exchanges) != 1 || len(failed.Steps[1].Checks) == 0 {
		t.Errorf("a failed flow must keep everything, passed steps included")
	}
	if len(o.flows) != 2 {
		t.Errorf("the observer heard %d flows, want 2", len(o.flows))
	}
}
