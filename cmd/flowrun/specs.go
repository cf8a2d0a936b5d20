package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/flowrun/flowrun/examples/sandbox"
	"github.com/flowrun/flowrun/flows"
	"github.com/flowrun/flowrun/runner"
)

// loadPlans finds, loads and compiles the specs under paths. It reports
// every problem of every file at once, as an exitError with code 2.
func (a *app) loadPlans(paths []string) ([]*runner.Plan, error) {
	files, err := flows.Find(paths)
	if err != nil {
		return nil, &exitError{code: exitUsage, err: fmt.Errorf("flowrun: %w", err)}
	}
	specs, loadErrs := make([]*flows.Spec, len(files)), make([]error, len(files))
	for i, file := range files {
		specs[i], loadErrs[i] = flows.LoadWith(file, a.loadOptions())
	}
	included := includedFiles(specs)
	var plans []*runner.Plan
	var errs []error
	for i, file := range files {
		spec, loadErr := specs[i], loadErrs[i]
		if included[absPath(file)] {
			continue // a fragment another spec includes, not a spec
		}
		if spec == nil {
			errs = append(errs, loadErr)
			continue
		}
		// Compile even a spec that did not load cleanly, so templates and
		// expressions are checked in the same pass: every problem at once.
		plan, err := runner.CompileWith(spec, runner.CompileOptions{Limits: a.loadOptions().Limits})
		if err := flows.JoinErrors(nonNil(loadErr, checkSandbox(spec), err)); err != nil {
			errs = append(errs, err)
			continue
		}
		plans = append(plans, plan)
	}
	if len(errs) > 0 {
		n := 0
		for _, e := range errs {
			n += strings.Count(e.Error(), "\n") + 1
		}
		return nil, &exitError{code: exitUsage, err: fmt.Errorf("%w\n%d problem(s) found; nothing was run", errors.Join(errs...), n)}
	}
	return plans, nil
}

// includedFiles returns the files the specs read besides themselves:
// such a file found in a spec folder is part of a spec, not one.
func includedFiles(specs []*flows.Spec) map[string]bool {
	out := map[string]bool{}
	for _, s := range specs {
		if s == nil {
			continue
		}
		for _, d := range s.Deps {
			out[absPath(d)] = true
		}
	}
	return out
}

// checkSandbox checks that a spec's sandbox names a known simulator.
func checkSandbox(spec *flows.Spec) error {
	errs := []error{checkSandboxName(spec.Sandbox)}
	for _, sv := range spec.Servers {
		errs = append(errs, checkSandboxName(sv.Sandbox))
	}
	return flows.JoinErrors(errs)
}

func checkSandboxName(sb *flows.Sandbox) error {
	if sb == nil {
		return nil
	}
	names := sandbox.Names()
	for _, n := range names {
		if n == sb.Provider {
			return nil
		}
	}
	hint := ""
	if best := flows.Nearest(sb.Provider, names); best != "" {
		hint = fmt.Sprintf(" (did you mean %q?)", best)
	}
	return flows.Errorf(sb.Pos, "sandbox: no embedded simulator named %q%s; known: %s", sb.Provider, hint, strings.Join(names, ", "))
}

// startSandboxes points each plan whose base URL is empty at a fresh
// embedded simulator of its provider. The returned func stops them all.
func startSandboxes(plans []*runner.Plan) (func(), error) {
	var servers []*sandbox.Server
	stop := func() {
		for _, s := range servers {
			s.Close()
		}
	}
	start := func(sb *flows.Sandbox) (string, error) {
		srv, err := sandbox.Start(sb.Provider, sandbox.Options{TokenLifetime: sb.TokenLifetime, RefreshLifetime: sb.RefreshLifetime})
		if err != nil {
			return "", err
		}
		servers = append(servers, srv)
		return srv.URL, nil
	}
	for _, p := range plans {
		if sb := p.Spec.Sandbox; p.BaseURL == "" && sb != nil {
			u, err := start(sb)
			if err != nil {
				stop()
				return nil, err
			}
			p.BaseURL, p.Sandbox = u, sb.Provider
		}
		for name, sv := range p.Spec.Servers {
			if t := p.Servers[name]; t.URL == "" && sv.Sandbox != nil {
				u, err := start(sv.Sandbox)
				if err != nil {
					stop()
					return nil, err
				}
				t.URL, t.Sandbox = u, sv.Sandbox.Provider
			}
		}
	}
	return stop, nil
}

func nonNil(errs ...error) []error {
	var out []error
	for _, e := range errs {
		if e != nil {
			out = append(out, e)
		}
	}
	return out
}
