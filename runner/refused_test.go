package runner_test

import (
	"testing"

	"github.com/flowrun/flowrun/runner"
)

func TestSpecWideRefusalStatus(t *testing.T) {
	srv := httpbinServer(t)
	p := plan(t, srv.URL, `
provider: refused
base_url: http://unused
vars: {key: k-123456}
auth: {headers: {X-Key: "{{key}}"}, refused: [403, 418]}
flows:
  - name: the spec's refusal status
    steps:
      - expect-401: {path: /status/418}
  - name: a step's own status wins
    steps:
      - expect-401: {path: /status/401, expect: {status: 401}}
  - name: 401 is not what this API refuses with
    steps:
      - expect-401: {path: /status/401}
`)
	res := run(t, p, runner.Config{})
	for name, want := range map[string]runner.Status{
		"the spec's refusal status":             runner.Passed,
		"a step's own status wins":              runner.Passed,
		"401 is not what this API refuses with": runner.Failed,
	} {
		f := flow(t, res, name)
		if f.Status != want {
			t.Errorf("%s: got %s, want %s", name, f.Status, want)
		}
		if name == "401 is not what this API refuses with" && f.Steps[0].Checks[0].Expected.Text != "403 or 418" {
			t.Errorf("expected: got %q, want the spec's refusal statuses", f.Steps[0].Checks[0].Expected.Text)
		}
	}
}
