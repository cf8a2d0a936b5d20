package runner

import (
	"bytes"
	"context"
	"net/http"

	"github.com/flowrun/flowrun/flows"
)

// again returns a copy of a sent request, to send it once more as it was.
func again(ctx context.Context, req *http.Request, body []byte) *http.Request {
	out, _ := http.NewRequestWithContext(ctx, req.Method, req.URL.String(), bytes.NewReader(body))
	out.Header = req.Header.Clone()
	return out
}

// followups sends what a passed step sends to prove what it claims: the
// step's own request again exactly as it was sent (a used refresh token),
// or a named request with the credentials from before or after the step
// (a logged-out token). Each is its own exchange and check.
func (f *flowRun) followups(ctx context.Context, sp *stepPlan, s *session, before map[string]any, req *http.Request, body []byte, sr *StepResult) Status {
	n := len(sr.Checks)
	for _, fu := range sp.followups {
		c := Check{Pos: fu.Pos, Kind: CheckKind(fu.Check), Expr: fu.Check + ": " + fu.Label}
		if fu.plan == nil {
			f.sendCheck(ctx, sp, fu.Label, again(ctx, req, body), body, c, fu.Status, "not as the spec says ("+fu.Label+")", sr)
			continue
		}
		as := s
		if fu.Before {
			as = &session{Session: flows.Session{Creds: before, Live: true}, jar: s.jar}
		}
		env, err := f.stepEnv(fu.plan, as)
		var r *http.Request
		var b []byte
		if err == nil {
			r, b, err = f.build(ctx, fu.plan, as, env)
		}
		if err != nil {
			c.Status, c.Actual, c.Message = Errored, textValue("not sent"), err.Error()
			sr.Checks = append(sr.Checks, c)
			continue
		}
		f.learnRequest(fu.plan, r, b)
		f.sendCheck(ctx, fu.plan, fu.Label, r, b, c, fu.Status, "not as the spec says ("+fu.Label+")", sr)
	}
	return worst(sr.Checks[n:]) // the followups' checks, and the conformance checks of their answers
}
