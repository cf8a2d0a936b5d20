package main

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/flowrun/flowrun/runner"
)

// filterFlags are the flags that pick flows, shared by run and list so
// that list shows exactly what run would run.
type filterFlags struct {
	tags, skipTags, flows, providers []string
	shard                            string

	// flowRes are the --flow patterns compiled; nil for one that is not
	// a regular expression, which then matches a name exactly.
	flowRes []*regexp.Regexp
}

// flags registers the filter flags on cmd; verb says what the command does
// with the flows picked.
func (f *filterFlags) flags(cmd *cobra.Command, verb string) {
	fl := cmd.Flags()
	fl.StringSliceVar(&f.tags, "tags", nil, verb+" only flows with one of these tags (comma-separated)")
	fl.StringSliceVar(&f.skipTags, "skip-tags", nil, "skip flows with one of these tags (comma-separated)")
	// An array, not a slice: a flow's name may hold a comma.
	fl.StringArrayVar(&f.flows, "flow", nil, verb+" only the flows whose name is `PATTERN` or that a regular expression PATTERN matches (repeatable; a data-driven flow's row is named \"NAME [ROW]\")")
	fl.StringSliceVar(&f.providers, "provider", nil, verb+" only the specs of these providers (comma-separated)")
	fl.StringVar(&f.shard, "shard", "", verb+" only share `K/N` of the flows (K from 1), for splitting a run over N machines; `N` alone takes K from JOB_COMPLETION_INDEX (Kubernetes, from 0) or CI_NODE_INDEX (GitLab, from 1)")
}

// selection checks the flags against the loaded plans and returns the
// shard they ask for. A --flow pattern that is some flow's exact name
// picks that flow only: names hold brackets, dots and other characters
// that mean something in a regular expression. Any other pattern is a
// regular expression searched for in each name.
func (f *filterFlags) selection(plans []*runner.Plan, getenv func(string) (string, bool)) (runner.Shard, error) {
	names := map[string]bool{}
	for _, in := range runner.Select(plans, runner.Config{}) {
		names[in.Name] = true
	}
	f.flowRes = make([]*regexp.Regexp, len(f.flows))
	var errs []error
	for i, p := range f.flows {
		if names[p] {
			continue
		}
		re, err := regexp.Compile(p)
		if err != nil {
			errs = append(errs, fmt.Errorf("--flow %q names no flow, and is not a regular expression: %v", p, strings.TrimPrefix(err.Error(), "error parsing regexp: ")))
			continue
		}
		f.flowRes[i] = re
	}
	shard, err := parseShard(f.shard, getenv)
	return shard, errors.Join(append(errs, err)...)
}

// filter picks the flows the flags ask for; it is a runner.Config.Filter.
func (f *filterFlags) filter(provider, flow string, tags []string) bool {
	if len(f.providers) > 0 && !slices.Contains(f.providers, provider) {
		return false
	}
	if len(f.flows) > 0 && !f.flowMatches(flow) {
		return false
	}
	if len(f.tags) > 0 && !slices.ContainsFunc(tags, func(t string) bool { return slices.Contains(f.tags, t) }) {
		return false
	}
	return !slices.ContainsFunc(tags, func(t string) bool { return slices.Contains(f.skipTags, t) })
}

// flowMatches reports whether a --flow pattern picks the flow: by its
// exact name, or as a regular expression found in the name.
func (f *filterFlags) flowMatches(name string) bool {
	for i, p := range f.flows {
		if p == name || (i < len(f.flowRes) && f.flowRes[i] != nil && f.flowRes[i].MatchString(name)) {
			return true
		}
	}
	return false
}

// parseShard reads --shard: "K/N", or "N" with K from the CI engine.
func parseShard(s string, getenv func(string) (string, bool)) (runner.Shard, error) {
	if s == "" {
		return runner.Shard{}, nil
	}
	ks, ns, split := strings.Cut(s, "/")
	if !split {
		ks, ns = "", s
	}
	n, err := strconv.Atoi(strings.TrimSpace(ns))
	if err != nil || n < 1 {
		return runner.Shard{}, fmt.Errorf("--shard %s: want K/N, such as 2/4, or N with K from the environment", s)
	}
	var k int
	switch {
	case split:
		k, err = strconv.Atoi(strings.TrimSpace(ks))
		if err != nil {
			return runner.Shard{}, fmt.Errorf("--shard %s: K must be a number from 1 to %d", s, n)
		}
	default:
		k, err = shardIndex(getenv)
		if err != nil {
			return runner.Shard{}, fmt.Errorf("--shard %s: %w", s, err)
		}
	}
	if k < 1 || k > n {
		return runner.Shard{}, fmt.Errorf("--shard %s: K must be from 1 to %d", s, n)
	}
	return runner.Shard{K: k, N: n}, nil
}

// shardIndex returns this machine's shard, from 1, as the CI engine says.
func shardIndex(getenv func(string) (string, bool)) (int, error) {
	if v, ok := getenv("JOB_COMPLETION_INDEX"); ok && v != "" {
		i, err := strconv.Atoi(v)
		if err != nil {
			return 0, fmt.Errorf("JOB_COMPLETION_INDEX=%q is not a number", v)
		}
		return i + 1, nil
	}
	if v, ok := getenv("CI_NODE_INDEX"); ok && v != "" {
		i, err := strconv.Atoi(v)
		if err != nil {
			return 0, fmt.Errorf("CI_NODE_INDEX=%q is not a number", v)
		}
		return i, nil
	}
	return 0, fmt.Errorf("with N alone, K comes from JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) or CI_NODE_INDEX (GitLab parallel:), and neither is set; write K/N")
}
