//go:build unix

package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// exprSpec writes a spec whose one step, GET /, asserts assertion.
func exprSpec(t *testing.T, assertion string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "expr.yaml")
	spec := "provider: p\nbase_url: ${A_URL:-http://127.0.0.1:1}\nflows:\n  - name: f\n    steps:\n" +
		"      - request:\n          path: /\n          expect:\n            assert:\n              - '" + assertion + "'\n"
	if err := os.WriteFile(path, []byte(spec), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// kilobyteServer answers every request with a body of 1000 bytes.
func kilobyteServer(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(bytes.Repeat([]byte("k"), 1000))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// runTimeRepeat is known to be too large only once the body is: 1000
// bytes repeated a million times.
const runTimeRepeat = `len(repeat(repeat(text, 1000), 1000)) > 0`

const runTimeRefusal = "repeat would build 1000000000 bytes; 9000000 of the 10000000 an expression may allocate are left (--limit expr-memory)"

func TestValidateRefusesALargeExpression(t *testing.T) {
	spec := exprSpec(t, `len(repeat(repeat("a", 100000), 100000)) > 0`)
	code, stdout, stderr := cli(t, context.Background(), nil, "validate", spec)
	if code != exitUsage {
		t.Errorf("exit code: got %d, want %d", code, exitUsage)
	}
	want := `expr.yaml:10:17: flow "f": step 1 (request): assert "len(repeat(repeat(\"a\", 100000), 100000)) > 0": ` +
		"repeat builds 10000000000 bytes; an expression may allocate at most 10000000 (--limit expr-memory)"
	if !strings.Contains(stderr, want) {
		t.Errorf("stderr lacks %q:\n%s%s", want, stdout, stderr)
	}
}

// TestLimitExprMemory lowers the budget: --limit reaches the compiler.
func TestLimitExprMemory(t *testing.T) {
	spec := exprSpec(t, `len(repeat("a", 2000)) > 0`)
	if code, _, stderr := cli(t, context.Background(), nil, "validate", spec); code != exitPassed {
		t.Fatalf("at the default budget: exit %d, want %d\n%s", code, exitPassed, stderr)
	}
	code, _, stderr := cli(t, context.Background(), nil, "validate", "--limit", "expr-memory=1000", spec)
	want := "repeat builds 2000 bytes; an expression may allocate at most 1000 (--limit expr-memory)"
	if code != exitUsage || !strings.Contains(stderr, want) {
		t.Errorf("with --limit expr-memory=1000: exit %d, want %d, and stderr to say %q:\n%s", code, exitUsage, want, stderr)
	}
}

func TestRunRefusesALargeExpression(t *testing.T) {
	srv := kilobyteServer(t)
	spec := exprSpec(t, runTimeRepeat)
	code, stdout, stderr := cli(t, context.Background(), map[string]string{"A_URL": srv.URL}, "run", spec)
	if code != exitFailed {
		t.Errorf("exit code: got %d, want %d", code, exitFailed)
	}
	if !strings.Contains(stdout+stderr, runTimeRefusal) {
		t.Errorf("the output lacks %q:\n%s%s", runTimeRefusal, stdout, stderr)
	}
}

// TestLargeExpressionProcessMemory runs the flowrun process on the same
// expression: it is refused before it builds anything, and the process
// stays small.
func TestLargeExpressionProcessMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	srv := kilobyteServer(t)
	spec := exprSpec(t, runTimeRepeat)
	t.Setenv("A_URL", srv.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd, rss := measured(t, ctx, bin, "run", "--no-color", spec)
	if ctx.Err() != nil {
		t.Fatal("flowrun did not end within 30 s")
	}
	if code := cmd.ProcessState.ExitCode(); code != exitFailed {
		t.Errorf("exit code: got %d, want %d", code, exitFailed)
	}
	if out := cmd.Stdout.(*bytes.Buffer).String(); !strings.Contains(out, runTimeRefusal) {
		t.Errorf("the output lacks %q:\n%s", runTimeRefusal, out)
	}
	t.Logf("peak resident size: %d MiB", rss>>20)
	if rss > 200<<20 {
		t.Errorf("the process peaked at %d MiB, want at most 200 MiB", rss>>20)
	}
}
