package main

import (
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
	tags        []string
	skipTags    []string
	flows       []string
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
  flowrun specs/ --report-junit junit.xml --report-html report.html`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.run(cmd, args, f)
		},
	}
	fl := cmd.Flags()
	fl.IntVarP(&f.concurrency, "concurrency", "c", 4, "flows run at once")
	fl.DurationVar(&f.timeout, "timeout", 30*time.Second, "time limit of each step that sets none")
	fl.StringSliceVar(&f.tags, "tags", nil, "run only flows with one of these tags")
	fl.StringSliceVar(&f.skipTags, "skip-tags", nil, "skip flows with one of these tags")
	fl.StringSliceVar(&f.flows, "flow", nil, "run only the flows with these names")
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
	plans, err := a.loadPlans(args)
	if err != nil {
		return err
	}
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
	res := runner.Run(cmd.Context(), plans, runner.Config{
		Client:      client,
		Concurrency: f.concurrency,
		Timeout:     f.timeout,
		ShowSecrets: f.showSecrets,
		Filter:      f.filter,
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
		return &exitError{code: exitUsage, err: fmt.Errorf("flowrun: no flow matches the --tags, --skip-tags and --flow filters")}
	case res.Status() != runner.Passed:
		return &exitError{code: exitFailed}
	}
	return nil
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

// filter picks the flows the flags ask for.
func (f runFlags) filter(_, flow string, tags []string) bool {
	if len(f.flows) > 0 && !slices.Contains(f.flows, flow) {
		return false
	}
	if len(f.tags) > 0 && !slices.ContainsFunc(tags, func(t string) bool { return slices.Contains(f.tags, t) }) {
		return false
	}
	return !slices.ContainsFunc(tags, func(t string) bool { return slices.Contains(f.skipTags, t) })
}
