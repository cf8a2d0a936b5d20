package main

import (
	"context"
	"encoding/json"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mccutchen/go-httpbin/v2/httpbin"
)

// TestMutateProviderSpecs: every mutant that applies to a provider spec
// is killed, and the run exits 0.
func TestMutateProviderSpecs(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := cli(t, context.Background(), nil, "mutate", "../../specs", "--parallel", "4")
	if code != exitPassed {
		t.Fatalf("exit code: got %d, want 0\n%s%s", code, stdout, stderr)
	}
	for _, p := range []string{"amplifi", "cardlytics", "mic", "openloyalty"} {
		if !regexp.MustCompile(`(?m)^` + p + ` +\.\./\.\./specs/` + p + `\.yaml: baseline passed`).MatchString(stdout) {
			t.Errorf("no passed baseline of %s:\n%s", p, stdout)
		}
		if n := len(regexp.MustCompile(`(?m)^`+p+` +[a-z-]+ +(killed|survived|n/a) `).FindAllString(stdout, -1)); n != 7 {
			t.Errorf("%s: %d mutant lines, want 7:\n%s", p, n, stdout)
		}
	}
	if strings.Contains(stdout, "survived ") || !strings.Contains(stdout, "mutation score: 100% (22 killed, 0 survived") {
		t.Errorf("a mutant survived, or the score line is not as expected:\n%s", stdout)
	}
	// The specs' passwords and keys are never shown.
	for _, secret := range []string{"password123", "admin-password", "alice-password", "sandbox-api-key"} {
		if strings.Contains(stdout+stderr, secret) {
			t.Errorf("the output shows the secret %q", secret)
		}
	}
}

// weakAmplifi writes the ampliFi spec without the check that a logged-out
// token is refused in the flow "several tokens work and log out on their
// own", and returns its path and the arguments that run that flow only.
func weakAmplifi(t *testing.T) (string, []string) {
	t.Helper()
	b, err := os.ReadFile("../../specs/amplifi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	const step = `      - expect-401:
          name: the first token is refused
          session: first
          use: profile
          expect:
            assert: [json("text") == "Token has been logged out"]
`
	if !strings.Contains(string(b), step) {
		t.Fatal("specs/amplifi.yaml no longer has the step this test removes")
	}
	path := filepath.Join(t.TempDir(), "amplifi.yaml")
	if err := os.WriteFile(path, []byte(strings.Replace(string(b), step, "", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, []string{"mutate", path, "--flow", "several tokens work and log out on their own"}
}

// TestMutateWeakenedSpec: a copy of a provider spec with an expect-401
// step removed lets ignores-logout survive, which the table shows with
// how to catch it, and exits 1; --min-score sets how many survivors
// pass; --json writes the same report.
func TestMutateWeakenedSpec(t *testing.T) {
	t.Parallel()
	path, args := weakAmplifi(t)
	report := filepath.Join(t.TempDir(), "mutants.json")
	code, stdout, stderr := cli(t, context.Background(), nil, append(args, "--json", report)...)
	if code != exitFailed {
		t.Fatalf("exit code: got %d, want 1\n%s%s", code, stdout, stderr)
	}
	if !regexp.MustCompile(`(?m)^amplifi +ignores-logout +survived +the spec passed with it \(1 exchange altered\); to catch it: after the logout, an expect-401`).MatchString(stdout) {
		t.Errorf("the table does not show ignores-logout surviving:\n%s", stdout)
	}
	// The flow's one message check went with the step: the changed error
	// messages survive too.
	if !strings.Contains(stdout, "mutation score: 60% (3 killed, 2 survived, 2 not applicable)") {
		t.Errorf("score line:\n%s", stdout)
	}
	if !strings.Contains(stderr, "mutation score 60% is below --min-score 100: 2 mutant(s) survived") {
		t.Errorf("stderr does not say why it failed:\n%s", stderr)
	}
	var rep struct {
		Specs []struct {
			File    string
			Mutants []struct{ Name, Outcome, Hint string }
		}
		Killed, Survived int
		Score            float64
	}
	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Specs) != 1 || rep.Specs[0].File != path || rep.Killed != 3 || rep.Survived != 2 || rep.Score != 60 {
		t.Fatalf("JSON report: got %+v", rep)
	}
	for _, m := range rep.Specs[0].Mutants {
		if m.Name == "ignores-logout" && (m.Outcome != "survived" || m.Hint == "") {
			t.Errorf("JSON report: ignores-logout is %s with hint %q", m.Outcome, m.Hint)
		}
	}

	// Three mutants, picked with --mutant, repeated and comma-separated:
	// ignores-missing-credentials killed, ignores-logout survived,
	// no-rotation not applicable: a score of 50%.
	pickArgs := append(args, "--mutant", "ignores-logout,no-rotation", "--mutant", "ignores-missing-credentials")
	tests := []struct {
		minScore []string
		want     int
	}{
		{nil, exitFailed},
		{[]string{"--min-score", "50.1"}, exitFailed},
		{[]string{"--min-score", "50"}, exitPassed},
		{[]string{"--min-score", "0"}, exitPassed},
	}
	for _, tc := range tests {
		code, stdout, stderr := cli(t, context.Background(), nil, append(pickArgs, tc.minScore...)...)
		if code != tc.want {
			t.Errorf("%v: exit %d, want %d\n%s%s", tc.minScore, code, tc.want, stdout, stderr)
		}
		if n := strings.Count(stdout, "\namplifi "); n != 3 || !strings.Contains(stdout, "mutation score: 50% (1 killed, 1 survived, 1 not applicable)") {
			t.Errorf("%v: %d mutants, want 3 scoring 50%%:\n%s", tc.minScore, n, stdout)
		}
	}
}

// TestMutateFailedBaseline: a spec that does not pass as it is exits 1,
// its mutants not run.
func TestMutateFailedBaseline(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../specs/amplifi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.Replace(string(b), `- json("segment") == "basic"`, `- json("segment") == "gold"`, 1)
	path := filepath.Join(t.TempDir(), "amplifi.yaml")
	os.WriteFile(path, []byte(broken), 0o644)
	code, stdout, stderr := cli(t, context.Background(), nil, "mutate", path, "--flow", "internet login answers every documented field")
	if code != exitFailed {
		t.Fatalf("exit code: got %d, want 1\n%s%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, `baseline failed, so no mutant was run: internet login answers every documented field › step 1 login: log in`) ||
		!strings.Contains(stderr, "1 spec(s) did not pass as they are") {
		t.Errorf("the failed baseline is not reported:\n%s%s", stdout, stderr)
	}
}

func TestMutateUsageErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		says string
	}{
		{[]string{"mutate", "../../specs/mic.yaml", "--mutant", "ignores-logut"}, `no mutant named "ignores-logut" (did you mean "ignores-logout"?)`},
		{[]string{"mutate", "../../specs/mic.yaml", "--min-score", "101"}, "--min-score 101: want a percentage from 0 to 100"},
		{[]string{"mutate", "../../specs/mic.yaml", "--shard", "1/2"}, "--shard: mutate runs every flow of a spec"},
		{[]string{"mutate", "../../specs/mic.yaml", "--flow", "no such flow"}, "no flow matches"},
		{[]string{"mutate", "../../specs/mic.yaml", "--limit", "rows"}, "--limit"},
		{[]string{"mutate"}, "requires at least 1 arg"},
		{[]string{"mutate", "../../specs/mic.yaml", "--cacert", "no-such-file.pem"}, "--cacert"},
		{[]string{"mutate", "../../specs/mic.yaml", "--var", "no-equals-sign"}, "--var"},
	}
	for _, tc := range tests {
		code, stdout, stderr := cli(t, context.Background(), nil, tc.args...)
		if code != exitUsage || !strings.Contains(stderr, tc.says) {
			t.Errorf("%v: exit %d, want 2 saying %q\n%s%s", tc.args, code, tc.says, stdout, stderr)
		}
	}
}

// TestMutateHonoursRunFlags: the spec flags (--var) and the client flags
// (--insecure) of run apply to mutate; the TLS ones to the requests the
// proxy sends on to the API.
func TestMutateHonoursRunFlags(t *testing.T) {
	t.Parallel()
	srv := httptest.NewUnstartedServer(httpbin.New().Handler())
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshakes refused on purpose
	srv.StartTLS()
	defer srv.Close()
	spec := writeSpec(t, `provider: httpbin
base_url: ${HTTPBIN_URL}
auth: {headers: {Authorization: "Bearer {{token}}"}}
requests:
  login: {method: POST, path: /anything, json: {token: a-token-of-httpbin}, capture: {token: json.token}}
flows:
  - name: bearer
    steps:
      - login: {}
      - call: {path: /bearer}
      - expect-401: {name: no token, path: /bearer, omit: [Authorization]}
`)
	args := []string{"mutate", spec, "--var", "HTTPBIN_URL=" + srv.URL, "--mutant", "ignores-missing-credentials"}
	code, stdout, stderr := cli(t, context.Background(), nil, args...)
	if code != exitFailed || !strings.Contains(stdout, "baseline failed, so no mutant was run") || !strings.Contains(stdout, "the proxy could not reach 127.0.0.1") || !strings.Contains(stdout, "certificate") {
		t.Errorf("without --insecure: exit %d, want 1 with the baseline failing on the certificate\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr = cli(t, context.Background(), nil, append(args, "--insecure")...)
	if code != exitPassed || !regexp.MustCompile(`(?m)^httpbin +ignores-missing-credentials +killed +bearer › step 3 expect-401: no token`).MatchString(stdout) {
		t.Errorf("with --insecure: exit %d, want 0 with the mutant killed by step 3\n%s%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, insecureWarning) {
		t.Errorf("no --insecure warning on stderr:\n%s", stderr)
	}
}
