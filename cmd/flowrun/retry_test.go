package main

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/flowrun/flowrun/runner"
)

func TestRetriesFlag(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want int
		err  string
	}{
		{"default", nil, 0, ""},
		{"a count", []string{"--retries", "3"}, 3, ""},
		{"the most", []string{"--retries=10"}, runner.MaxRetries, ""},
		{"too many", []string{"--retries", "11"}, 0, `invalid argument "11" for "--retries" flag: give a whole number from 0 to 10`},
		{"negative", []string{"--retries", "-1"}, 0, "give a whole number from 0 to 10"},
		{"not a number", []string{"--retries", "some"}, 0, "give a whole number from 0 to 10"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var f retryFlags
			cmd := &cobra.Command{Use: "run", RunE: func(*cobra.Command, []string) error { return nil }}
			f.flags(cmd)
			cmd.SetArgs(tc.args)
			cmd.SilenceErrors, cmd.SilenceUsage = true, true
			err := cmd.Execute()
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Errorf("got error %v, want one saying %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var cfg runner.Config
			f.apply(&cfg)
			if cfg.Retries != tc.want {
				t.Errorf("got Retries %d, want %d", cfg.Retries, tc.want)
			}
		})
	}
}
