package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

func newValidateCmd(a *app) *cobra.Command {
	var f specFlags
	cmd := &cobra.Command{
		Use:   "validate PATH...",
		Short: "Check spec files without sending any request",
		Long: `validate loads and compiles every spec under PATH: keys, types, required fields,
variables, gjson paths and expressions. It prints every problem with its file:line:col
and exits 2 if there is any, 0 if there is none.

It needs none of the run's environment: a ${NAME} that nothing sets is listed once, as
what a run will need, and is no problem here.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := a.useSpecFlags(f, true); err != nil {
				return err
			}
			plans, err := a.loadPlans(args)
			if err != nil {
				return err
			}
			flowsN := 0
			var unset []string
			for _, p := range plans {
				flowsN += p.Flows()
				for _, u := range p.Spec.Unset {
					unset = append(unset, fmt.Sprintf("%s (%s)", u.Name, u.Pos))
				}
			}
			// Counted as run counts them, so the two numbers agree.
			fmt.Fprintf(a.stdout, "%d spec(s), %d flow(s), each row of a data-driven flow counted as one: no problems found\n", len(plans), flowsN)
			if len(unset) > 0 {
				fmt.Fprintf(a.stdout, "not set here, needed to run: %s\n", strings.Join(unset, ", "))
			}
			return nil
		},
	}
	f.flags(cmd)
	return cmd
}
