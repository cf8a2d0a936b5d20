package runner

import "context"

// StepInfo says which step of which flow a request belongs to, and why it
// is sent: a transport or a proxy in front of the API (flowrun mutate)
// reads it from the request's context with StepOf.
type StepInfo struct {
	// Spec is the spec's provider; Flow and Step are names.
	Spec, Flow, Step string
	// Kind is the step's kind: login, call, refresh, logout, expect-401,
	// request, introspect.
	Kind string
	// Part is empty for the step's own request, or what else the step
	// sends: "probe", "followup" (a reuse or verify check), "reauth" (the
	// login sent again after a 401).
	Part string
}

type stepKey struct{}

// StepOf returns the step a request was sent for, when it was sent by a
// flow of a run with Config.MarkSteps.
func StepOf(ctx context.Context) (StepInfo, bool) {
	si, ok := ctx.Value(stepKey{}).(StepInfo)
	return si, ok
}

// withPart marks the requests sent under ctx as part of what a step
// sends besides its own request.
func withPart(ctx context.Context, part string) context.Context {
	si, ok := StepOf(ctx)
	if !ok {
		return ctx // the run does not mark its requests
	}
	si.Part = part
	return context.WithValue(ctx, stepKey{}, si)
}
