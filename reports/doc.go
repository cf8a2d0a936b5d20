// Package reports turns a runner.Result into what people and CI read: the
// terminal report, JUnit XML, CTRF, flowrun's JSON, a self-contained HTML
// page and GitHub Actions annotations. Each reporter is a function
// func(w io.Writer, r *runner.Result, o Options) error, deterministic
// (ordered by spec and flow); the result's secrets are already masked by
// the runner, so a reporter may print all of it.
//
//	res := runner.Run(ctx, plans, cfg)
//	if err := reports.Terminal(os.Stdout, res, reports.Options{}); err != nil { ... }
//	if err := reports.JUnit(file, res, reports.Options{Hostname: host}); err != nil { ... }
package reports
