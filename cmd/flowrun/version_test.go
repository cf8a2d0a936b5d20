package main

import (
	"context"
	"runtime/debug"
	"strings"
	"testing"
)

func TestVersionText(t *testing.T) {
	settings := func(kv ...string) []debug.BuildSetting {
		var out []debug.BuildSetting
		for i := 0; i+1 < len(kv); i += 2 {
			out = append(out, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return out
	}
	for _, tc := range []struct {
		name    string
		version string
		bi      *debug.BuildInfo
		want    string
	}{
		{"no build info", "v1.2.0", nil, "flowrun v1.2.0\n"},
		{"stamped, with VCS", "v1.2.0", &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "(devel)"},
			Settings: settings("GOOS", "linux", "GOARCH", "amd64", "vcs", "git", "vcs.revision", "8087927abc",
				"vcs.time", "2026-01-02T03:04:05Z", "vcs.modified", "false")},
			"flowrun v1.2.0\ngo:     go1.26.0 linux/amd64\ncommit: git 8087927abc, 2026-01-02T03:04:05Z\n"},
		{"modified checkout", "dev", &debug.BuildInfo{GoVersion: "go1.26.0",
			Settings: settings("vcs", "git", "vcs.revision", "8087927abc", "vcs.modified", "true")},
			"flowrun dev\ngo:     go1.26.0\ncommit: git 8087927abc (modified)\n"},
		{"go install module@version", "dev", &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v1.3.0"}},
			"flowrun v1.3.0\ngo:     go1.26.0\n"},
		{"the stamp wins over the module's version", "v1.4.0-rc1", &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v1.3.0"}},
			"flowrun v1.4.0-rc1\ngo:     go1.26.0\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := versionText(tc.version, tc.bi); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestVersionCommandAndFlags checks that `version`, -V and --version
// print the same report.
func TestVersionCommandAndFlags(t *testing.T) {
	_, want, _ := cli(t, context.Background(), nil, "version")
	if !strings.HasPrefix(want, "flowrun "+version+"\n") || !strings.Contains(want, "go:     go1.") {
		t.Fatalf("flowrun version: got %q, want flowrun %s and the Go version", want, version)
	}
	for _, args := range [][]string{{"version"}, {"-V"}, {"--version"}} {
		code, stdout, stderr := cli(t, context.Background(), nil, args...)
		if code != exitPassed || stderr != "" {
			t.Errorf("flowrun %s: got exit code %d and stderr %q, want 0 and nothing", args[0], code, stderr)
		}
		if stdout != want {
			t.Errorf("flowrun %s: got %q, want %q", args[0], stdout, want)
		}
	}
	if code, _, stderr := cli(t, context.Background(), nil, "version", "extra"); code != exitUsage {
		t.Errorf("flowrun version extra: got exit code %d, want %d; stderr: %s", code, exitUsage, stderr)
	}
}
