package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/flowrun/flowrun/runner"
)

// listFlags are the options of `flowrun list`.
type listFlags struct {
	filter filterFlags
	spec   specFlags
	json   bool
}

func newListCmd(a *app) *cobra.Command {
	var f listFlags
	cmd := &cobra.Command{
		Use:   "list PATH...",
		Short: "List the flows a run would run, without sending a request",
		Long: `list loads and compiles every spec under PATH, as run does, and prints one line per
flow that run would run with the same --tags, --skip-tags, --flow, --provider and --shard
options: provider, flow name (with its row, for a data-driven flow), tags, place in the
spec, and the principals it holds a lease on (exclusive:). It sends nothing and starts no
sandbox. An invalid spec, or filters that match nothing, exit 2; a shard left with no flow
lists none and exits 0.`,
		Example: `  flowrun list specs/
  flowrun list specs/ --tags smoke --skip-tags expiry
  flowrun list specs/ --shard 2/4     the flows the second of four machines runs
  flowrun list specs/ --json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.list(args, f)
		},
	}
	f.filter.flags(cmd, "list")
	f.spec.flags(cmd)
	cmd.Flags().BoolVar(&f.json, "json", false, "print a JSON document instead of a table")
	return cmd
}

// listing is what list prints with --json.
type listing struct {
	Specs int               `json:"specs"`
	Flows []runner.Instance `json:"flows"`
}

func (a *app) list(paths []string, f listFlags) error {
	if err := a.useSpecFlags(f.spec, false); err != nil {
		return err
	}
	plans, err := a.loadPlans(paths)
	if err != nil {
		return err
	}
	shard, err := f.filter.selection(plans, a.getenv)
	if err != nil {
		return &exitError{code: exitUsage, err: fmt.Errorf("flowrun: %w", err)}
	}
	l := listing{Flows: runner.Select(plans, runner.Config{Filter: f.filter.filter, Shard: shard})}
	specs := map[string]bool{}
	for _, in := range l.Flows {
		specs[in.File] = true
	}
	l.Specs = len(specs)
	if len(l.Flows) == 0 && shard.N <= 1 {
		return &exitError{code: exitUsage, err: errNoMatch}
	}
	if f.json {
		err = writeListingJSON(a.stdout, l)
	} else {
		err = writeListing(a.stdout, l)
	}
	if err != nil {
		return &exitError{code: exitUsage, err: fmt.Errorf("flowrun: writing the list: %w", err)}
	}
	return nil
}

// writeListing writes one aligned line per flow instance, then the count.
func writeListing(w io.Writer, l listing) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, in := range l.Flows {
		tags := strings.Join(in.Tags, ",")
		if tags == "" {
			tags = "-"
		}
		excl := ""
		if len(in.Exclusive) > 0 {
			excl = "\texclusive: " + strings.Join(in.Exclusive, ",")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s:%d%s\n", in.Provider, in.Name, tags, in.Pos.File, in.Pos.Line, excl)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	// Counted as run and validate count them: each row of a data-driven flow is one flow.
	_, err := fmt.Fprintf(w, "%s in %s would run\n", plural(len(l.Flows), "flow"), plural(l.Specs, "spec"))
	return err
}

func writeListingJSON(w io.Writer, l listing) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(l)
}

// plural returns "1 flow", "2 flows".
func plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
