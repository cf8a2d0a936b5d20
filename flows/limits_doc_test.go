package flows_test

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/flowrun/flowrun/flows"
)

// limitsTable is the table of docs/limits.md, written from LimitList.
func limitsTable() string {
	var b strings.Builder
	b.WriteString("| limit | bounds | default |\n| --- | --- | --- |\n")
	for _, l := range flows.LimitList() {
		def := fmt.Sprint(l.Default)
		if l.Bytes {
			def = flows.FormatSize(l.Default)
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", l.Name, l.Description, def)
	}
	return b.String()
}

var limitsBlock = regexp.MustCompile(`(?s)<!-- limits -->\n.*?<!-- /limits -->`)

// TestLimitsDoc keeps the table of docs/limits.md the list the CLI reads.
func TestLimitsDoc(t *testing.T) {
	const path = "../docs/limits.md"
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := limitsBlock.ReplaceAllLiteralString(string(data), "<!-- limits -->\n"+limitsTable()+"<!-- /limits -->")
	if !limitsBlock.MatchString(string(data)) {
		t.Fatalf("%s has no <!-- limits --> block", path)
	}
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if want != string(data) {
		t.Errorf("%s: the table differs from flows.LimitList (go test ./flows -update rewrites it)", path)
	}
}
