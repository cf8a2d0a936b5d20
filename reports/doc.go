// Package reports turns a runner.Result into what people and CI read. Each
// reporter is a function func(w io.Writer, r *runner.Result, o Options)
// error; the result's secrets are already masked by the runner.
//
//	res := runner.Run(ctx, plans, cfg)
//	if err := reports.Table(os.Stdout, res, reports.Options{}); err != nil { ... }
package reports
