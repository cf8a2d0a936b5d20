package runner

import "time"

// Status is the outcome of a step, a flow or a run.
type Status string

// The outcomes.
const (
	// Passed: every check held.
	Passed Status = "passed"
	// Failed: a check was false: the API did not behave as the spec says.
	Failed Status = "failed"
	// Errored: the step could not be carried out (transport error, a
	// template that could not be rendered, an interrupted run).
	Errored Status = "error"
	// Skipped: an earlier step of the flow did not pass, or the run was
	// interrupted before the step.
	Skipped Status = "skipped"
)

// Result is the outcome of a run. Secrets are masked before it leaves
// the runner, so every reporter may print all of it.
type Result struct {
	Started     time.Time     `json:"started"`
	Duration    time.Duration `json:"duration_ns"`
	Interrupted bool          `json:"interrupted,omitempty"`
	Specs       []SpecResult  `json:"specs"`
}

// SpecResult is the outcome of one spec file.
type SpecResult struct {
	File     string `json:"file"`
	Provider string `json:"provider"`
	BaseURL  string `json:"base_url"`
	// Sandbox names the embedded simulator the spec ran against, if any.
	Sandbox string       `json:"sandbox,omitempty"`
	Flows   []FlowResult `json:"flows"`
}

// FlowResult is the outcome of one flow.
type FlowResult struct {
	Name     string        `json:"name"`
	Place    string        `json:"place"`
	Tags     []string      `json:"tags,omitempty"`
	Status   Status        `json:"status"`
	Duration time.Duration `json:"duration_ns"`
	Steps    []StepResult  `json:"steps"`
}

// StepResult is the outcome of one step.
type StepResult struct {
	Name     string        `json:"name"`
	Kind     string        `json:"kind"`
	Place    string        `json:"place"`
	Session  string        `json:"session,omitempty"`
	Status   Status        `json:"status"`
	Duration time.Duration `json:"duration_ns"`
	Request  *Request      `json:"request,omitempty"`
	Response *Response     `json:"response,omitempty"`
	Checks   []Check       `json:"checks,omitempty"`
	// Captured names the values the step captured; values are not kept.
	Captured []string `json:"captured,omitempty"`
	// Error says why a step errored or failed outside its checks.
	Error string `json:"error,omitempty"`
}

// Request is the request a step sent, as sent (with secrets masked).
type Request struct {
	Method  string   `json:"method"`
	URL     string   `json:"url"`
	Headers []Header `json:"headers,omitempty"`
	Body    string   `json:"body,omitempty"`
}

// Response is what came back (with secrets masked; the body is cut at
// bodyKeep bytes).
type Response struct {
	Status  int      `json:"status"`
	Headers []Header `json:"headers,omitempty"`
	Body    string   `json:"body,omitempty"`
}

// Header is one header line.
type Header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Check is one expectation of a step: the status, an assertion, a capture
// or a rotation.
type Check struct {
	Place    string `json:"place"`
	Expr     string `json:"expr"`
	Expected string `json:"expected"`
	Actual   string `json:"actual"`
	Passed   bool   `json:"passed"`
}

// Status returns the run's outcome: Failed if any flow failed, else
// Errored if any errored, else Passed.
func (r *Result) Status() Status {
	st := Passed
	for _, s := range r.Specs {
		for _, f := range s.Flows {
			switch f.Status {
			case Failed:
				return Failed
			case Errored, Skipped:
				st = Errored
			}
		}
	}
	return st
}

// Counts returns how many flows passed, failed, errored and were skipped.
func (r *Result) Counts() map[Status]int {
	out := map[Status]int{}
	for _, s := range r.Specs {
		for _, f := range s.Flows {
			out[f.Status]++
		}
	}
	return out
}
