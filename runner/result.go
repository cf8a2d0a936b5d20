package runner

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/flowrun/flowrun/flows"
)

// Status is the outcome of a check, a step, a flow or a run.
type Status string

// The outcomes.
const (
	// Passed: every check held.
	Passed Status = "passed"
	// Failed: an expectation was false: the API did not behave as the spec says.
	Failed Status = "failed"
	// Errored: the step could not be carried out or judged: a transport
	// error, a timeout, a template or expression that could not be
	// evaluated, an interrupted run.
	Errored Status = "error"
	// Skipped: an earlier step of the flow did not pass, or the run ended
	// before the step or flow began; Reason or Error says which.
	Skipped Status = "skipped"
)

// Pos is a place in a spec file: file, line and column.
type Pos = flows.Pos

// Result is the outcome of a run: plain data that a reporter reads and
// never has to parse. Secrets are masked before any of it is stored, so
// every reporter may print all of it.
type Result struct {
	Started     time.Time     `json:"started"`
	Duration    time.Duration `json:"duration_ns"`
	Interrupted bool          `json:"interrupted,omitempty"`
	// Shard is the share of the flows this run ran, as "K/N"; empty when
	// it ran them all.
	Shard string       `json:"shard,omitempty"`
	Specs []SpecResult `json:"specs"`
	// Internal lists the bugs of flowrun met during the run, each of
	// which left its flow errored. Not part of any report: the CLI prints
	// them on stderr and exits 3.
	Internal []InternalError `json:"-"`
}

// SpecResult is the outcome of one spec file.
type SpecResult struct {
	File     string `json:"file"`
	Provider string `json:"provider"`
	// BaseURL is where requests went, with any password in it masked.
	BaseURL string `json:"base_url"`
	// BaseURLEnv names the environment variables that set the base URL.
	BaseURLEnv []string `json:"base_url_env,omitempty"`
	// Sandbox names the embedded simulator the spec ran against, if any.
	Sandbox string `json:"sandbox,omitempty"`
	// Servers are the spec's other servers, in name order.
	Servers []ServerResult `json:"servers,omitempty"`
	Flows   []FlowResult   `json:"flows"`
}

// ServerResult is where one of a spec's other servers was.
type ServerResult struct {
	Name string `json:"name"`
	// URL is the server's root, with any password in it masked.
	URL     string `json:"url"`
	Sandbox string `json:"sandbox,omitempty"`
}

// FlowResult is the outcome of one flow, or of one row of a data-driven flow.
type FlowResult struct {
	// Name is the flow's name; a data row's flow adds " [row]".
	Name string `json:"name"`
	// Row names the data row, if the flow is data-driven.
	Row      string        `json:"row,omitempty"`
	Pos      Pos           `json:"pos"`
	Tags     []string      `json:"tags,omitempty"`
	Status   Status        `json:"status"`
	Started  time.Time     `json:"started,omitzero"`
	Duration time.Duration `json:"duration_ns"`
	// Reason says why a flow did not run (Skipped): the run was
	// interrupted, or stopped early, before it began.
	Reason string `json:"reason,omitempty"`
	// Runs sums up a flow run several times (--repeat); Steps are then
	// those of the first run that did not pass, or of the first run.
	Runs  *Runs        `json:"runs,omitempty"`
	Steps []StepResult `json:"steps"`
}

// Runs sums up the runs of a flow run several times: how many ended each
// way, and the spread of their durations.
type Runs struct {
	Count   int `json:"count"`
	Passed  int `json:"passed"`
	Failed  int `json:"failed"`
	Errored int `json:"errored"`
	Skipped int `json:"skipped"`
	// First is the run, from 1, whose steps the flow result holds.
	First int `json:"first"`
	// The durations of the runs that ran: fastest, percentiles, slowest.
	Min time.Duration `json:"min_ns"`
	P50 time.Duration `json:"p50_ns"`
	P90 time.Duration `json:"p90_ns"`
	P95 time.Duration `json:"p95_ns"`
	P99 time.Duration `json:"p99_ns"`
	Max time.Duration `json:"max_ns"`
}

// StepResult is the outcome of one step.
type StepResult struct {
	Name     string        `json:"name"`
	Kind     string        `json:"kind"`
	Pos      Pos           `json:"pos"`
	Session  string        `json:"session,omitempty"`
	Status   Status        `json:"status"`
	Started  time.Time     `json:"started,omitzero"`
	Duration time.Duration `json:"duration_ns"`
	// Exchanges are the requests the step sent, each with what came back:
	// the step's own request first, then any the step adds (probes,
	// retries). A wait has none.
	Exchanges []Exchange `json:"exchanges,omitempty"`
	// Checks are the step's expectations, in the order they were judged.
	Checks []Check `json:"checks,omitempty"`
	// Captured names the values the step captured; values are not kept.
	Captured []string `json:"captured,omitempty"`
	// Error says why the step errored, or why it was skipped.
	Error string `json:"error,omitempty"`
}

// Exchange is one request a step sent and the response it got.
type Exchange struct {
	// Label says what the exchange was for; empty for the step's own request.
	Label    string        `json:"label,omitempty"`
	Started  time.Time     `json:"started"`
	Duration time.Duration `json:"duration_ns"`
	// Request is nil when the request could not be built.
	Request *Request `json:"request,omitempty"`
	// Response is nil when no answer came.
	Response *Response `json:"response,omitempty"`
	// Error says why no response came: a transport error or a timeout.
	Error string `json:"error,omitempty"`
}

// Request is a request as sent, with secrets masked.
type Request struct {
	Method  string   `json:"method"`
	URL     string   `json:"url"`
	Headers []Header `json:"headers,omitempty"`
	Body    Body     `json:"body,omitzero"`
}

// Response is a response as received, with secrets masked.
type Response struct {
	Status  int      `json:"status"`
	Headers []Header `json:"headers,omitempty"`
	Body    Body     `json:"body,omitzero"`
	// BodyLimit is set when the body was larger than what is read of one
	// (Config.Limits.Body, --max-body): the limit, in bytes. Body holds
	// the part read, and Body.Size counts only that part.
	BodyLimit int64 `json:"body_limit,omitempty"`
}

// Body is an excerpt of a message body: secrets were masked in the whole
// body before it was cut.
type Body struct {
	Text string `json:"text,omitempty"`
	// Size is the whole body's length in bytes.
	Size int `json:"size,omitempty"`
	// Truncated is set when Text holds only the first part of the body.
	Truncated bool `json:"truncated,omitempty"`
	// Omitted is set when the text was not kept: the step passed, and
	// passed steps keep only their bodies' sizes unless asked.
	Omitted bool `json:"omitted,omitempty"`

	// raw is the whole body until the flow ends and it is masked and cut.
	raw  []byte
	form bool
}

// Header is one header line.
type Header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// CheckKind says what a check checks.
type CheckKind string

// The kinds of checks.
const (
	// CheckStatus: the response status is one the step accepts.
	CheckStatus CheckKind = "status"
	// CheckAssert: an `assert` expression holds.
	CheckAssert CheckKind = "assert"
	// CheckCapture: a capture found its value.
	CheckCapture CheckKind = "capture"
	// CheckRotate: a refresh replaced a credential with a new value.
	CheckRotate CheckKind = "rotate"
	// CheckProbe: the API refused a request whose credentials a refusal
	// probe broke.
	CheckProbe CheckKind = "probe"
	// CheckReuse: a used refresh token sent again got what the refresh's
	// reuse policy says.
	CheckReuse CheckKind = "reuse"
	// CheckVerify: after a logout, a request with the old credentials
	// was refused.
	CheckVerify CheckKind = "verify"
	// CheckReauth: a call answered 401 logged in again and was retried
	// once (reauth: on-401).
	CheckReauth CheckKind = "reauth"
	// CheckJWT: a token holds what the step's jwt block says: its times,
	// claims and signature.
	CheckJWT CheckKind = "jwt"
	// CheckConformance: an answer holds to a standard the spec's
	// `conformance:` switches on (RFC 6750 §3, RFC 6749 §5.1 and §5.2,
	// the attributes of session cookies).
	CheckConformance CheckKind = "conformance"
)

// Check is one expectation of a step and how it was judged.
type Check struct {
	Pos  Pos       `json:"pos"`
	Kind CheckKind `json:"kind"`
	// Expr is the check as the spec writes it: the expression, "status",
	// "capture NAME" or "rotate NAME". It is never masked.
	Expr string `json:"expr"`
	// Status is Passed, Failed (the expectation was false) or Errored (it
	// could not be evaluated).
	Status   Status `json:"status"`
	Expected Value  `json:"expected"`
	Actual   Value  `json:"actual"`
	// Message explains a failure or an error: a failed comparison's
	// operands ("404 == 200 is false"), or the evaluation error.
	Message string `json:"message,omitempty"`
	// Exchange is the index in the step's Exchanges of the response judged.
	Exchange int `json:"exchange"`

	// explain is Message with a %s for each of operands: values shown
	// only once the flow has masked them.
	explain  string
	operands []string
}

// Passed reports whether the check held.
func (c Check) Passed() bool { return c.Status == Passed }

// Value is a value a check saw: as JSON, and as a report shows it.
type Value struct {
	// JSON is the value itself; absent when it is too large to keep.
	JSON json.RawMessage `json:"json,omitempty"`
	// Text is the value as a report shows it: strings quoted, long values cut.
	Text string `json:"text"`
}

// Status returns the run's outcome: Failed if any flow failed, else
// Errored if any errored or did not run, else Passed.
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

// Flows returns how many flows the result holds.
func (r *Result) Flows() int {
	n := 0
	for _, s := range r.Specs {
		n += len(s.Flows)
	}
	return n
}

// dropBodies keeps only the sizes of the step's bodies: a passed step's
// bodies are not worth their memory in a long run.
func (sr *StepResult) dropBodies() {
	drop := func(b *Body) {
		if b.raw != nil {
			*b = Body{Size: len(b.raw), Omitted: len(b.raw) > 0}
		}
	}
	for i := range sr.Exchanges {
		x := &sr.Exchanges[i]
		if x.Request != nil {
			drop(&x.Request.Body)
		}
		if x.Response != nil {
			drop(&x.Response.Body)
		}
	}
}

// Title is how reports name the step, the i-th of its flow (from 0):
// "step 2 call: read profile", or "step 1 login" when the step has no
// name of its own, with its session when it is not the default.
func (st StepResult) Title(i int) string {
	name := fmt.Sprintf("step %d %s", i+1, st.Kind)
	if st.Name != st.Kind && st.Name != "" {
		name += ": " + st.Name
	}
	if st.Session != "" && st.Session != "default" {
		name += " [session " + st.Session + "]"
	}
	return name
}
