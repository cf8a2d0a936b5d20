package flows

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// fuzzSeedDirs hold the specs FuzzParse starts from: the provider specs,
// the CLI's valid and invalid test specs and the starters flowrun init
// writes. Read at fuzz setup, so a new spec there is a new seed.
var fuzzSeedDirs = []string{"../specs", "../cmd/flowrun/testdata", "../cmd/flowrun/starters"}

// addSpecSeeds adds every .yaml file under dirs to the corpus.
func addSpecSeeds(f *testing.F, dirs ...string) {
	f.Helper()
	n := 0
	for _, dir := range dirs {
		err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() || filepath.Ext(path) != ".yaml" {
				return err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			f.Add(string(data))
			n++
			return nil
		})
		if err != nil {
			f.Fatalf("seeds: %v", err)
		}
	}
	if n == 0 {
		f.Fatalf("seeds: no .yaml file under %v", dirs)
	}
}

// FuzzParse loads whatever YAML it is given. Beyond never panicking:
// without an error there is a spec; every error is an *Error whose place
// names a file and a line; and the same input gives the same errors in
// the same order, as reports and golden files need.
func FuzzParse(f *testing.F) {
	addSpecSeeds(f, fuzzSeedDirs...)
	for _, seed := range []string{
		"provider: a\nbase_url: http://x\nflows: [{name: f, steps: [{login: {path: /l, capture: {t: t}}}]}]",
		"flows:\n  - steps:\n      - wait: 1s\n",
		"provider: [\n",
		"a: &x {b: *x}",
		"requests: {login: {json: {a: [1, {b: '{{x}}'}]}}}",
		"provider: a\nbase_url: http://x\nflows: [{name: f, rows: [{a: 1}, {b: 2}], steps: [{request: {path: /}}]}]",
		"---\n---\n",
		"",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, src string) {
		s, err := Parse("fuzz.yaml", []byte(src), noEnv)
		if err == nil {
			if s == nil {
				t.Fatal("no spec and no error")
			}
			return
		}
		for _, e := range flatten([]error{err}) {
			var pe *Error
			if !errors.As(e, &pe) {
				t.Fatalf("error without a place: %T %v", e, e)
			}
			if pe.Pos.File == "" || pe.Pos.Line < 1 || pe.Pos.Col < 0 {
				t.Fatalf("error at %+v: %v", pe.Pos, pe)
			}
			if pe.Msg == "" {
				t.Fatalf("error at %v without a message", pe.Pos)
			}
		}
		_, again := Parse("fuzz.yaml", []byte(src), noEnv)
		if again == nil || again.Error() != err.Error() {
			t.Fatalf("a second parse gave other errors:\n%v\nthen:\n%v", err, again)
		}
	})
}
