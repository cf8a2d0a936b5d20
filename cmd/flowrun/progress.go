package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/flowrun/flowrun/reports"
	"github.com/flowrun/flowrun/runner"
)

// How the progress line is drawn: often enough to look alive, seldom
// enough to cost nothing, and not at all in a run that ends at once.
const (
	progressEvery = 150 * time.Millisecond
	progressAfter = time.Second
)

// observer returns what hears the run as it goes: the terminal report,
// under a live progress line when one is wanted.
func (a *app) observer(term *reports.TerminalWriter, f runFlags) runner.Observer {
	if !a.progressWanted(f) {
		return term
	}
	return newProgress(a.stderr, term, time.Now, progressEvery, runsPerFlow(f))
}

// progressWanted reports whether `flowrun run` shows a progress line:
// only when standard error is a terminal.
func (a *app) progressWanted(f runFlags) bool {
	return progressAllowed(f, a.getenv) && isTerminal(a.stderr)
}

// progressAllowed reports whether the flags and the environment allow a
// progress line: not with --no-progress, not with --quiet (the summary
// line only), not under CI (its log keeps every redraw), not on a
// terminal that cannot clear a line.
func progressAllowed(f runFlags, getenv func(string) (string, bool)) bool {
	if f.noProgress || f.quiet {
		return false
	}
	if v, _ := getenv("CI"); v != "" {
		return false
	}
	if v, _ := getenv("GITHUB_ACTIONS"); v == "true" {
		return false
	}
	v, _ := getenv("TERM")
	return v != "dumb"
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// runsPerFlow is how many runs each reported flow sums up.
func runsPerFlow(f runFlags) int {
	if f.reportEach {
		return 1
	}
	return max(f.repeat, 1)
}

// The terminal sequences of the line: back to its start, and clear to
// the end of it.
const (
	lineStart = "\r"
	clearLine = "\x1b[K"
)

// progress is a runner.Tracker that keeps a live line of the run's
// progress on w, under the flow lines its inner observer writes. Both
// share one screen, so the line is cleared before each flow line and
// drawn again after it; it is cleared for good once the last flow has
// been delivered, before the report's end is written.
type progress struct {
	w     io.Writer
	inner runner.Observer
	now   func() time.Time
	every time.Duration  // between draws
	after time.Duration  // no line before the run has gone on this long
	per   int            // runs per flow
	wg    sync.WaitGroup // the ticker

	// mu guards the fields below and every write to w and to inner.
	mu                    sync.Mutex
	start                 time.Time
	flows, delivered      int
	done, failed, running int
	shown, stopped        bool
	quit                  chan struct{}
}

func newProgress(w io.Writer, inner runner.Observer, now func() time.Time, every time.Duration, per int) *progress {
	return &progress{w: w, inner: inner, now: now, every: every, after: progressAfter, per: max(per, 1),
		quit: make(chan struct{})}
}

// Begin counts the flows and starts the line's clock.
func (p *progress) Begin(r *runner.Result) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.inner.Begin(r)
	p.start = p.now()
	p.flows = r.Flows()
	if p.flows == 0 {
		p.stopped = true
		close(p.quit)
		return
	}
	p.wg.Go(p.tick)
}

// Flow writes the flow's line with the progress line out of its way.
func (p *progress) Flow(s *runner.SpecResult, f *runner.FlowResult) {
	p.mu.Lock()
	shown := p.shown
	p.clear()
	p.inner.Flow(s, f)
	p.delivered++
	last := p.delivered >= p.flows
	if !last && shown {
		p.draw()
	}
	p.mu.Unlock()
	if last {
		// An interrupted run also delivers every flow (as not run), so
		// the ticker always ends here.
		p.stop()
	}
}

// Started counts a run that began.
func (p *progress) Started(*runner.FlowResult) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.running++
}

// Ended counts a run that ended, and whether it did not pass.
func (p *progress) Ended(f *runner.FlowResult) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.running--
	p.done++
	if f.Status == runner.Failed || f.Status == runner.Errored {
		p.failed++
	}
}

// tick draws the line every interval until the progress is stopped.
func (p *progress) tick() {
	t := time.NewTicker(p.every)
	defer t.Stop()
	for {
		select {
		case <-p.quit:
			return
		case <-t.C:
			p.redraw()
		}
	}
}

// redraw draws the line, once the run has gone on long enough.
func (p *progress) redraw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.stopped && p.now().Sub(p.start) >= p.after {
		p.draw()
	}
}

// stop clears the line for good and returns when the ticker has ended.
func (p *progress) stop() {
	p.mu.Lock()
	if !p.stopped {
		p.stopped = true
		close(p.quit)
		p.clear()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// draw writes the line over the one shown; the caller holds mu.
func (p *progress) draw() {
	fmt.Fprint(p.w, lineStart+p.line()+clearLine)
	p.shown = true
}

// clear blanks the line if it is shown; the caller holds mu.
func (p *progress) clear() {
	if p.shown {
		fmt.Fprint(p.w, lineStart+clearLine)
		p.shown = false
	}
}

// line is the progress as it reads now: runs done of the total, how many
// did not pass and how many are under way, the time gone and the pace.
func (p *progress) line() string {
	unit := "flows"
	if p.per > 1 {
		unit = "runs"
	}
	elapsed := p.now().Sub(p.start)
	rate := 0.0
	if elapsed > 0 {
		rate = float64(p.done) / elapsed.Seconds()
	}
	return fmt.Sprintf("flowrun: %s/%s %s · %s failed · %s running · %s · %.1f/s",
		thousands(p.done), thousands(p.flows*p.per), unit, thousands(p.failed), thousands(p.running),
		elapsedText(elapsed), rate)
}

// thousands writes n with a comma between each group of three digits.
func thousands(n int) string {
	if n < 0 {
		return "-" + thousands(-n)
	}
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// elapsedText writes a time in whole seconds: 12s, 3m05s, 1h02m09s.
func elapsedText(d time.Duration) string {
	s := int(d / time.Second)
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	}
	return fmt.Sprintf("%dh%02dm%02ds", s/3600, s/60%60, s%60)
}
