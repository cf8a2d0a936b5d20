//go:build unix

package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildBinary builds the flowrun command into a test's temporary folder.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "flowrun")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestMain lets the test binary serve as a small launcher that measures
// a command: the peak resident size of a process counts the memory of
// the process that started it, so flowrun is measured from a fresh,
// small process rather than from the test process.
func TestMain(m *testing.M) {
	if out := os.Getenv("FLOWRUN_TEST_MEASURE"); out != "" {
		os.Exit(measure(out, os.Args[1], os.Args[2:]))
	}
	os.Exit(m.Run())
}

// measure runs bin with args, writes its peak resident size (with its
// children's) in bytes to the file out, and returns its exit code.
func measure(out, bin string, args []string) int {
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	_ = cmd.Run()
	if cmd.ProcessState == nil {
		return 125
	}
	rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10
	_ = os.WriteFile(out, []byte(strconv.FormatInt(rss, 10)), 0o600)
	return cmd.ProcessState.ExitCode()
}

// measured runs bin with args through the launcher and returns the
// command, run, and its peak resident size.
func measured(t *testing.T, ctx context.Context, bin string, args ...string) (*exec.Cmd, int64) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "rss")
	cmd := exec.CommandContext(ctx, os.Args[0], append([]string{bin}, args...)...)
	cmd.Env = append(os.Environ(), "FLOWRUN_TEST_MEASURE="+out)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	_ = cmd.Run()
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("the launcher measured nothing: %v\n%s", err, stderr.String())
	}
	rss, _ := strconv.ParseInt(string(data), 10, 64)
	return cmd, rss
}

// maxRSSLimit is what the flowrun process may hold at its peak on any
// hostile input: each of them once took gigabytes.
const maxRSSLimit = 150 << 20

// TestHostileInputs runs the flowrun process on inputs that once took it
// down, each with a clear message, the exit code of an invalid spec, and
// a peak memory (the largest resident size of the process and its child)
// under maxRSSLimit.
func TestHostileInputs(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and writes large files")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	head := "provider: p\nbase_url: http://127.0.0.1:1\n"
	rowsSpec := func(name, file string) string {
		return write(name+".yaml", []byte(head+"flows:\n  - name: f\n    rows_file: "+file+"\n    steps: [{request: {path: /, headers: {X-Token: '{{token}}'}}}]\n"))
	}

	// A 1 MiB scalar aliased 20,000 times inside a JSON body.
	anchor := head + "vars:\n  big: &b " + strings.Repeat("a", 1<<20) + "\nflows:\n  - name: f\n    steps:\n      - request:\n          method: POST\n          path: /\n          json: {xs: [" +
		strings.TrimSuffix(strings.Repeat("*b,", 20000), ",") + "]}\n"
	// A rows file of 177 MB.
	f, err := os.Create(filepath.Join(dir, "big.csv"))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.WriteString("user,password\n")
	line := []byte(strings.Repeat("x", 88) + "," + strings.Repeat("y", 88) + "\n")
	chunk := bytes.Repeat(line, 1<<14)
	for n := 0; n < 177<<20; n += len(chunk) {
		if _, err := f.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	f.Close()
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo.csv"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/dev/zero", filepath.Join(dir, "zero.csv")); err != nil {
		t.Fatal(err)
	}
	// What /etc/shadow holds, behind a .csv symlink.
	shadow := write("shadow", []byte("root:$6$Zx9$s3cr3tHashOfRoot:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n"))
	if err := os.Symlink(shadow, filepath.Join(dir, "users.csv")); err != nil {
		t.Fatal(err)
	}
	write("header.csv", []byte("user,token\nalice,"+strings.Repeat("z", 10<<20)+"\n"))
	// 50 MB of spec without an alias.
	fifty := head + "vars:\n" + strings.Repeat("  v"+strings.Repeat("x", 30)+": "+strings.Repeat("y", 64)+"\n", 50<<20/100) + "flows: []\n"

	for _, tc := range []struct {
		name string
		args []string
		want string
		not  string
	}{
		{"a large scalar aliased 20,000 times in a JSON body", []string{"validate", write("anchor.yaml", []byte(anchor))},
			"the spec expands to more than 16 MiB of text through its aliases", ""},
		{"a 177 MB rows file", []string{rowsSpec("bigrows", "big.csv")},
			"big.csv is 178.0 MiB; a rows file may be at most 16 MiB (--limit rows-file=SIZE raises it)", ""},
		{"a rows file that is /dev/zero", []string{rowsSpec("zero", "zero.csv")},
			"zero.csv is a device, not a regular file; a rows file must be a regular file", ""},
		{"a rows file that is a FIFO", []string{rowsSpec("fifo", "fifo.csv")},
			"fifo.csv is a named pipe (FIFO), not a regular file", ""},
		{"a rows file that is a system file", []string{rowsSpec("shadow", "users.csv")},
			"users.csv:1: column 1 of the header line is not a variable name", "s3cr3t"},
		{"a 50 MB spec without aliases", []string{write("fifty.yaml", []byte(fifty))},
			"is 50.0 MiB; a spec file may be at most 4 MiB (--limit spec-file=SIZE raises it)", "aliases"},
		{"a 10 MB value in a header", []string{rowsSpec("header", "header.csv")},
			"header.csv:2: token is 10 MiB; a value may be at most 1 MiB (--limit string=SIZE raises it)", "zzzz"},
		{"invalid UTF-8 on line 7", []string{write("utf.yaml", []byte(head+"flows:\n  - name: f\n    steps:\n      - request: {path: /}\n  # caf\xe9\n"))},
			"utf.yaml:7:8: the file is not UTF-8: byte 0xe9 cannot start a character here", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd, rss := measured(t, ctx, bin, tc.args...)
			if ctx.Err() != nil {
				t.Fatal("flowrun did not end within 30 s")
			}
			if code := cmd.ProcessState.ExitCode(); code != exitUsage {
				t.Errorf("got exit %d, want %d", code, exitUsage)
			}
			out := cmd.Stdout.(*bytes.Buffer).String() + cmd.Stderr.(*bytes.Buffer).String()
			if !strings.Contains(out, tc.want) {
				t.Errorf("got output\n%.2000s\nwant it to say %q", out, tc.want)
			}
			if tc.not != "" && strings.Contains(out, tc.not) {
				t.Errorf("the output shows %q: %.2000s", tc.not, out)
			}
			if len(out) > 4096 {
				t.Errorf("got %d bytes of output, want a few lines", len(out))
			}
			t.Logf("peak resident size: %d MiB", rss>>20)
			if rss > maxRSSLimit {
				t.Errorf("the process peaked at %d MiB, want at most %d MiB", rss>>20, maxRSSLimit>>20)
			}
		})
	}
}
