//go:build unix

package main

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSuperviseTellsCrashesApart runs children that crash in each way a
// flowrun process can, and one that chose its exit code: a crash is exit
// 3 with its cause, never the 2 of an invalid spec.
func TestSuperviseTellsCrashesApart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	bin := filepath.Join(t.TempDir(), "crasher")
	if out, err := exec.Command("go", "build", "-o", bin, "./testdata/crasher").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
		says string
	}{
		{"an invalid spec", []string{"exit", "2"}, 2, ""},
		{"a failed check", []string{"exit", "1"}, 1, ""},
		{"a panic", []string{"panic"}, 3, "internal error: the process crashed (exit status 2)"},
		{"out of memory", []string{"oom"}, 3, "internal error: the process crashed (exit status 2)"},
		{"killed by the system", []string{"kill"}, 3, "internal error: the process was killed (SIGKILL), most likely by the system for using too much memory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr, childErr bytes.Buffer
			cmd := exec.Command(bin, tc.args...)
			cmd.Stdout, cmd.Stderr = &stdout, &childErr
			code, ok := superviseCmd(cmd, &stderr)
			if !ok {
				t.Fatal("the child did not start")
			}
			if code != tc.code {
				t.Errorf("got exit %d, want %d; stderr: %s", code, tc.code, stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.says) || (tc.says == "") != (stderr.Len() == 0) {
				t.Errorf("got stderr %q, want it to say %q", stderr.String(), tc.says)
			}
			if tc.name == "out of memory" && !strings.Contains(childErr.String(), "out of memory") {
				t.Errorf("the child did not run out of memory: %s", childErr.String())
			}
		})
	}
}
