package flows

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkLoad loads and validates 1,000 spec files, copies of the specs
// in specs/, without compiling them: the loader's share of the time the
// CLI takes to load specs (cmd/flowrun's BenchmarkLoadSpecs compiles them
// too). An op is the 1,000 files; ms/spec is the time per file.
func BenchmarkLoad(b *testing.B) {
	srcs, err := filepath.Glob("../specs/*.yaml")
	if err != nil || len(srcs) == 0 {
		b.Fatalf("no specs: %v", err)
	}
	dir := b.TempDir()
	const n = 1000
	files := make([]string, n)
	for i := range files {
		data, err := os.ReadFile(srcs[i%len(srcs)])
		if err != nil {
			b.Fatal(err)
		}
		files[i] = filepath.Join(dir, fmt.Sprintf("%04d-%s", i, filepath.Base(srcs[i%len(srcs)])))
		if err := os.WriteFile(files[i], data, 0o600); err != nil {
			b.Fatal(err)
		}
	}
	getenv := func(string) (string, bool) { return "", false }
	b.ReportAllocs()
	var took time.Duration
	runs := 0
	for b.Loop() {
		start := time.Now()
		for _, f := range files {
			if _, err := Load(f, getenv); err != nil {
				b.Fatal(err)
			}
		}
		took += time.Since(start)
		runs++
	}
	b.ReportMetric(float64(took.Microseconds())/1e3/float64(runs*n), "ms/spec")
}
