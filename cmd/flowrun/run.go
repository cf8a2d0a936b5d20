package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/flowrun/flowrun/reports"
	"github.com/flowrun/flowrun/runner"
)

// runFlags are the options of `flowrun run`.
type runFlags struct {
	concurrency int
	timeout     time.Duration
	runTimeout  time.Duration
	failFast    bool
	repeat      int
	reportEach  bool
	keepBodies  bool
	noProgress  bool
	retry       retryFlags
	filter      filterFlags
	spec        specFlags
	watch       bool
	showSecrets bool
	verbose     bool
	quiet       bool
	noColor     bool
	curl        bool
	files       reportFiles
	client      clientFlags
}

func newRunCmd(a *app) *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run PATH...",
		Short: "Run the flows of spec files or folders (the default command)",
		Example: `  flowrun specs/                       every spec, against the embedded sandboxes
  OPENLOYALTY_BASE_URL=https://api.example.com flowrun specs/openloyalty.yaml
  flowrun specs/ --tags smoke --skip-tags slow
  flowrun specs/ --flow 'refresh|logout' --provider mic --fail-fast
  flowrun specs/ --shard 2/4 --report-junit junit-2.json   one machine's share of four
  flowrun specs/ --flow 'member login' --repeat 100 -c 8   a soak run, with latency percentiles
  flowrun specs/ --report-junit junit.xml --report-html report.html
  flowrun specs/ --watch                run again whenever a spec changes; Ctrl-C stops`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.run(cmd, args, f)
		},
	}
	fl := cmd.Flags()
	fl.IntVarP(&f.concurrency, "concurrency", "c", runner.DefaultConcurrency(), "flows run at once (flows with a common exclusive: lease never overlap)")
	fl.DurationVar(&f.timeout, "timeout", 30*time.Second, "time limit of each step that sets none")
	fl.DurationVar(&f.runTimeout, "run-timeout", 0, "time limit of the whole run: flows still running then are stopped, the rest not run, and the reports written (exit 1); 0 for none")
	fl.BoolVar(&f.failFast, "fail-fast", false, "begin no flow once one has not passed; the rest are reported as not run")
	fl.IntVar(&f.repeat, "repeat", 1, "run each flow `N` times (a soak run), reported as one flow with N runs: counts, failures, latency percentiles")
	fl.BoolVar(&f.reportEach, "report-each", false, "with --repeat, report every run as a flow of its own")
	fl.BoolVar(&f.keepBodies, "keep-bodies", false, "keep the bodies of passed steps in the reports (-v keeps them too); by default only failed steps keep theirs")
	fl.BoolVar(&f.noProgress, "no-progress", false, "no live progress line (it shows only on a terminal, and never under CI)")
	f.filter.flags(cmd, "run")
	f.spec.flags(cmd)
	f.spec.bodyFlag(cmd)
	f.retry.flags(cmd)
	fl.BoolVar(&f.watch, "watch", false, "run, then run again the specs whose files change, until Ctrl-C")
	fl.BoolVar(&f.showSecrets, "show-secrets", false, "show passwords, tokens and keys in the output and reports instead of masking them")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "show every step with its request and response")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "print the summary line only")
	fl.BoolVar(&f.noColor, "no-color", false, "no colour in the output (also set by NO_COLOR)")
	fl.BoolVar(&f.curl, "curl", false, "show a curl command that repeats each failed step's request, secrets as $FLOWRUN_... variables")
	f.files.flags(cmd)
	f.client.flags(cmd)
	cmd.MarkFlagsMutuallyExclusive("verbose", "quiet")
	return cmd
}

func (a *app) run(cmd *cobra.Command, args []string, f runFlags) error {
	if err := f.files.check(); err != nil {
		return &exitError{code: exitUsage, err: fmt.Errorf("flowrun: %w", err)}
	}
	if f.repeat < 1 {
		return &exitError{code: exitUsage, err: fmt.Errorf("flowrun: --repeat %d: want 1 or more", f.repeat)}
	}
	if f.concurrency < 1 {
		return &exitError{code: exitUsage, err: fmt.Errorf("flowrun: --concurrency %d: want 1 or more", f.concurrency)}
	}
	if err := a.useSpecFlags(f.spec, false); err != nil {
		return err
	}
	if err := f.client.prepare(a.stderr); err != nil {
		return err
	}
	if f.watch {
		return a.watch(cmd.Context(), args, f)
	}
	return a.runPaths(cmd.Context(), args, f)
}

// errNoMatch says that the filters left no flow to run.
var errNoMatch = errors.New("flowrun: no flow matches the --tags, --skip-tags, --flow and --provider filters")

// runPaths runs the specs under paths once and writes the reports; the
// error carries the exit code.
func (a *app) runPaths(ctx context.Context, paths []string, f runFlags) error {
	plans, err := a.loadPlans(paths)
	if err != nil {
		return err
	}
	shard, err := f.filter.selection(plans, a.getenv)
	if err != nil {
		return &exitError{code: exitUsage, err: fmt.Errorf("flowrun: %w", err)}
	}
	cfg := runner.Config{
		Concurrency: f.concurrency,
		Timeout:     f.timeout,
		ShowSecrets: f.showSecrets,
		Filter:      f.filter.filter,
		Shard:       shard,
		Repeat:      f.repeat,
		ReportEach:  f.reportEach,
		FailFast:    f.failFast,
		Limits:      a.load.Limits,
		KeepBodies:  f.keepBodies || f.verbose,
		// The terminal, CTRF and GitHub reports print no exchange of a
		// passed step: without JUnit, JSON or HTML, a passed flow keeps
		// only its line, and memory stays flat however long the run.
		Summarize: !f.keepBodies && !f.verbose && f.files.junit == "" && f.files.json == "" && f.files.html == "",
	}
	f.retry.apply(&cfg)
	// Select before any sandbox starts: a spec none of whose flows is
	// picked starts nothing (and Run does not report it).
	picked := selectPlans(plans, cfg)
	if len(picked) == 0 && shard.N <= 1 {
		return &exitError{code: exitUsage, err: errNoMatch}
	}
	stop, err := startSandboxes(picked)
	if err != nil {
		return &exitError{code: exitUsage, err: fmt.Errorf("flowrun: %w", err)}
	}
	defer stop()
	f.client.apply(&cfg, f.concurrency, a.getenv)
	// --watch runs again and again: no run keeps connections open after it.
	defer cfg.Client.CloseIdleConnections()
	opts := a.reportOptions(f)
	term := reports.NewTerminal(a.stdout, opts)
	cfg.Observer = a.observer(term, f)
	if f.runTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, f.runTimeout, errRunTimeout)
		defer cancel()
	}
	res := runner.Run(ctx, plans, cfg)
	timedOut := context.Cause(ctx) == errRunTimeout
	if timedOut {
		// Not an interruption: the run ended as it was told to.
		res.Interrupted = false
	}
	// Files first: they are what CI keeps, and are written whatever the outcome.
	ferr := f.files.write(res, opts)
	if err := term.End(res); err != nil {
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
	case len(res.Internal) > 0:
		return &exitError{code: exitInternal, err: internalError(res.Internal)}
	case timedOut:
		return &exitError{code: exitFailed, err: fmt.Errorf("flowrun: the run reached its time limit (--run-timeout %s)", f.runTimeout)}
	case res.Interrupted:
		return &exitError{code: exitInterrupted}
	case res.Flows() == 0 && shard.N > 1:
		// A shard may be left with nothing when there are more machines than flows.
		return nil
	case res.Flows() == 0:
		return &exitError{code: exitUsage, err: errNoMatch}
	case res.Status() != runner.Passed:
		return &exitError{code: exitFailed}
	}
	return nil
}

// errRunTimeout is why a run's context ends at --run-timeout.
var errRunTimeout = errors.New("the run reached its time limit")

// selectPlans returns the plans of which cfg picks at least one flow.
func selectPlans(plans []*runner.Plan, cfg runner.Config) []*runner.Plan {
	files := map[string]bool{}
	for _, in := range runner.Select(plans, cfg) {
		files[in.File] = true
	}
	var out []*runner.Plan
	for _, p := range plans {
		if files[p.Spec.File] {
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
	return isTerminal(a.stdout)
}
