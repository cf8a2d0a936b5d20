package reports_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/flowrun/flowrun/reports"
)

func TestTerminalGolden(t *testing.T) {
	for _, name := range names {
		for _, tc := range []struct {
			suffix string
			opts   reports.Options
		}{
			{"", reports.Options{}},
			{"_verbose", reports.Options{Verbose: true}},
			{"_quiet", reports.Options{Quiet: true}},
			{"_curl", reports.Options{Curl: true}},
		} {
			t.Run(name+tc.suffix, func(t *testing.T) {
				var b bytes.Buffer
				if err := reports.Terminal(&b, results()[name], tc.opts); err != nil {
					t.Fatal(err)
				}
				golden(t, "terminal_"+name+tc.suffix+".golden", b.Bytes())
			})
		}
	}
}

func TestTerminalColorOnlyWhenAsked(t *testing.T) {
	var plain, colored bytes.Buffer
	reports.Terminal(&plain, results()["failed"], reports.Options{})
	reports.Terminal(&colored, results()["failed"], reports.Options{Color: true})
	if strings.Contains(plain.String(), "\x1b[") {
		t.Error("colour codes without Color")
	}
	if !strings.Contains(colored.String(), "\x1b[31m✗\x1b[0m") {
		t.Errorf("no red mark with Color:\n%s", colored.String())
	}
}

func TestSummary(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"passed", "1 flow: 1 passed, 0 failed, 0 errored in 15ms"},
		{"failed", "4 flows: 1 passed, 2 failed, 1 errored in 20ms"},
		{"interrupted", "3 flows: 1 passed, 0 failed, 1 errored, 1 not run in 310ms (interrupted)"},
	} {
		if got := reports.Summary(results()[tc.name]); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}
