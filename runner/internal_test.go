package runner_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/flowrun/flowrun/runner"
)

// panicky is a transport with a bug: it panics on one path.
type panicky struct{ next http.RoundTripper }

func (p panicky) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Path == "/bug" {
		panic("index out of range [3] with length 3")
	}
	return p.next.RoundTrip(r)
}

// TestPanicErrsItsFlowOnly: a bug met while running one flow errs that
// flow and is returned as an internal error; the other flows run and
// the result is complete, so every report can still be written.
func TestPanicErrsItsFlowOnly(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	p := plan(t, srv.URL, `provider: p
base_url: http://x
flows:
  - name: buggy
    steps: [{request: {path: /bug}}]
  - name: fine
    steps: [{request: {path: /ok}}]
`)
	res := runner.Run(context.Background(), []*runner.Plan{p}, runner.Config{Client: &http.Client{Transport: panicky{http.DefaultTransport}}})
	flows := res.Specs[0].Flows
	if flows[0].Status != runner.Errored || !strings.Contains(flows[0].Reason, "internal error: flowrun failed while running this flow (index out of range [3] with length 3)") {
		t.Errorf("buggy flow: got %s %q, want errored with the internal error", flows[0].Status, flows[0].Reason)
	}
	if flows[1].Status != runner.Passed {
		t.Errorf("fine flow: got %s, want passed", flows[1].Status)
	}
	if len(res.Internal) != 1 || res.Internal[0].Flow != "p › buggy" || !strings.Contains(res.Internal[0].Stack, "RoundTrip") {
		t.Errorf("got internal errors %+v, want one for p › buggy with its stack", res.Internal)
	}
}
