package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/flowrun/flowrun/flows"
)

// CheckRetry: a step sent its request more than once, again after a
// transport error or a retry_on status (--retries), or until its
// `retry: until` held. Its actual value is the number of attempts.
const CheckRetry CheckKind = "retry"

// MaxRetries bounds Config.Retries.
const MaxRetries = 10

// The waits between attempts: an exponential backoff with jitter, and
// the longest wait a Retry-After may ask for.
const (
	backoffBase  = 200 * time.Millisecond
	backoffMax   = 5 * time.Second
	maxRetryWait = time.Minute
)

// pollPlan is a compiled `retry: {until, every, for}`.
type pollPlan struct {
	*flows.Retry
	until *assertion
	uses  uses
}

// poll compiles the retry of a step's request: its until is an
// assertion, in the scope of the step's assertions less its captures,
// which are taken only from the last answer.
func (c *compiler) poll(req *flows.Request, what string, sc *scope) *pollPlan {
	r := req.Retry
	if r == nil || r.Until == "" {
		return nil
	}
	a, err := compileAssertion(r.Until, sc)
	if err != nil {
		hint := undefinedHint(err, sc)
		if m := unknownName.FindStringSubmatch(err.Error()); m != nil {
			if i := slices.IndexFunc(req.Capture, func(cp flows.Capture) bool { return cp.Name == m[1] }); i >= 0 {
				hint = fmt.Sprintf("; %s is this step's capture, taken from its last answer only: read the answer itself, %s", m[1], reading(req.Capture[i].Source))
			}
		}
		c.errorf(r.UntilPos, "%s: retry: until %q: %s%s", what, r.Until, firstLine(err), hint)
		return nil
	}
	a.pos = r.UntilPos
	return &pollPlan{Retry: r, until: a, uses: usesOf(a.prog)}
}

// reading says how an expression reads what a capture source names.
func reading(source string) string {
	if name, ok := strings.CutPrefix(source, "header:"); ok {
		return fmt.Sprintf("header(%q)", strings.TrimSpace(name))
	}
	if name, ok := strings.CutPrefix(source, "cookie:"); ok {
		return fmt.Sprintf("cookie(%q)", strings.TrimSpace(name))
	}
	if source == "status" {
		return "status"
	}
	return fmt.Sprintf("json(%q)", source)
}

// attempt is one sending of a step's request: err is set when no answer came.
type attempt struct {
	req  *http.Request
	body []byte
	resp *response
	err  error
}

// retrying is the state of a step's attempts.
type retrying struct {
	f     *flowRun
	sp    *stepPlan
	sr    *StepResult
	label string
	// n counts the attempts; most is the retries allowed, left those
	// not yet used.
	n, most, left int
	start         time.Time
	// window bounds the waits: the step's time limit bounds their sum, so
	// that an attempt that timed out may be retried; a poll's for bounds
	// the whole poll.
	window, waited time.Duration
	// until is the poll's judgement of the answer of attempt judged.
	until  Check
	judged int
	// why says why an error was not retried; declined is set when an
	// attempt could have been retried and was not, which its label says.
	why      string
	declined bool
}

// attempts sends the step's request and, as Config.Retries and the step's
// retry say, sends it again: each attempt is an exchange of the step,
// labelled with its number and what came of it, and a retry check sums
// them up. It returns the last attempt; ok is false when the step errored.
//
// A transport error is retried when the request cannot have reached the
// API (a refused connection), or when its method is idempotent; a
// status under retry_on is retried whatever the method, as the spec
// says it means "not done". A status the step expects is never retried.
func (f *flowRun) attempts(ctx context.Context, sp *stepPlan, s *session, env map[string]any, label string, sr *StepResult) (*http.Request, []byte, *response, bool) {
	if f.cfg.Retries <= 0 && sp.poll == nil {
		return f.exchange(ctx, sp, s, env, label, sr)
	}
	most := min(f.cfg.Retries, MaxRetries)
	r := &retrying{f: f, sp: sp, sr: sr, label: label, most: most, left: most, start: time.Now(), window: f.timeout(sp)}
	if sp.poll != nil {
		r.window = sp.poll.For
	}
	for {
		a, built := f.try(ctx, sp, s, env, sr)
		if !built {
			return nil, nil, nil, false
		}
		r.n++
		what, wait, again := r.decide(ctx, a, env)
		r.note(what)
		if !again {
			return r.end(a, env)
		}
		r.waited += wait
		if !sleep(ctx, wait) {
			r.note(what + ": interrupted during the wait")
			c := r.check(a)
			c.Status, c.Message = Errored, "interrupted during the wait"
			r.sr.Checks = append(r.sr.Checks, c)
			sr.Status, sr.Error = Errored, "the run was interrupted while waiting to send the request again"
			return nil, nil, nil, false
		}
	}
}

// try sends the step's request once and records it as an exchange of the
// step. built is false when the request could not be built; sr says why.
func (f *flowRun) try(ctx context.Context, sp *stepPlan, s *session, env map[string]any, sr *StepResult) (attempt, bool) {
	ctx, cancel := context.WithTimeout(ctx, f.timeout(sp))
	defer cancel()
	req, body, err := f.build(ctx, sp, s, env)
	if err != nil {
		sr.Status, sr.Error = Errored, err.Error()
		return attempt{}, false
	}
	f.learnRequest(sp, req, body)
	x := Exchange{Started: f.cfg.Now(), Request: snapshot(req, body)}
	resp, err := f.send(req, s)
	x.Duration = f.cfg.Now().Sub(x.Started)
	if err != nil {
		x.Error = sendError(err, f.timeout(sp))
	} else {
		f.learnResponse(resp)
		x.Response = resp.snapshot()
	}
	f.addExchange(sr, x)
	return attempt{req: req, body: body, resp: resp, err: err}, true
}

// decide says what came of an attempt and whether, and after how long, to
// send the request again.
func (r *retrying) decide(ctx context.Context, a attempt, env map[string]any) (what string, wait time.Duration, again bool) {
	left := r.window - r.waited
	if r.sp.poll != nil {
		left = r.window - time.Since(r.start)
	}
	if a.err != nil {
		what, why := fault(a.err, a.req.Method)
		switch {
		case ctx.Err() != nil:
			return "interrupted", 0, false
		case r.left == 0 && r.most > 0:
			return what + ", no retries left", 0, false
		case r.left == 0:
			return what, 0, false
		case why != "":
			r.why, r.declined = "not sent again: "+why, true
			return what + ", " + r.why, 0, false
		}
		return r.retry(what, backoff(r.most-r.left+1), "", left)
	}
	status := a.resp.status
	if r.retried(status) {
		what := strconv.Itoa(status)
		d, ok := retryAfter(a.resp, r.f.cfg.Now())
		switch {
		case r.left == 0 && r.sp.poll == nil:
			return what + ", no retries left", 0, false
		case r.left == 0:
			// The poll goes on, as its until says.
		case !ok:
			return r.retry(what, backoff(r.most-r.left+1), "", left)
		case d > maxRetryWait:
			r.declined = true
			return fmt.Sprintf("%s, not retried: Retry-After asks %s, more than a wait may last (%s)", what, shortDuration(d), maxRetryWait), 0, false
		case d > left:
			r.declined = true
			return fmt.Sprintf("%s, not retried: Retry-After asks %s, more than the %s left of %s", what, shortDuration(d), shortDuration(max(left, 0)), r.windowName()), 0, false
		default:
			return r.retry(what, d, " (Retry-After)", left)
		}
	}
	if r.sp.poll == nil {
		return strconv.Itoa(status), 0, false
	}
	r.judge(a, env)
	switch {
	case r.until.Status == Passed:
		return "until true", 0, false
	case r.until.Status == Errored:
		return "until could not be evaluated", 0, false
	case r.sp.poll.Every > left:
		return fmt.Sprintf("until false, %s is spent", r.windowName()), 0, false
	}
	return "until false, sent again after " + shortDuration(r.sp.poll.Every), r.sp.poll.Every, true
}

// retried reports whether an answer's status is one the spec retries: a
// retry_on status that the step does not expect.
func (r *retrying) retried(status int) bool {
	return slices.Contains(r.f.plan.Spec.RetryStatuses(r.f.fp.flow), status) && !statusCheck(r.sp, r.f.plan.Spec.Auth, status).Passed()
}

// retry uses up one retry: the request is sent again after wait, unless
// the step's time is spent.
func (r *retrying) retry(what string, wait time.Duration, why string, left time.Duration) (string, time.Duration, bool) {
	if left <= 0 {
		r.declined = true
		return fmt.Sprintf("%s, not retried: %s is spent", what, r.windowName()), 0, false
	}
	r.left--
	wait = min(wait, left)
	return fmt.Sprintf("%s, retried after %s%s", what, shortDuration(wait), why), wait, true
}

// windowName names what bounds the waits, as a spec says it.
func (r *retrying) windowName() string {
	if r.sp.poll != nil {
		return "for: " + r.sp.poll.For.String()
	}
	return "the step's time limit of " + r.window.String()
}

// judge evaluates the poll's until over an attempt's answer, in the
// step's env with the answer added.
func (r *retrying) judge(a attempt, env map[string]any) {
	e := maps.Clone(env)
	maps.Copy(e, responseEnv(a.resp, r.sp.poll.uses))
	r.until, r.judged = r.sp.poll.until.check(e), r.n
	r.f.explainBody(&r.until, r.sp.poll.uses, a.resp)
}

// note labels the last exchange: its attempt's number, and what came of it.
func (r *retrying) note(what string) {
	label := fmt.Sprintf("attempt %d", r.n)
	if r.sp.poll == nil {
		label += fmt.Sprintf(" of %d", r.most+1)
	}
	label += ": " + what
	if r.label != "" {
		label = r.label + ", " + label
	}
	r.sr.Exchanges[len(r.sr.Exchanges)-1].Label = label
}

// end closes the attempts with the last one: a retry check sums them up
// when there were several or the step polls, and an attempt without an
// answer errors the step.
func (r *retrying) end(a attempt, env map[string]any) (*http.Request, []byte, *response, bool) {
	if r.n == 1 && !r.declined {
		r.sr.Exchanges[len(r.sr.Exchanges)-1].Label = r.label
	}
	if r.sp.poll != nil && a.err == nil && r.judged != r.n {
		r.judge(a, env)
	}
	if r.n > 1 || r.sp.poll != nil {
		r.sr.Checks = append(r.sr.Checks, r.check(a))
	}
	if a.err != nil {
		msg := sendError(a.err, r.f.timeout(r.sp))
		if r.n > 1 {
			msg = fmt.Sprintf("no answer after %d attempts over %s: %s", r.n, shortDuration(time.Since(r.start)), msg)
		}
		if r.why != "" {
			msg += "; " + r.why
		}
		r.sr.Status, r.sr.Error = Errored, msg
		return nil, nil, nil, false
	}
	return a.req, a.body, a.resp, true
}

// check sums up the attempts: how many, over how long, and whether they
// ended as the retries meant them to. A poll's check explains a false
// until with its operands on the last answer, as an assertion does.
func (r *retrying) check(a attempt) Check {
	took := shortDuration(time.Since(r.start))
	c := Check{Pos: r.sp.step.Pos, Kind: CheckRetry, Expr: fmt.Sprintf("retry (--retries %d)", r.most),
		Status: Passed, Exchange: len(r.sr.Exchanges) - 1}
	n := json.RawMessage(strconv.Itoa(r.n))
	count := fmt.Sprintf("%d attempts over %s", r.n, took)
	if r.n == 1 {
		count = "1 attempt"
	}
	if p := r.sp.poll; p != nil {
		c.Pos, c.Expr = p.UntilPos, "retry until "+p.Until
		c.Expected = textValue("true within " + p.For.String())
		switch {
		case a.err != nil || r.judged != r.n:
			c.Status, c.Actual, c.Message = Errored, Value{JSON: n, Text: "no answer to judge"}, "no answer after "+count
		case r.until.Status == Errored:
			c.Status, c.Actual = Errored, Value{JSON: n, Text: "an error after " + count}
			c.Message, c.explain, c.operands = r.until.Message, r.until.explain, r.until.operands
		case r.until.Status == Failed:
			c.Status, c.explain, c.operands = Failed, "false after "+count, r.until.operands
			if r.until.explain != "" {
				c.explain += ": " + r.until.explain
			}
			c.Actual = Value{JSON: n, Text: fmt.Sprintf(c.explain, anys(c.operands)...)}
		default:
			c.Actual = Value{JSON: n, Text: "true after " + count}
		}
		return c
	}
	retried := r.f.plan.Spec.RetryStatuses(r.f.fp.flow)
	c.Expected = textValue(fmt.Sprintf("an answer within %d attempts", r.most+1))
	if len(retried) > 0 {
		c.Expected = textValue(fmt.Sprintf("an answer other than %s within %d attempts", statusList(retried), r.most+1))
	}
	switch {
	case a.err != nil:
		c.Status, c.Actual, c.Message = Errored, Value{JSON: n, Text: "no answer after " + count}, "no answer after "+count
	case r.retried(a.resp.status):
		c.Status, c.Actual = Failed, Value{JSON: n, Text: fmt.Sprintf("%d after %s", a.resp.status, count)}
	default:
		c.Actual = Value{JSON: n, Text: fmt.Sprintf("%d after %s", a.resp.status, count)}
	}
	return c
}

func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// backoff is the wait before retry number i (from 1): exponential, capped,
// with half of it random, so that flows retrying at once spread out.
func backoff(i int) time.Duration {
	d := backoffMax
	if i <= 10 {
		d = min(backoffBase<<(i-1), backoffMax)
	}
	return d/2 + rand.N(d/2+1)
}

// retryAfter reads the Retry-After of a 429 or 503 answer: seconds, or an
// HTTP date. ok is false when there is none worth reading.
func retryAfter(resp *response, now time.Time) (time.Duration, bool) {
	if resp.status != http.StatusTooManyRequests && resp.status != http.StatusServiceUnavailable {
		return 0, false
	}
	v := strings.TrimSpace(resp.header.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil && secs >= 0 {
		return time.Duration(min(secs, 1<<32)) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// sleep waits d, or until ctx is done; it reports whether the wait ran
// its course.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// shortDuration writes a duration as a report shows a wait: to the
// millisecond under a second, else to the hundredth of a second.
func shortDuration(d time.Duration) string {
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(10 * time.Millisecond).String()
}
