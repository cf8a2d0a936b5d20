package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flowrun/flowrun/reports"
	"github.com/flowrun/flowrun/runner"
)

// screen is one terminal that the flow lines (standard output) and the
// progress line (standard error) share: it records their writes in order.
type screen struct {
	mu     sync.Mutex
	writes []screenWrite
	drawn  chan struct{} // closed at the first draw of the progress line
	once   sync.Once
}

type screenWrite struct {
	stderr bool
	text   string
}

func newScreen() *screen { return &screen{drawn: make(chan struct{})} }

// side is the screen as standard output or as standard error.
type side struct {
	s      *screen
	stderr bool
}

func (w side) Write(b []byte) (int, error) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	text := string(b)
	w.s.writes = append(w.s.writes, screenWrite{w.stderr, text})
	if w.stderr && strings.HasPrefix(text, lineStart+"flowrun: ") {
		w.s.once.Do(func() { close(w.s.drawn) })
	}
	return len(b), nil
}

func (s *screen) stdout() side { return side{s, false} }
func (s *screen) stderr() side { return side{s, true} }

// check fails if a flow line was written while the progress line was
// shown, or if the line is still shown at the end; it returns the writes.
func (s *screen) check(t *testing.T) []screenWrite {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	shown := false
	for i, w := range s.writes {
		switch {
		case w.stderr && w.text == lineStart+clearLine:
			shown = false
		case w.stderr:
			shown = true
		case shown:
			t.Errorf("write %d: %q written over the progress line", i, w.text)
		}
	}
	if shown {
		t.Error("the progress line is still shown after the last flow")
	}
	return s.writes
}

// waitForDraw waits until the progress line has been drawn once.
func (s *screen) waitForDraw() error {
	select {
	case <-s.drawn:
		return nil
	case <-time.After(5 * time.Second):
		return fmt.Errorf("the progress line was never drawn")
	}
}

// stepClock returns start at its first call and start plus d after: the
// run's whole time, as the line sees it, is d.
func stepClock(start time.Time, d time.Duration) func() time.Time {
	var calls atomic.Int64
	return func() time.Time {
		if calls.Add(1) == 1 {
			return start
		}
		return start.Add(d)
	}
}

// tickerEnded fails if the progress line's ticker is still running.
func tickerEnded(t *testing.T, p *progress) {
	t.Helper()
	done := make(chan struct{})
	go func() { p.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Second):
		t.Fatal("the progress ticker is still running after the run")
	}
}

// progressPlans loads a spec of three flows, the second failing, against
// a server whose first answer waits for the progress line to be drawn.
func progressPlans(t *testing.T, scr *screen, first func(r *http.Request) error) (*httptest.Server, []*runner.Plan) {
	t.Helper()
	var answered atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !answered.Swap(true) {
			if err := first(r); err != nil {
				t.Error(err)
			}
		}
		if r.URL.Path == "/teapot" {
			w.WriteHeader(http.StatusTeapot)
		}
	}))
	t.Cleanup(srv.Close)
	spec := writeSpec(t, `provider: local
base_url: ${URL}
flows:
  - name: flow one
    steps: [{request: {path: /ok}}]
  - name: flow two
    steps: [{request: {path: /teapot, expect: {status: 200}}}]
  - name: flow three
    steps: [{request: {path: /ok}}]
`)
	a := &app{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, getenv: env(map[string]string{"URL": srv.URL})}
	plans, err := a.loadPlans([]string{spec})
	if err != nil {
		t.Fatal(err)
	}
	return srv, plans
}

func TestProgressLineAroundFlowLines(t *testing.T) {
	scr := newScreen()
	srv, plans := progressPlans(t, scr, func(*http.Request) error { return scr.waitForDraw() })
	term := reports.NewTerminal(scr.stdout(), reports.Options{})
	p := newProgress(scr.stderr(), term, stepClock(time.Unix(0, 0), 2*time.Second), time.Millisecond, 1)
	res := runner.Run(context.Background(), plans, runner.Config{Client: srv.Client(), Concurrency: 1, Observer: p})
	tickerEnded(t, p)
	if err := term.End(res); err != nil {
		t.Fatal(err)
	}
	writes := scr.check(t)
	// With one flow at a time, each flow has ended and the next not yet
	// begun when the line is drawn again under a flow's line.
	for _, tc := range []struct {
		flow, after string
	}{
		{"flow one", "flowrun: 1/3 flows · 0 failed · 0 running · 2s · 0.5/s"},
		{"flow two", "flowrun: 2/3 flows · 1 failed · 0 running · 2s · 1.0/s"},
		{"flow three", ""},
	} {
		i := flowLine(writes, tc.flow)
		if i < 0 {
			t.Fatalf("no line for %q:\n%+v", tc.flow, writes)
		}
		if before := writes[i-1]; !before.stderr || before.text != lineStart+clearLine {
			t.Errorf("%s: got %q before its line, want the progress line cleared", tc.flow, before.text)
		}
		next := ""
		for _, w := range writes[i+1:] {
			if w.stderr {
				next = w.text
				break
			}
		}
		want := ""
		if tc.after != "" {
			want = lineStart + tc.after + clearLine
		}
		if next != want {
			t.Errorf("%s: got %q drawn after its line, want %q", tc.flow, next, want)
		}
	}
}

// flowLine returns the index of the write of a flow's line, or -1.
func flowLine(writes []screenWrite, flow string) int {
	for i, w := range writes {
		if !w.stderr && strings.Contains(w.text, flow) {
			return i
		}
	}
	return -1
}

func TestProgressInterrupted(t *testing.T) {
	scr := newScreen()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, plans := progressPlans(t, scr, func(r *http.Request) error {
		err := scr.waitForDraw()
		cancel()
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
		return err
	})
	term := reports.NewTerminal(scr.stdout(), reports.Options{})
	p := newProgress(scr.stderr(), term, stepClock(time.Unix(0, 0), 2*time.Second), time.Millisecond, 1)
	res := runner.Run(ctx, plans, runner.Config{Client: srv.Client(), Concurrency: 1, Observer: p})
	tickerEnded(t, p)
	if !res.Interrupted {
		t.Error("got a run not interrupted, want it interrupted")
	}
	writes := scr.check(t)
	for _, flow := range []string{"flow one", "flow two", "flow three"} {
		if flowLine(writes, flow) < 0 {
			t.Errorf("no line for %q", flow)
		}
	}
}

// fakeClock is a clock the test sets.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestProgressLineContent(t *testing.T) {
	for _, tc := range []struct {
		name    string
		flows   int
		per     int
		ended   []runner.Status
		running int
		elapsed time.Duration
		want    string
	}{
		{name: "before a second has gone", flows: 3, per: 1, running: 1, elapsed: 900 * time.Millisecond},
		{name: "the first draw", flows: 3, per: 1, running: 1, elapsed: time.Second,
			want: "flowrun: 0/3 flows · 0 failed · 1 running · 1s · 0.0/s"},
		{name: "a long run", flows: 10000, per: 1, ended: statuses(1201, 2, 1), running: 8, elapsed: 12236 * time.Millisecond,
			want: "flowrun: 1,204/10,000 flows · 3 failed · 8 running · 12s · 98.4/s"},
		{name: "repeated flows count runs", flows: 2, per: 500, ended: statuses(40, 0, 0), running: 4, elapsed: 2 * time.Second,
			want: "flowrun: 40/1,000 runs · 0 failed · 4 running · 2s · 20.0/s"},
		{name: "minutes", flows: 1, per: 1000, ended: statuses(600, 0, 0), elapsed: 3*time.Minute + 5*time.Second,
			want: "flowrun: 600/1,000 runs · 0 failed · 0 running · 3m05s · 3.2/s"},
		{name: "hours", flows: 1, per: 1000000, ended: statuses(7329, 0, 0), elapsed: time.Hour + 2*time.Minute + 9*time.Second,
			want: "flowrun: 7,329/1,000,000 runs · 0 failed · 0 running · 1h02m09s · 2.0/s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			clock := &fakeClock{t: time.Unix(0, 0)}
			term := reports.NewTerminal(&bytes.Buffer{}, reports.Options{Quiet: true})
			// The ticker never ticks: the test draws.
			p := newProgress(&out, term, clock.now, time.Hour, tc.per)
			p.Begin(&runner.Result{Specs: []runner.SpecResult{{Flows: make([]runner.FlowResult, tc.flows)}}})
			for range len(tc.ended) + tc.running {
				p.Started(&runner.FlowResult{})
			}
			for _, s := range tc.ended {
				p.Ended(&runner.FlowResult{Status: s})
			}
			clock.add(tc.elapsed)
			p.redraw()
			want := ""
			if tc.want != "" {
				want = lineStart + tc.want + clearLine
			}
			if got := out.String(); got != want {
				t.Errorf("got %q, want %q", got, want)
			}
			out.Reset()
			p.stop()
			tickerEnded(t, p)
			if got := out.String(); tc.want != "" && got != lineStart+clearLine {
				t.Errorf("got %q at the stop, want the line cleared", got)
			}
		})
	}
}

// statuses returns the statuses of runs that passed, failed and errored.
func statuses(passed, failed, errored int) []runner.Status {
	var out []runner.Status
	for _, n := range []struct {
		s runner.Status
		n int
	}{{runner.Passed, passed}, {runner.Failed, failed}, {runner.Errored, errored}} {
		for range n.n {
			out = append(out, n.s)
		}
	}
	return out
}

func TestProgressOfNoFlowStartsNoTicker(t *testing.T) {
	var out bytes.Buffer
	p := newProgress(&out, reports.NewTerminal(&bytes.Buffer{}, reports.Options{}), time.Now, time.Millisecond, 1)
	p.Begin(&runner.Result{})
	tickerEnded(t, p)
	p.stop()
	if out.Len() != 0 {
		t.Errorf("got %q, want nothing written", out.String())
	}
}

func TestProgressAllowed(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    runFlags
		env  map[string]string
		want bool
	}{
		{name: "a plain run", want: true},
		{name: "--no-progress", f: runFlags{noProgress: true}},
		{name: "--quiet", f: runFlags{quiet: true}},
		{name: "CI=true", env: map[string]string{"CI": "true"}},
		{name: "CI=1", env: map[string]string{"CI": "1"}},
		{name: "CI empty", env: map[string]string{"CI": ""}, want: true},
		{name: "GITHUB_ACTIONS=true", env: map[string]string{"GITHUB_ACTIONS": "true"}},
		{name: "GITHUB_ACTIONS=false", env: map[string]string{"GITHUB_ACTIONS": "false"}, want: true},
		{name: "TERM=dumb", env: map[string]string{"TERM": "dumb"}},
		{name: "--repeat", f: runFlags{repeat: 100}, want: true},
	} {
		if got := progressAllowed(tc.f, env(tc.env)); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestProgressOnlyOnATerminal(t *testing.T) {
	tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0)
	if err != nil {
		tty = nil // no terminal here: only the negative cases are checked
	} else {
		defer tty.Close()
	}
	r, w, _ := os.Pipe()
	defer r.Close()
	defer w.Close()
	for _, tc := range []struct {
		name   string
		stderr any
		env    map[string]string
		f      runFlags
		want   bool
	}{
		{name: "a buffer", stderr: &bytes.Buffer{}},
		{name: "a pipe", stderr: w},
		{name: "a terminal", stderr: tty, want: true},
		{name: "a terminal, CI=true", stderr: tty, env: map[string]string{"CI": "true"}},
		{name: "a terminal, --no-progress", stderr: tty, f: runFlags{noProgress: true}},
	} {
		if f, ok := tc.stderr.(*os.File); ok && f == nil {
			continue
		}
		a := &app{stderr: tc.stderr.(interface{ Write([]byte) (int, error) }), getenv: env(tc.env)}
		term := reports.NewTerminal(&bytes.Buffer{}, reports.Options{})
		_, isProgress := a.observer(term, tc.f).(*progress)
		if isProgress != tc.want {
			t.Errorf("%s: got a progress line %v, want %v", tc.name, isProgress, tc.want)
		}
	}
}

func TestProgressNotOnABuffer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	spec := writeSpec(t, `provider: local
base_url: ${URL}
flows:
  - name: answers
    steps: [{request: {path: /}}]
`)
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
	}{
		{name: "standard error not a terminal"},
		{name: "CI=true", env: map[string]string{"CI": "true"}},
		{name: "--no-progress", args: []string{"--no-progress"}},
	} {
		vars := map[string]string{"URL": srv.URL}
		for k, v := range tc.env {
			vars[k] = v
		}
		code, _, stderr := cli(t, context.Background(), vars, append([]string{"run", spec}, tc.args...)...)
		if code != exitPassed {
			t.Fatalf("%s: exit code: got %d, want %d\n%s", tc.name, code, exitPassed, stderr)
		}
		if stderr != "" {
			t.Errorf("%s: got %q on standard error, want nothing", tc.name, stderr)
		}
	}
}
