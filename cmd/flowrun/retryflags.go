package main

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/flowrun/flowrun/runner"
)

// retryFlags are how `flowrun run` retries a step's request: --retries.
type retryFlags struct {
	retries retryCount
}

func (f *retryFlags) flags(cmd *cobra.Command) {
	cmd.Flags().Var(&f.retries, "retries", fmt.Sprintf("send a step's request again up to `N` times (0 to %d), with backoff, after a transport error or a status the spec names under retry_on; a POST or PATCH only when its connection was refused", runner.MaxRetries))
}

// apply sets the retries of a run.
func (f *retryFlags) apply(cfg *runner.Config) { cfg.Retries = int(f.retries) }

// retryCount is a number of retries: a count out of bounds is refused
// when the flag is parsed, as a usage error.
type retryCount int

func (n *retryCount) String() string { return strconv.Itoa(int(*n)) }

func (n *retryCount) Set(s string) error {
	v, err := strconv.Atoi(s)
	if err != nil || v < 0 || v > runner.MaxRetries {
		return fmt.Errorf("give a whole number from 0 to %d", runner.MaxRetries)
	}
	*n = retryCount(v)
	return nil
}

func (*retryCount) Type() string { return "int" }
