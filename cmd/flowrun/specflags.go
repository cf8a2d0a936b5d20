package main

import (
	"errors"
	"fmt"
	"maps"
	"strings"

	"github.com/spf13/cobra"

	"github.com/flowrun/flowrun/flows"
)

// specFlags are how the commands that load specs set their variables:
// --var, --env-file and --env.
type specFlags struct {
	vars     []string
	envFiles []string
	env      string
	// limits are --limit NAME=VALUE; maxBody is --max-body (run only).
	limits  []string
	maxBody string
}

func (f *specFlags) flags(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringArrayVar(&f.vars, "var", nil, "set a variable, `NAME=value`: a spec variable of that name, and what ${NAME} reads (repeatable; wins over everything)")
	fl.StringArrayVar(&f.envFiles, "env-file", nil, "read NAME=value lines from `FILE` for ${NAME} (repeatable; later files win; after --var, before the environment)")
	fl.StringVar(&f.env, "env", "", "apply the spec environment `NAME` (environments: in the spec)")
	fl.StringArrayVar(&f.limits, "limit", nil, "raise or lower a bound, `NAME=VALUE` such as rows=500000 or spec-file=8MiB (repeatable; docs/limits.md lists them)")
}

// bodyFlag adds --max-body, for the commands that send requests.
func (f *specFlags) bodyFlag(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.maxBody, "max-body", "", "read at most `SIZE` of a response body, such as 50MiB (default 10MiB); a larger body errs the step, its status, headers and first bytes shown")
}

// useSpecFlags sets how a.loadPlans loads specs. lenient notes unset
// variables instead of failing on them (validate).
func (a *app) useSpecFlags(f specFlags, lenient bool) error {
	o := flows.Options{Getenv: a.getenv, Env: f.env, Lenient: lenient, Vars: map[string]string{}, EnvFile: map[string]string{}}
	var errs []error
	for _, v := range f.vars {
		name, value, ok := strings.Cut(v, "=")
		if !ok || strings.TrimSpace(name) == "" {
			errs = append(errs, fmt.Errorf("--var %q: write NAME=value", v))
			continue
		}
		o.Vars[strings.TrimSpace(name)] = value
	}
	for _, file := range f.envFiles {
		m, err := flows.ReadEnvFile(file)
		if err != nil {
			errs = append(errs, fmt.Errorf("--env-file %s: %w", file, err))
			continue
		}
		maps.Copy(o.EnvFile, m)
	}
	for _, l := range f.limits {
		name, value, ok := strings.Cut(l, "=")
		if !ok {
			errs = append(errs, fmt.Errorf("--limit %q: write NAME=VALUE, such as rows=500000", l))
			continue
		}
		if err := o.Limits.Set(strings.TrimSpace(name), value); err != nil {
			errs = append(errs, fmt.Errorf("--limit %s: %w", l, err))
		}
	}
	if f.maxBody != "" {
		if err := o.Limits.Set("body", f.maxBody); err != nil {
			errs = append(errs, fmt.Errorf("--max-body %s: %w", f.maxBody, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return &exitError{code: exitUsage, err: fmt.Errorf("flowrun: %w", err)}
	}
	a.load = o
	return nil
}

// loadOptions returns how specs are loaded: the flags' options, or the
// process environment alone.
func (a *app) loadOptions() flows.Options {
	o := a.load
	if o.Getenv == nil {
		o.Getenv = a.getenv
	}
	return o
}
