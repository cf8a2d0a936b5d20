package runner_test

import (
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"

	"github.com/flowrun/flowrun/runner"
)

// seen is a transport that writes down the step of every request.
type seen struct {
	mu    sync.Mutex
	steps []string
}

func (s *seen) RoundTrip(req *http.Request) (*http.Response, error) {
	si, ok := runner.StepOf(req.Context())
	s.mu.Lock()
	s.steps = append(s.steps, fmt.Sprintf("%v %s %s %s/%s", ok, si.Flow, si.Step, si.Kind, si.Part))
	s.mu.Unlock()
	return http.DefaultTransport.RoundTrip(req)
}

func TestStepOfNamesEveryRequestsStep(t *testing.T) {
	srv := jwtAPI(t, "")
	tr := &seen{}
	client := &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res := run(t, plan(t, srv.URL, probeSpec), runner.Config{Client: client, Concurrency: 1, MarkSteps: true})
	if res.Status() != runner.Passed {
		t.Fatalf("the run did not pass: %s", res.Status())
	}
	for _, want := range []string{
		"true every call is probed login login/",
		"true every call is probed call call/",
		"true every call is probed call call/probe",
	} {
		if !slices.Contains(tr.steps, want) {
			t.Errorf("no request was marked %q; got %q", want, tr.steps)
		}
	}
	for _, s := range tr.steps {
		if s[:4] != "true" {
			t.Errorf("a request carries no step: %q", s)
		}
	}
}
