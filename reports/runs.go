package reports

import (
	"fmt"
	"strings"

	"github.com/flowrun/flowrun/runner"
)

// runsNote sums up a flow run several times (--repeat): how the runs
// ended, their latency percentiles, and which run's steps the report
// shows. Empty for a flow run once.
func runsNote(r *runner.Runs) string {
	if r == nil {
		return ""
	}
	var ends []string
	for _, c := range []struct {
		n    int
		word string
	}{{r.Passed, "passed"}, {r.Failed, "failed"}, {r.Errored, "errored"}, {r.Skipped, "not run"}} {
		if c.n > 0 {
			ends = append(ends, fmt.Sprintf("%d %s", c.n, c.word))
		}
	}
	note := fmt.Sprintf("%d runs: %s", r.Count, strings.Join(ends, ", "))
	if r.Count > r.Skipped {
		note += fmt.Sprintf("; p50 %s, p90 %s, p99 %s, max %s", round(r.P50), round(r.P90), round(r.P99), round(r.Max))
	}
	if r.Passed < r.Count {
		note += fmt.Sprintf("; steps of run %d", r.First)
	}
	return note
}
