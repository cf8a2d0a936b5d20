// Package mutate proves that specs would catch a broken auth server. Run
// runs each spec once as it is (the baseline, which must pass), then once
// per mutant through a reverse proxy on 127.0.0.1 in front of each of the
// spec's servers; each mutant breaks one auth behaviour at the HTTP
// layer, such as letting a request without its token through, or
// answering a logout without ending the session. A mutant the run
// catches is killed; one it does not is a gap in the spec.
//
//	plan, err := runner.Compile(spec)
//	...
//	rep, err := mutate.Run(ctx, []*runner.Plan{plan}, mutate.Config{
//		Run: runner.Config{Client: &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}},
//	})
//	...
//	mutate.Text(os.Stdout, rep)
//
// The proxy learns which step a request belongs to from runner.StepOf:
// the run's client copies it into a request header that the proxy
// removes before forwarding, so the API never sees it and no report
// shows it.
package mutate
