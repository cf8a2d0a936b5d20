package reports_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/flowrun/flowrun/reports"
)

func TestGitHubGolden(t *testing.T) {
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := reports.GitHub(&b, results()[name], reports.Options{}); err != nil {
				t.Fatal(err)
			}
			golden(t, "github_"+name+".golden", b.Bytes())
		})
	}
}

func TestGitHubAnnotatesEachStepThatDidNotPass(t *testing.T) {
	var b bytes.Buffer
	reports.GitHub(&b, results()["failed"], reports.Options{})
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("got %d annotations, want 3 (two failed steps, one errored):\n%s", len(lines), b.String())
	}
	want := "::error file=specs/demo.yaml,line=22,col=9,title=demo › refused without token › step 1 expect-401 failed::"
	if !strings.HasPrefix(lines[0], want) {
		t.Errorf("got %q, want it to start %q", lines[0], want)
	}
	for _, l := range lines {
		if strings.Count(l, "::") != 2 {
			t.Errorf("an annotation's message breaks the command: %q", l)
		}
	}
}
