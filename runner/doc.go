// Package runner runs flowrun specs: Compile turns a loaded spec into a
// Plan (every template and expression compiled once), and Run sends the
// steps' requests, captures values, checks expectations and returns a
// Result with every secret masked.
//
//	spec, err := flows.Load("specs/openloyalty.yaml", os.LookupEnv)
//	...
//	plan, err := runner.Compile(spec)
//	...
//	res := runner.Run(ctx, []*runner.Plan{plan}, runner.Config{Client: &http.Client{}})
//	fmt.Println(res.Status())
//
// Flows run concurrently, up to Config.Concurrency at once; the steps of a
// flow run in order. Run returns when everything it started has finished.
package runner
