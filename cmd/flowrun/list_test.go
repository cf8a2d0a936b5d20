package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/mccutchen/go-httpbin/v2/httpbin"

	"github.com/flowrun/flowrun/runner"
)

// listSpec has a plain flow, a data-driven one and names with commas.
const listSpec = `provider: demo
base_url: ${URL:-http://127.0.0.1:1}
flows:
  - name: health
    tags: [smoke]
    steps: [{request: {path: /get}}]
  - name: users
    tags: [smoke, slow]
    rows:
      - {name: alice, id: 1}
      - {name: bob, id: 2}
    steps: [{request: {path: "/anything/{{id}}"}}]
  - name: a, b
    steps: [{request: {path: /get}}]
  - name: a
    steps: [{request: {path: /get}}]
  - name: b
    steps: [{request: {path: /get}}]
`

func TestListPrintsWhatWouldRun(t *testing.T) {
	spec := writeSpec(t, listSpec)
	for _, tc := range []struct {
		name string
		args []string
		want string // SPEC stands for the spec's path
	}{
		{"every flow", nil, `demo  health         smoke       SPEC:4
demo  users [alice]  smoke,slow  SPEC:10
demo  users [bob]    smoke,slow  SPEC:11
demo  a, b           -           SPEC:13
demo  a              -           SPEC:15
demo  b              -           SPEC:17
6 flows in 1 spec would run
`},
		{"--tags", []string{"--tags", "smoke,nosuch"}, `demo  health         smoke       SPEC:4
demo  users [alice]  smoke,slow  SPEC:10
demo  users [bob]    smoke,slow  SPEC:11
3 flows in 1 spec would run
`},
		{"--skip-tags", []string{"--tags", "smoke", "--skip-tags", "slow"}, `demo  health  smoke  SPEC:4
1 flow in 1 spec would run
`},
		{"--flow with a comma is one name", []string{"--flow", "a, b"}, `demo  a, b  -  SPEC:13
1 flow in 1 spec would run
`},
		{"--flow repeated", []string{"--flow", "a", "--flow", "users [bob]"}, `demo  users [bob]  smoke,slow  SPEC:11
demo  a            -           SPEC:15
2 flows in 1 spec would run
`},
		{"--flow as a regular expression", []string{"--flow", "^(health|b)$", "--flow", `\[al`}, `demo  health         smoke       SPEC:4
demo  users [alice]  smoke,slow  SPEC:10
demo  b              -           SPEC:17
3 flows in 1 spec would run
`},
		{"--provider", []string{"--provider", "nosuch,demo", "--flow", "health"}, `demo  health  smoke  SPEC:4
1 flow in 1 spec would run
`},
		{"--shard 1/2", []string{"--shard", "1/2"}, `demo  health  smoke  SPEC:4
demo  a, b    -      SPEC:13
demo  b       -      SPEC:17
3 flows in 1 spec would run
`},
		{"--shard 2/2", []string{"--shard", "2/2"}, `demo  users [alice]  smoke,slow  SPEC:10
demo  users [bob]    smoke,slow  SPEC:11
demo  a              -           SPEC:15
3 flows in 1 spec would run
`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := cli(t, context.Background(), nil, append([]string{"list", spec}, tc.args...)...)
			if code != exitPassed {
				t.Fatalf("exit code: got %d, want 0; stderr:\n%s", code, stderr)
			}
			if got, want := stdout, strings.ReplaceAll(tc.want, "SPEC", spec); got != want {
				t.Errorf("got:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func TestListJSON(t *testing.T) {
	spec := writeSpec(t, listSpec)
	code, stdout, stderr := cli(t, context.Background(), nil, "list", "--json", "--flow", "users [alice]", "--flow", "a", spec)
	if code != exitPassed {
		t.Fatalf("exit code: got %d, want 0; stderr:\n%s", code, stderr)
	}
	var got listing
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, stdout)
	}
	want := listing{Specs: 1, Flows: []runner.Instance{
		{Provider: "demo", Name: "users [alice]", Row: "alice", Tags: []string{"smoke", "slow"}, File: spec,
			Pos: runner.Pos{File: spec, Line: 10, Col: 9}},
		{Provider: "demo", Name: "a", Tags: []string{}, File: spec, Pos: runner.Pos{File: spec, Line: 15, Col: 5}},
	}}
	gotJSON, _ := json.Marshal(got)
	wantJSON, _ := json.Marshal(want)
	if string(gotJSON) != string(wantJSON) {
		t.Errorf("got %s, want %s", gotJSON, wantJSON)
	}
}

func TestListUsageErrors(t *testing.T) {
	spec := writeSpec(t, listSpec)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no paths", []string{"list"}, "requires at least 1 arg"},
		{"filter matches nothing", []string{"list", "--tags", "nosuchtag", spec}, "no flow matches"},
		{"a comma-split name matches nothing", []string{"list", "--flow", "a,b", spec}, "no flow matches"},
		{"invalid spec", []string{"list", "testdata/invalid"}, "nothing was run"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := cli(t, context.Background(), nil, tc.args...)
			if code != exitUsage {
				t.Errorf("exit code: got %d, want %d; stderr: %s", code, exitUsage, stderr)
			}
			if stdout != "" {
				t.Errorf("stdout: got %q, want nothing", stdout)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr: got %q, want it to contain %q", stderr, tc.want)
			}
		})
	}
}

// TestListAgreesWithRun lists and runs the provider specs with the same
// filters: list must count the flows run runs.
func TestListAgreesWithRun(t *testing.T) {
	args := []string{"--tags", "smoke", "../../specs"}
	code, stdout, stderr := cli(t, context.Background(), nil, append([]string{"list"}, args...)...)
	if code != exitPassed {
		t.Fatalf("list: exit code: got %d, want 0; stderr:\n%s", code, stderr)
	}
	m := regexp.MustCompile(`(?m)^(\d+) flows? in \d+ specs? would run$`).FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("list prints no count line:\n%s", stdout)
	}
	if lines := strings.Count(stdout, "\n") - 1; strconv.Itoa(lines) != m[1] {
		t.Errorf("list prints %d lines but counts %s flows:\n%s", lines, m[1], stdout)
	}
	code, runOut, stderr := cli(t, context.Background(), nil, append([]string{"run", "-q"}, args...)...)
	if code != exitPassed {
		t.Fatalf("run: exit code: got %d, want 0\n%s%s", code, runOut, stderr)
	}
	if want := m[1] + " flow"; !strings.HasPrefix(runOut, want) {
		t.Errorf("run: got %q, want the summary to start with %q", runOut, want)
	}
}

// TestFilteredOutSpecStartsNoSandbox runs two sandboxed specs with a
// filter that picks a flow of one: the other starts no sandbox and is not
// reported.
func TestFilteredOutSpecStartsNoSandbox(t *testing.T) {
	dir := t.TempDir()
	for name, provider := range map[string]string{"picked": "mic", "left": "amplifi"} {
		body := `provider: ` + name + `
sandbox: ` + provider + `
flows:
  - name: ` + name + ` flow
    steps:
      - request:
          path: /users/alice
          headers: {x-api-key: sandbox-api-key}
          expect: {status: [401, 403, 404, 405]}
`
		if err := os.WriteFile(filepath.Join(dir, name+".yaml"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, stdout, stderr := cli(t, context.Background(), nil, "--flow", "picked flow", dir)
	if code != exitPassed {
		t.Fatalf("exit code: got %d, want 0\n%s%s", code, stdout, stderr)
	}
	if n := strings.Count(stdout, "embedded sandbox"); n != 1 {
		t.Errorf("got %d sandboxes reported, want 1:\n%s", n, stdout)
	}
	if strings.Contains(stdout, "left") || strings.Contains(stdout, "amplifi") {
		t.Errorf("the spec with no flow picked is reported:\n%s", stdout)
	}
	if !strings.Contains(stdout, "1 flow: 1 passed") {
		t.Errorf("got:\n%s\nwant 1 flow passed", stdout)
	}
}

// TestRunFlowNameWithComma runs the flow "a, b" and neither "a" nor "b".
func TestRunFlowNameWithComma(t *testing.T) {
	srv := httptest.NewServer(httpbin.New().Handler())
	defer srv.Close()
	spec := writeSpec(t, listSpec)
	code, stdout, stderr := cli(t, context.Background(), map[string]string{"URL": srv.URL}, "run", "--flow", "a, b", spec)
	if code != exitPassed {
		t.Fatalf("exit code: got %d, want 0\n%s%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "1 flow: 1 passed") || !strings.Contains(stdout, "a, b") {
		t.Errorf("got:\n%s\nwant the one flow \"a, b\" run", stdout)
	}
}

func TestListShowsLeasesAndShardsKeepThemTogether(t *testing.T) {
	spec := writeSpec(t, `provider: demo
base_url: http://127.0.0.1:1
vars: {who: alice}
flows:
  - {name: one, exclusive: ["{{who}}"], steps: [{request: {path: /}}]}
  - {name: two, steps: [{request: {path: /}}]}
  - {name: three, exclusive: [alice, bob], steps: [{request: {path: /}}]}
  - {name: four, steps: [{request: {path: /}}]}
  - {name: five, exclusive: [bob], steps: [{request: {path: /}}]}
`)
	_, all, _ := cli(t, context.Background(), nil, "list", spec)
	if !regexp.MustCompile(`(?m)^demo  one .*exclusive: alice$`).MatchString(all) || !strings.Contains(all, "exclusive: alice,bob\n") {
		t.Errorf("got:\n%s\nwant the leases listed", all)
	}
	together := 0
	for k := 1; k <= 3; k++ {
		_, out, _ := cli(t, context.Background(), nil, "list", "--shard", fmt.Sprintf("%d/3", k), spec)
		n := strings.Count(out, "exclusive:")
		if n != 0 && n != 3 {
			t.Errorf("shard %d/3: got %d of the 3 flows that share leases, want all or none:\n%s", k, n, out)
		}
		together += n
	}
	if together != 3 {
		t.Errorf("got %d flows with leases over the shards, want 3", together)
	}
}

func TestSelectionFlagErrors(t *testing.T) {
	spec := writeSpec(t, listSpec)
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"--flow", "users [carol"}, nil, `--flow "users [carol" names no flow, and is not a regular expression: missing closing ]`},
		{[]string{"--shard", "3/2"}, nil, "--shard 3/2: K must be from 1 to 2"},
		{[]string{"--shard", "x"}, nil, "--shard x: want K/N"},
		{[]string{"--shard", "4"}, nil, "neither is set; write K/N"},
		{[]string{"--shard", "4"}, map[string]string{"JOB_COMPLETION_INDEX": "4"}, "--shard 4: K must be from 1 to 4"},
		{[]string{"--flow", "nosuch"}, nil, "no flow matches"},
	} {
		code, _, stderr := cli(t, context.Background(), tc.env, append([]string{"list", spec}, tc.args...)...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: got exit %d, %q; want 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
	// The machine's index from the CI engine: Kubernetes counts from 0, GitLab from 1.
	for _, env := range []map[string]string{{"JOB_COMPLETION_INDEX": "1"}, {"CI_NODE_INDEX": "2"}} {
		_, got, _ := cli(t, context.Background(), env, "list", "--shard", "2", spec)
		_, want, _ := cli(t, context.Background(), nil, "list", "--shard", "2/2", spec)
		if got != want {
			t.Errorf("%v: got\n%s\nwant shard 2/2:\n%s", env, got, want)
		}
	}
}
