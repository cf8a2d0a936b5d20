package runner

import (
	"fmt"
	"slices"
	"sync"
	"time"
)

// tally gathers the runs of a flow run several times into one result.
type tally struct {
	mu        sync.Mutex
	left      int
	runs      Runs
	durations []time.Duration
	// first is the run whose steps the flow reports, and its number.
	first    *FlowResult
	firstRun int
	started  time.Time
}

// rank orders outcomes by how much a run that had them tells: a failure
// first, then an error, a run that did not begin, a pass.
func rank(s Status) int {
	switch s {
	case Failed:
		return 0
	case Errored:
		return 1
	case Skipped:
		return 2
	}
	return 3
}

// add counts one run; it reports whether it was the last.
func (t *tally) add(run int, fr *FlowResult) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.left--
	t.runs.Count++
	switch fr.Status {
	case Passed:
		t.runs.Passed++
	case Failed:
		t.runs.Failed++
	case Errored:
		t.runs.Errored++
	default:
		t.runs.Skipped++
	}
	if fr.Status != Skipped {
		t.durations = append(t.durations, fr.Duration)
	}
	if !fr.Started.IsZero() && (t.started.IsZero() || fr.Started.Before(t.started)) {
		t.started = fr.Started
	}
	if t.first == nil || rank(fr.Status) < rank(t.first.Status) ||
		(rank(fr.Status) == rank(t.first.Status) && run < t.firstRun) {
		t.first, t.firstRun = fr, run
	}
	return t.left == 0
}

// result is the flow's result over every run: the steps of the first run
// that did not pass (or of the first run), with the runs summed up.
func (t *tally) result() FlowResult {
	out := *t.first
	runs := t.runs
	runs.First = t.firstRun
	d := slices.Sorted(slices.Values(t.durations))
	if len(d) > 0 {
		runs.Min, runs.Max = d[0], d[len(d)-1]
		runs.P50, runs.P90, runs.P95, runs.P99 = percentile(d, 50), percentile(d, 90), percentile(d, 95), percentile(d, 99)
	}
	out.Started = t.started
	var total time.Duration
	for _, x := range d {
		total += x
	}
	out.Duration = total
	out.Runs = &runs
	return out
}

// percentile returns the p-th percentile of sorted durations, by the
// nearest-rank method: a duration some run took.
func percentile(sorted []time.Duration, p int) time.Duration {
	i := (p*len(sorted) + 99) / 100
	return sorted[max(i, 1)-1]
}

// slot is one flow of the result, and the runs that make it.
type slot struct {
	name string
	runs []int
}

// slotsOf returns the flows of the result that an instance makes: one
// with every run, or with --report-each one per run, named for it.
func slotsOf(in flowInstance, cfg *Config) []slot {
	if !cfg.ReportEach || cfg.Repeat == 1 {
		runs := make([]int, cfg.Repeat)
		for r := range runs {
			runs[r] = r + 1
		}
		return []slot{{name: in.name, runs: runs}}
	}
	out := make([]slot, cfg.Repeat)
	for r := range out {
		out[r] = slot{name: fmt.Sprintf("%s (run %d/%d)", in.name, r+1, cfg.Repeat), runs: []int{r + 1}}
	}
	return out
}
