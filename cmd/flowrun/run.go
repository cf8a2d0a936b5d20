package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/flowrun/flowrun/reports"
	"github.com/flowrun/flowrun/runner"
)

// runFlags are the options of `flowrun run`.
type runFlags struct {
	concurrency int
	timeout     time.Duration
	filter      filterFlags
	spec        specFlags
	watch       bool
	showSecrets bool
	verbose     bool
	quiet       bool
	noColor     bool
	curl        bool
	files       reportFiles
}

func newRunCmd(a *app) *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run PATH...",
		Short: "Run the flows of spec files or folders (the default command)",
		Example: `  flowrun specs/                       every spec, against the embedded sandboxes
  OPENLOYALTY_BASE_URL=https://api.example.com flowrun specs/openloyalty.yaml
  flowrun specs/ --tags smoke --skip-tags slow
  flowrun specs/ --report-junit junit.xml --report-html report.html
  flowrun specs/ --watch                run again whenever a spec changes; Ctrl-C stops`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.run(cmd, args, f)
		},
	}
	fl := cmd.Flags()
	fl.IntVarP(&f.concurrency, "concurrency", "c", 4, "flows run at once")
	fl.DurationVar(&f.timeout, "timeout", 30*time.Second, "time limit of each step that sets none")
	f.filter.flags(cmd, "run")
	f.spec.flags(cmd)
	fl.BoolVar(&f.watch, "watch", false, "run, then run again the specs whose files change, until Ctrl-C")
	fl.BoolVar(&f.showSecrets, "show-secrets", false, "show passwords, tokens and keys in the output and reports instead of masking them")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "show every step with its request and response")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "print the summary line only")
	fl.BoolVar(&f.noColor, "no-color", false, "no colour in the output (also set by NO_COLOR)")
	fl.BoolVar(&f.curl, "curl", false, "show a curl command that repeats each failed step's request, secrets as $FLOWRUN_... variables")
	f.files.flags(cmd)
	cmd.MarkFlagsMutuallyExclusive("verbose", "quiet")
	return cmd
}

func (a *app) run(cmd *cobra.Command, args []string, f runFlags) error {
	if err := f.files.check(); err != nil {
		return &exitError{code: exitUsage, err: fmt.Errorf("flowrun: %w", err)}
	}
	if err := a.useSpecFlags(f.spec, false); err != nil {
		return err
	}
	if f.watch {
		return a.watch(cmd.Context(), args, f)
	}
	return a.runPaths(cmd.Context(), args, f)
}

// errNoMatch says that the filters left no flow to run.
var errNoMatch = errors.New("flowrun: no flow matches the --tags, --skip-tags and --flow filters")

// runPaths runs the specs under paths once and writes the reports; the
// error carries the exit code.
func (a *app) runPaths(ctx context.Context, paths []string, f runFlags) error {
	plans, err := a.loadPlans(paths)
	if err != nil {
		return err
	}
	// Filter before any sandbox starts: a spec none of whose flows is
	// picked starts nothing and is not reported.
	plans = selectPlans(plans, f.filter.filter)
	stop, err := startSandboxes(plans)
	if err != nil {
		return &exitError{code: exitUsage, err: fmt.Errorf("flowrun: %w", err)}
	}
	defer stop()
	client := &http.Client{
		// A test must see a redirect as it is, not where it leads.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport:     &http.Transport{MaxIdleConnsPerHost: f.concurrency * 2, ForceAttemptHTTP2: true},
	}
	// --watch runs again and again: no run keeps connections open after it.
	defer client.CloseIdleConnections()
	res := runner.Run(ctx, plans, runner.Config{
		Client:      client,
		Concurrency: f.concurrency,
		Timeout:     f.timeout,
		ShowSecrets: f.showSecrets,
		Filter:      f.filter.filter,
	})
	opts := a.reportOptions(f)
	// Files first: they are what CI keeps, and are written whatever the outcome.
	ferr := f.files.write(res, opts)
	if err := reports.Terminal(a.stdout, res, opts); err != nil {
		return &exitError{code: exitUsage, err: fmt.Errorf("flowrun: writing the report: %w", err)}
	}
	if v, _ := a.getenv("GITHUB_ACTIONS"); v == "true" {
		if err := reports.GitHub(a.stdout, res, opts); err != nil {
			return &exitError{code: exitUsage, err: fmt.Errorf("flowrun: writing annotations: %w", err)}
		}
	}
	switch {
	case ferr != nil:
		return &exitError{code: exitUsage, err: fmt.Errorf("flowrun: %w", ferr)}
	case res.Interrupted:
		return &exitError{code: exitInterrupted}
	case res.Flows() == 0:
		return &exitError{code: exitUsage, err: errNoMatch}
	case res.Status() != runner.Passed:
		return &exitError{code: exitFailed}
	}
	return nil
}

// selectPlans returns the plans of which filter picks at least one flow.
func selectPlans(plans []*runner.Plan, filter func(spec, flow string, tags []string) bool) []*runner.Plan {
	var out []*runner.Plan
	for _, p := range plans {
		if len(p.Select(filter)) > 0 {
			out = append(out, p)
		}
	}
	return out
}

// reportOptions gathers what the reporters need from the flags and the machine.
func (a *app) reportOptions(f runFlags) reports.Options {
	host, _ := os.Hostname()
	return reports.Options{
		Version:  version,
		Hostname: host,
		PerStep:  f.files.junitPerStep,
		Verbose:  f.verbose,
		Quiet:    f.quiet,
		Color:    a.color(f.noColor),
		Curl:     f.curl,
	}
}

// color reports whether output should be coloured: only on a terminal,
// and never with --no-color or NO_COLOR set.
func (a *app) color(noColor bool) bool {
	if noColor {
		return false
	}
	if v, ok := a.getenv("NO_COLOR"); ok && v != "" {
		return false
	}
	f, ok := a.stdout.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// filterFlags are the flags that pick flows, shared by run and list so
// that list shows exactly what run would run.
type filterFlags struct {
	tags, skipTags, flows []string
}

// flags registers the filter flags on cmd; verb says what the command does
// with the flows picked.
func (f *filterFlags) flags(cmd *cobra.Command, verb string) {
	fl := cmd.Flags()
	fl.StringSliceVar(&f.tags, "tags", nil, verb+" only flows with one of these tags (comma-separated)")
	fl.StringSliceVar(&f.skipTags, "skip-tags", nil, "skip flows with one of these tags (comma-separated)")
	// An array, not a slice: a flow's name may hold a comma.
	fl.StringArrayVar(&f.flows, "flow", nil, verb+" only the flow with this `NAME` (repeatable; a data-driven flow's row as \"NAME [ROW]\")")
}

// filter picks the flows the flags ask for; it is a runner.Config.Filter.
func (f filterFlags) filter(_, flow string, tags []string) bool {
	if len(f.flows) > 0 && !slices.Contains(f.flows, flow) {
		return false
	}
	if len(f.tags) > 0 && !slices.ContainsFunc(tags, func(t string) bool { return slices.Contains(f.tags, t) }) {
		return false
	}
	return !slices.ContainsFunc(tags, func(t string) bool { return slices.Contains(f.skipTags, t) })
}
