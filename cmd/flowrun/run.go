package main

import (
	"fmt"
	"net/http"
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
}

func newRunCmd(a *app) *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run PATH...",
		Short: "Run the flows of spec files or folders (the default command)",
		Example: `  flowrun specs/                       every spec, against the embedded sandboxes
  OPENLOYALTY_BASE_URL=https://api.example.com flowrun specs/openloyalty.yaml
  flowrun specs/ --tags smoke --skip-tags slow`,
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
	fl.BoolVar(&f.showSecrets, "show-secrets", false, "show passwords, tokens and keys in the output instead of masking them")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "show the request and response of every step")
	return cmd
}

func (a *app) run(cmd *cobra.Command, args []string, f runFlags) error {
	plans, err := a.loadPlans(args)
	if err != nil {
		return err
	}
	stop, err := startSandboxes(plans)
	if err != nil {
		return &exitError{code: exitUsage, err: fmt.Errorf("flowrun: %w", err)}
	}
	defer stop()
	for _, p := range plans {
		if p.Sandbox != "" && len(p.Spec.BaseURLEnv) > 0 {
			fmt.Fprintf(a.stderr, "%s: no base URL set; running against the embedded sandbox (set %s to test a real deployment)\n",
				p.Spec.Provider, p.Spec.BaseURLEnv[0])
		}
	}
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
	if err := reports.Table(a.stdout, res, reports.Options{Verbose: f.verbose}); err != nil {
		return &exitError{code: exitUsage, err: fmt.Errorf("flowrun: writing the report: %w", err)}
	}
	switch {
	case res.Interrupted:
		return &exitError{code: exitInterrupted}
	case len(res.Counts()) == 0:
		return &exitError{code: exitUsage, err: fmt.Errorf("flowrun: no flow matches the --tags, --skip-tags and --flow filters")}
	case res.Status() != runner.Passed:
		return &exitError{code: exitFailed}
	}
	return nil
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
