package runner_test

import (
	"context"
	"fmt"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flowrun/flowrun/examples/sandbox"
	"github.com/flowrun/flowrun/runner"
)

// sandboxSpec is the MIC spec's login, call and logout as one
// data-driven flow, without refusal probes: three requests a row.
const sandboxSpec = `
provider: mic
base_url: http://unused
headers: {x-api-key: "{{api_key}}"}
vars: {api_key: sandbox-api-key, username: alice, password: alice-password}
secrets: [api_key, password]
auth:
  refused: [401, 403]
  headers: {Authorization: "{{token}}", identityId: "{{identity_id}}"}
requests:
  login:
    method: POST
    path: /auth/login
    json: {userName: "{{username}}", password: "{{password}}"}
    capture: {token: credentials.token, identity_id: credentials.identityId, refresh_token: credentials.refreshToken}
    expect: {status: 200}
  logout: {method: POST, path: /auth/logout, expect: {status: 200}}
  user: {method: GET, path: "/users/{{username}}"}
flows:
  - name: log in, read the user, log out
    steps:
      - login: {}
      - call: {use: user, expect: {status: 200, assert: ['json("userName") == username']}}
      - logout: {}
`

// BenchmarkSandbox runs 10,000 flows against the embedded MIC simulator,
// four at a time as the CLI does, and reports the flows a second, the
// peak heap during the run and the heap the result holds after it, each
// also per 1,000 flows. "results" keeps every flow's exchanges, as a run
// whose reports print them does; "summarized" keeps only what a summary
// needs of each passed flow (Config.Summarize), so memory stays flat. The
// simulator shares the process and its heap.
func BenchmarkSandbox(b *testing.B) {
	const n = 10_000
	srv, err := sandbox.Start("mic", sandbox.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	var rows strings.Builder
	for i := range n {
		fmt.Fprintf(&rows, "{n: %d},", i)
	}
	p := plan(b, srv.URL, sandboxSpec+"    rows: ["+strings.TrimSuffix(rows.String(), ",")+"]\n")
	for _, summarize := range []bool{false, true} {
		name := "results"
		if summarize {
			name = "summarized"
		}
		b.Run(name, func(b *testing.B) {
			cfg := runner.Config{Client: pooled(8), Concurrency: 4, Summarize: summarize}
			var elapsed time.Duration
			var peak, held uint64
			for b.Loop() {
				base := liveHeap()
				stop := sampleHeap(&peak)
				start := time.Now()
				res := runner.Run(context.Background(), []*runner.Plan{p}, cfg)
				elapsed += time.Since(start)
				stop()
				if res.Status() != runner.Passed || res.Flows() != n {
					b.Fatalf("%d flows: %v", res.Flows(), res.Counts())
				}
				after := liveHeap()
				held = max(held, after-min(base, after))
				runtime.KeepAlive(res)
			}
			const mb = 1 << 20
			b.ReportMetric(float64(n*b.N)/elapsed.Seconds(), "flows/s")
			b.ReportMetric(float64(peak)/mb, "peak-heap-MB")
			b.ReportMetric(float64(peak)/mb/(n/1000), "peak-MB/1k-flows")
			b.ReportMetric(float64(held)/mb, "held-MB")
			b.ReportMetric(float64(held)/mb/(n/1000), "held-MB/1k-flows")
		})
	}
}

// liveHeap collects garbage and returns the bytes of live heap objects.
func liveHeap() uint64 {
	runtime.GC()
	return heapObjects()
}

func heapObjects() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// sampleHeap records into peak the most heap seen, every millisecond,
// until the returned func is called.
func sampleHeap(peak *uint64) (stop func()) {
	var done atomic.Bool
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for !done.Load() {
			*peak = max(*peak, heapObjects())
			time.Sleep(time.Millisecond)
		}
	}()
	return func() {
		done.Store(true)
		<-finished
		*peak = max(*peak, heapObjects())
	}
}
