package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/flowrun/flowrun/flows"
)

func newSchemaCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of a spec, for editors",
		Long: `schema prints the JSON Schema (draft 2020-12) of a flowrun spec: every key, its type,
whether it is required, what it means and an example. Editors that speak the YAML
language server (VS Code, JetBrains, Neovim, ...) check and complete a spec from it:
save it, then start the spec with

  # yaml-language-server: $schema=flowrun.schema.json

The repository keeps it as docs/spec.schema.json.`,
		Example: `  flowrun schema > flowrun.schema.json`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b, err := flows.NewGrammar().JSONSchema()
			if err != nil {
				return &exitError{code: exitUsage, err: fmt.Errorf("flowrun schema: %w", err)}
			}
			_, err = fmt.Fprintf(a.stdout, "%s\n", b)
			return err
		},
	}
}
