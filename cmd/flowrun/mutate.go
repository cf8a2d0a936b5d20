package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/flowrun/flowrun/mutate"
	"github.com/flowrun/flowrun/runner"
)

// mutateFlags are the options of `flowrun mutate`.
type mutateFlags struct {
	concurrency int
	parallel    int
	timeout     time.Duration
	mutants     []string
	minScore    float64
	json        string
	filter      filterFlags
	spec        specFlags
	client      clientFlags
}

func newMutateCmd(a *app) *cobra.Command {
	var f mutateFlags
	cmd := &cobra.Command{
		Use:   "mutate PATH...",
		Short: "Prove the specs catch a broken auth server: run them against mutants of it",
		Long: `mutate runs each spec once as it is (the baseline, which must pass), then once per
mutant, through a proxy on 127.0.0.1 in front of the spec's servers that breaks one auth
behaviour of the API. A run that does not pass has killed its mutant; a run that passes
has let it survive: the spec has a gap there. A mutant that found nothing to alter in a
spec's run does not apply to it.

Mutants: ` + strings.Join(mutate.Names(), ", ") + `.

Exit codes: 0 every applicable mutant killed (or the score at least --min-score),
1 a mutant survived, a baseline did not pass, or the score is below --min-score,
2 invalid spec or usage, 3 an internal error of flowrun, 130 interrupted.`,
		Example: `  flowrun mutate specs/
  flowrun mutate specs/openloyalty.yaml --mutant ignores-logout --mutant no-rotation
  flowrun mutate specs/ --skip-tags expiry --min-score 90 --json mutants.json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runMutants(cmd.Context(), args, f)
		},
	}
	fl := cmd.Flags()
	fl.IntVarP(&f.concurrency, "concurrency", "c", runner.DefaultConcurrency(), "flows of one run at once")
	fl.IntVar(&f.parallel, "parallel", 4, "specs mutated at once (the runs of one spec are one after another)")
	fl.DurationVar(&f.timeout, "timeout", 30*time.Second, "time limit of each step that sets none")
	fl.StringSliceVar(&f.mutants, "mutant", nil, "apply only the mutant `NAME` (repeatable, or comma-separated; default: all)")
	fl.Float64Var(&f.minScore, "min-score", 100, "the lowest mutation score, in percent, that passes: killed / (killed + survived)")
	fl.StringVar(&f.json, "json", "", "write the report as JSON to `FILE`")
	f.filter.flags(cmd, "mutate")
	// A mutant's run needs every flow of its spec that is picked: a
	// share of them would kill or spare it by chance.
	_ = fl.MarkHidden("shard")
	f.spec.flags(cmd)
	f.spec.bodyFlag(cmd)
	f.client.flags(cmd)
	return cmd
}

// runMutants runs `flowrun mutate`: the error carries the exit code.
func (a *app) runMutants(ctx context.Context, paths []string, f mutateFlags) error {
	if err := f.check(); err != nil {
		return usageError(err)
	}
	if err := a.useSpecFlags(f.spec, false); err != nil {
		return err
	}
	if err := f.client.prepare(a.stderr); err != nil {
		return err
	}
	plans, err := a.loadPlans(paths)
	if err != nil {
		return err
	}
	if _, err := f.filter.selection(plans, a.getenv); err != nil {
		return usageError(err)
	}
	cfg := mutate.Config{
		Run: runner.Config{
			Concurrency: f.concurrency,
			Timeout:     f.timeout,
			Filter:      f.filter.filter,
			Limits:      a.load.Limits,
		},
		Mutants:  f.mutants,
		Parallel: f.parallel,
		Start: func(p *runner.Plan) (func(), error) {
			return startSandboxes([]*runner.Plan{p})
		},
	}
	if len(selectPlans(plans, cfg.Run)) == 0 {
		return &exitError{code: exitUsage, err: errNoMatch}
	}
	f.client.apply(&cfg.Run, f.concurrency, a.getenv)
	defer cfg.Run.Client.CloseIdleConnections()
	rep, err := mutate.Run(ctx, plans, cfg)
	if err != nil {
		return usageError(err)
	}
	// The file first: it is what CI keeps, written whatever the outcome.
	var ferr error
	if f.json != "" {
		var b bytes.Buffer
		if ferr = mutate.JSON(&b, rep); ferr == nil {
			ferr = os.WriteFile(f.json, b.Bytes(), 0o644)
		}
	}
	if err := mutate.Text(a.stdout, rep); err != nil {
		return usageError(fmt.Errorf("writing the report: %w", err))
	}
	return mutateOutcome(rep, f, ferr)
}

// check checks the flags that need no spec.
func (f *mutateFlags) check() error {
	switch {
	case f.concurrency < 1:
		return fmt.Errorf("--concurrency %d: want 1 or more", f.concurrency)
	case f.parallel < 1:
		return fmt.Errorf("--parallel %d: want 1 or more", f.parallel)
	case f.minScore < 0 || f.minScore > 100:
		return fmt.Errorf("--min-score %g: want a percentage from 0 to 100", f.minScore)
	case f.filter.shard != "":
		return fmt.Errorf("--shard: mutate runs every flow of a spec in each run; pick specs with --provider instead")
	}
	if _, err := mutate.Pick(f.mutants); err != nil {
		return fmt.Errorf("--mutant: %w", err)
	}
	return nil
}

// mutateOutcome maps a report to the exit code.
func mutateOutcome(rep *mutate.Report, f mutateFlags, ferr error) error {
	switch {
	case ferr != nil:
		return usageError(fmt.Errorf("--json %s: %w", f.json, ferr))
	case len(rep.Internal) > 0:
		return &exitError{code: exitInternal, err: internalError(rep.Internal)}
	case rep.Interrupted:
		return &exitError{code: exitInterrupted}
	case len(rep.Errors()) > 0:
		// As run: a sandbox that does not start, a spec's tls: that
		// cannot be used.
		return usageError(errors.New(strings.Join(rep.Errors(), "\n")))
	case rep.BaselinesFailed() > 0:
		return &exitError{code: exitFailed, err: fmt.Errorf("flowrun: %d spec(s) did not pass as they are, so their mutants were not run", rep.BaselinesFailed())}
	case rep.Score != nil && *rep.Score < f.minScore:
		return &exitError{code: exitFailed, err: fmt.Errorf("flowrun: mutation score %s is below --min-score %g: %d mutant(s) survived", rep.ScoreText(), f.minScore, rep.Survived)}
	}
	return nil
}
