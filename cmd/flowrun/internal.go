package main

import (
	"fmt"
	"strings"

	"github.com/flowrun/flowrun/runner"
)

// internalError tells of the bugs of flowrun a run met: the flows they
// left errored, each with its panic and stack, for a bug report.
func internalError(errs []runner.InternalError) error {
	var b strings.Builder
	fmt.Fprintf(&b, "flowrun: internal error in %d flow(s); the reports were written, with these flows errored.\nThis is a bug of flowrun; please report it with the lines below.", len(errs))
	for _, e := range errs {
		fmt.Fprintf(&b, "\n\n%s: panic: %s\n%s", e.Flow, e.Panic, strings.TrimRight(e.Stack, "\n"))
	}
	return fmt.Errorf("%s", b.String())
}
