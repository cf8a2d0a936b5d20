package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/flowrun/flowrun/flows"
)

// version is stamped at build time: make build.
var version = "dev"

// Exit codes.
const (
	exitPassed      = 0
	exitFailed      = 1
	exitUsage       = 2
	exitInternal    = 3
	exitInterrupted = 130
)

// exitError carries an exit code up to execute; its message, if any, has
// been printed already or is printed there.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// app holds what every command needs: where output goes and how the
// environment is read.
type app struct {
	stdout, stderr io.Writer
	getenv         func(string) (string, bool)
	// load is how specs are loaded, set from --var, --env-file and --env.
	load flows.Options
}

// execute runs the CLI with args and returns the exit code. A panic, a
// bug of flowrun, is exit 3 with its stack on stderr: never mistaken for
// an invalid spec (2) or a failed check (1).
func execute(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) (string, bool)) (code int) {
	defer func() {
		if p := recover(); p != nil {
			fmt.Fprintf(stderr, "flowrun: internal error: %v\nThis is a bug of flowrun; please report it with the lines below.\n%s", p, debug.Stack())
			code = exitInternal
		}
	}()
	root := newRootCmd(&app{stdout: stdout, stderr: stderr, getenv: getenv})
	if args == nil {
		args = []string{} // cobra reads os.Args for nil
	}
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitPassed
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(stderr, ee.err)
		}
		return ee.code
	}
	// Cobra's own errors: unknown flags, wrong arguments.
	fmt.Fprintf(stderr, "flowrun: %v\nRun 'flowrun --help' for usage.\n", err)
	return exitUsage
}

// newRootCmd builds the command tree. `flowrun PATH...` is `flowrun run PATH...`.
func newRootCmd(a *app) *cobra.Command {
	run := newRunCmd(a)
	root := &cobra.Command{
		Use:   "flowrun [run] PATH...",
		Short: "Run declarative API auth-flow specs",
		Long: `flowrun runs YAML specs that describe the auth flows of an API: login, authenticated
calls, refused calls, token refresh and logout. PATH is a spec file or a folder of them.

A spec that names a sandbox provider and whose base URL is not set runs against the
embedded simulator of that provider.

Exit codes: 0 all flows passed, 1 a check failed, 2 invalid spec or usage, 3 an internal
error of flowrun (a bug, or the process ran out of memory), 130 interrupted.`,
		Version:       version,
		Args:          run.Args,
		RunE:          run.RunE,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.Flags().AddFlagSet(run.Flags())
	setVersion(root)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.AddCommand(run, newValidateCmd(a), newSandboxCmd(a), newInitCmd(a), newListCmd(a), newVersionCmd(a), newSchemaCmd(a))
	root.AddCommand(newMergeCmd(a))
	root.AddCommand(newMutateCmd(a))
	return root
}
