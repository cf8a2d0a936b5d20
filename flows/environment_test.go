package flows_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowrun/flowrun/flows"
)

// files writes name → content under a temp dir and returns the dir.
func files(t *testing.T, fs map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range fs {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func varValue(s *flows.Spec, name string) string {
	for _, p := range s.Vars {
		if p.Name == name {
			return p.Value
		}
	}
	return "<none>"
}

func TestParseEnvFile(t *testing.T) {
	m, err := flows.ParseEnvFile("a.env", []byte("# comment\n\nexport A=1\nB = two words # note\nC='lit $x # y'\nD=\"l1\\nl2 \\\"q\\\"\"\nE=\n"))
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"A": "1", "B": "two words", "C": "lit $x # y", "D": "l1\nl2 \"q\"", "E": ""} {
		if m[k] != want {
			t.Errorf("%s: got %q, want %q", k, m[k], want)
		}
	}
	_, err = flows.ParseEnvFile("b.env", []byte("OK=1\nnot a line\nX=\"open secret-value\n"))
	if err == nil || !strings.Contains(err.Error(), "b.env:2:1: env file: want NAME=value") || !strings.Contains(err.Error(), `b.env:3:1: env file: X: the value's " is not closed`) {
		t.Errorf("got %v, want both problems at their lines", err)
	}
	if strings.Contains(err.Error(), "secret-value") {
		t.Errorf("the error echoes a value: %v", err)
	}
}

const precedenceSpec = `provider: p
base_url: ${URL:-http://default}
env_file: spec.env
vars:
  a: ${A:-spec-default}
  b: ${B:-spec-default}
  c: ${C:-spec-default}
  d: ${D:-spec-default}
  e: ${E:-spec-default}
  plain: written
flows: [{name: f, steps: [{request: {path: /}}]}]
`

func TestVariablePrecedence(t *testing.T) {
	dir := files(t, map[string]string{"s.yaml": precedenceSpec, "spec.env": "A=specfile\nB=specfile\nC=specfile\n"})
	s, err := flows.LoadWith(filepath.Join(dir, "s.yaml"), flows.Options{
		Getenv:  envOf(map[string]string{"A": "process", "B": "process", "C": "process", "D": "process"}),
		EnvFile: map[string]string{"A": "envfile", "B": "envfile"},
		Vars:    map[string]string{"A": "flag", "plain": "from-flag"},
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"a": "flag", "b": "envfile", "c": "specfile", "d": "process", "e": "spec-default", "plain": "from-flag"} {
		if got := varValue(s, name); got != want {
			t.Errorf("%s: got %q, want %q", name, got, want)
		}
	}
	if len(s.Deps) != 1 || filepath.Base(s.Deps[0]) != "spec.env" {
		t.Errorf("deps: got %v, want the spec's env file", s.Deps)
	}
}

func TestEnvironments(t *testing.T) {
	dir := files(t, map[string]string{"s.yaml": `provider: p
base_url: http://local
vars: {user: local-user, keep: kept}
environments:
  staging:
    base_url: https://staging.example.com
    vars: {user: "${STAGING_USER}"}
    env_file: staging.env
flows: [{name: f, steps: [{request: {path: /}}]}]
`, "staging.env": "STAGING_USER=stager\n"})
	path := filepath.Join(dir, "s.yaml")
	s, err := flows.LoadWith(path, flows.Options{Env: "staging"})
	if err != nil {
		t.Fatal(err)
	}
	if s.BaseURL != "https://staging.example.com" || varValue(s, "user") != "stager" || varValue(s, "keep") != "kept" || s.Env != "staging" {
		t.Errorf("got base %q user %q keep %q env %q", s.BaseURL, varValue(s, "user"), varValue(s, "keep"), s.Env)
	}
	if s, _ := flows.LoadWith(path, flows.Options{}); s.BaseURL != "http://local" || varValue(s, "user") != "local-user" {
		t.Errorf("without --env: got base %q user %q", s.BaseURL, varValue(s, "user"))
	}
	_, err = flows.LoadWith(path, flows.Options{Env: "stagin"})
	if err == nil || !strings.Contains(err.Error(), `--env stagin: no environment named "stagin" (did you mean "staging"?)`) {
		t.Errorf("got %v", err)
	}
}

func TestServers(t *testing.T) {
	src := `provider: p
base_url: http://main
servers:
  short: {sandbox: {provider: openloyalty, token_lifetime: 1s}}
  other: http://other
requests:
  login: {method: POST, path: /login, server: short, capture: {token: t}}
flows:
  - name: f
    steps:
      - login: {}
      - request: {server: othr, path: /x}
      - request: {server: other, url: http://abs}
`
	_, err := flows.Parse("s.yaml", []byte(src), envOf(nil))
	if err == nil {
		t.Fatal("want errors")
	}
	for _, want := range []string{`s.yaml:12:27: flow "f": step 2 (request): server: no server named "othr" (did you mean "other"?)`,
		"give server (with a path) or url (absolute), not both"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("errors lack %q:\n%v", want, err)
		}
	}
	s, err := flows.Parse("s.yaml", []byte(strings.Replace(strings.Replace(src, "othr", "other", 1), "server: other, url: http://abs", "server: other, path: /y", 1)), envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	if s.Servers["short"].Sandbox == nil || s.Servers["other"].URL != "http://other" {
		t.Errorf("servers: %+v %+v", s.Servers["short"], s.Servers["other"])
	}
	if got := s.Flows[0].Steps[0].Action.(flows.Sender).Req().Server; got != "short" {
		t.Errorf("the login step's server: got %q, want the named request's", got)
	}
}

func TestIncludes(t *testing.T) {
	dir := files(t, map[string]string{
		"shared/login.yaml": `include: [headers.yaml]
vars: {user: shared-user, password: "${PW:-pw}"}
secrets: [password]
auth: {headers: {Authorization: "Bearer {{token}}"}}
requests:
  login: {method: POST, path: /login, json: {u: "{{user}}"}, capture: {token: token}}
  profile: {path: /shared-profile}
`,
		"shared/headers.yaml": "headers: {Accept: application/json}\n",
		"s.yaml": `provider: p
base_url: http://h
include: shared/login.yaml
vars: {user: own-user}
requests:
  profile: {path: /own-profile}
flows: [{name: f, steps: [{login: {}}, {call: {use: profile}}]}]
`,
		"bad.yaml":    "provider: p\nbase_url: http://h\ninclude: [broken.yaml]\nflows: [{name: f, steps: [{wait: 1s}]}]\n",
		"broken.yaml": "vars: {a: b}\nrequests:\n  login: {method: POST, pth: /x}\n",
		"loop.yaml":   "provider: p\nbase_url: http://h\ninclude: [loop2.yaml]\nflows: [{name: f, steps: [{wait: 1s}]}]\n",
		"loop2.yaml":  "include: [loop.yaml]\n",
	})
	s, err := flows.LoadWith(filepath.Join(dir, "s.yaml"), flows.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if varValue(s, "user") != "own-user" || varValue(s, "password") != "pw" || len(s.Secrets) != 1 || len(s.Headers) != 1 {
		t.Errorf("vars %v secrets %v headers %v", s.Vars, s.Secrets, s.Headers)
	}
	if got := s.Requests["profile"].Path.S; got != "/own-profile" {
		t.Errorf("profile: got %s, want the spec's own", got)
	}
	if len(s.Deps) != 2 {
		t.Errorf("deps: got %v, want both included files", s.Deps)
	}
	_, err = flows.LoadWith(filepath.Join(dir, "bad.yaml"), flows.Options{})
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "broken.yaml")+`:3:25: request "login": unknown key "pth" (did you mean "path"?)`) {
		t.Errorf("a problem in an included file: got %v", err)
	}
	_, err = flows.LoadWith(filepath.Join(dir, "loop.yaml"), flows.Options{})
	if err == nil || !strings.Contains(err.Error(), "includes itself") {
		t.Errorf("an include cycle: got %v", err)
	}
}

func TestUnsetVariablesReportedOnce(t *testing.T) {
	src := "provider: p\nbase_url: ${API_URL}\nvars: {a: \"${TOKEN}\", b: \"x${TOKEN}\"}\nflows: [{name: f, steps: [{request: {path: /}}]}]\n"
	_, err := flows.Parse("s.yaml", []byte(src), envOf(nil))
	if err == nil {
		t.Fatal("want errors")
	}
	msg := err.Error()
	if n := strings.Count(msg, "\n") + 1; n != 2 || strings.Contains(msg, "base_url is empty") {
		t.Errorf("want one problem per unset variable and none for the empty base URL, got %d:\n%s", n, msg)
	}
	if !strings.Contains(msg, "s.yaml:3:11: environment variable TOKEN is not set") || !strings.Contains(msg, "(also used at line 3)") {
		t.Errorf("got:\n%s", msg)
	}
	s, err := flows.ParseWith("s.yaml", []byte(src), flows.Options{Lenient: true})
	if err != nil {
		t.Fatalf("lenient: %v", err)
	}
	if len(s.Unset) != 2 || s.Unset[0].Name != "API_URL" || s.Unset[1].Name != "TOKEN" {
		t.Errorf("unset: %+v", s.Unset)
	}
}

func TestOnlyTheChosenEnvironmentNeedsItsVariables(t *testing.T) {
	src := `provider: p
base_url: http://h
environments:
  a: {base_url: "${A_URL}"}
  b: {base_url: "${B_URL}"}
  c: {base_url: "${C_URL}"}
flows: [{name: f, steps: [{wait: 1s}]}]
`
	if _, err := flows.ParseWith("s.yaml", []byte(src), flows.Options{}); err != nil {
		t.Errorf("no environment chosen: %v", err)
	}
	_, err := flows.ParseWith("s.yaml", []byte(src), flows.Options{Env: "b"})
	if err == nil || !strings.Contains(err.Error(), "B_URL is not set") || strings.Contains(err.Error(), "A_URL") || strings.Contains(err.Error(), "C_URL") {
		t.Errorf("environment b: got %v, want only B_URL unset", err)
	}
}

func TestNamedRequestCapturesKeptForSuccessStatuses(t *testing.T) {
	s, err := flows.Parse("s.yaml", []byte(`provider: p
base_url: http://h
requests:
  login: {method: POST, path: /login, capture: {token: token}, expect: {assert: ['token != ""']}}
flows:
  - name: f
    steps:
      - login: {expect: {status: 200}}
      - request: {use: login, expect: {status: 401}}
`), envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	login := s.Flows[0].Steps[0].Action.(flows.Sender).Req()
	refused := s.Flows[0].Steps[1].Action.(flows.Sender).Req()
	if len(login.Capture) != 1 || len(login.Expect.Assert) != 1 {
		t.Errorf("a login expecting 200 lost the named request's captures or assertions: %+v", login)
	}
	if len(refused.Capture) != 0 || len(refused.Expect.Assert) != 0 {
		t.Errorf("a step expecting 401 kept the named request's captures or assertions: %+v", refused)
	}
}
