package main

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mccutchen/go-httpbin/v2/httpbin"
)

// TestTwoInstancesIncludeAndEnvFile runs the example of a second,
// short-lived instance, a login included from another file and
// credentials from an env file, with no wrapper script.
func TestTwoInstancesIncludeAndEnvFile(t *testing.T) {
	code, stdout, stderr := cli(t, context.Background(), nil, "../../examples/two-instances")
	if code != exitPassed {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{"2 flows: 2 passed", "; server short: embedded sandbox at http://127.0.0.1:"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
}

const varsSpec = `provider: vars
base_url: ${API_URL:-http://127.0.0.1:1}
vars:
  who: ${WHO:-default}
  greeting: hello
environments:
  local:
    base_url: ${LOCAL_URL}
    vars: {greeting: hi}
flows:
  - name: echo
    steps:
      - request:
          path: /anything
          query: {who: "{{who}}", greeting: "{{greeting}}"}
          expect: {assert: ['json("args.who") == [want_who] && json("args.greeting") == [want_greeting]']}
`

func TestVarEnvFileAndEnvironment(t *testing.T) {
	srv := httptest.NewServer(httpbin.New().Handler())
	defer srv.Close()
	dir := t.TempDir()
	spec := filepath.Join(dir, "vars.yaml")
	os.WriteFile(spec, []byte(strings.Replace(varsSpec, "vars:\n  who:", "vars:\n  want_who: ${WANT_WHO}\n  want_greeting: ${WANT_GREETING}\n  who:", 1)), 0o644)
	envFile := filepath.Join(dir, "a.env")
	os.WriteFile(envFile, []byte("API_URL="+srv.URL+"\nWHO=from-env-file\nLOCAL_URL="+srv.URL+"\n"), 0o644)
	process := map[string]string{"WHO": "from-process", "WANT_WHO": "from-env-file", "WANT_GREETING": "hello"}
	for _, tc := range []struct {
		name string
		args []string
		want map[string]string
	}{
		{"env file over the process", []string{"--env-file", envFile}, nil},
		{"--var over the env file", []string{"--env-file", envFile, "--var", "WHO=from-flag"}, map[string]string{"WANT_WHO": "from-flag"}},
		{"--var sets a spec variable", []string{"--env-file", envFile, "--var", "who=direct"}, map[string]string{"WANT_WHO": "direct"}},
		{"an environment", []string{"--env-file", envFile, "--env", "local"}, map[string]string{"WANT_GREETING": "hi"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vars := map[string]string{}
			for k, v := range process {
				vars[k] = v
			}
			for k, v := range tc.want {
				vars[k] = v
			}
			code, stdout, stderr := cli(t, context.Background(), vars, append([]string{spec, "-q"}, tc.args...)...)
			if code != exitPassed {
				_, out, _ := cli(t, context.Background(), vars, append([]string{spec}, tc.args...)...)
				t.Fatalf("exit %d: %s%s\n%s", code, stdout, stderr, out)
			}
		})
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown environment", []string{"--env", "locl"}, `no environment named "locl" (did you mean "local"?)`},
		{"bad --var", []string{"--var", "novalue"}, `--var "novalue": write NAME=value`},
		{"missing env file", []string{"--env-file", filepath.Join(dir, "none.env")}, "none.env: no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := cli(t, context.Background(), process, append([]string{spec}, tc.args...)...)
			if code != exitUsage || !strings.Contains(stderr, tc.want) {
				t.Errorf("got exit %d, stderr %q; want 2 and %q", code, stderr, tc.want)
			}
		})
	}
}

func TestValidateNeedsNoEnvironment(t *testing.T) {
	spec := writeSpec(t, "provider: p\nbase_url: ${API_URL}\nvars: {token: \"${API_TOKEN}\"}\nflows: [{name: f, steps: [{request: {path: /, headers: {X-Token: \"{{token}}\"}}}]}]\n")
	code, stdout, stderr := cli(t, context.Background(), nil, "validate", spec)
	if code != exitPassed || !strings.Contains(stdout, "not set here, needed to run: API_URL ("+spec+":2:11), API_TOKEN ("+spec+":3:15)") {
		t.Errorf("validate: exit %d\n%s%s", code, stdout, stderr)
	}
	code, _, stderr = cli(t, context.Background(), nil, "run", spec)
	if code != exitUsage || strings.Count(stderr, "is not set") != 2 || strings.Contains(stderr, "base_url is empty") {
		t.Errorf("run: exit %d; want each unset variable once and no second problem for the base URL:\n%s", code, stderr)
	}
}
