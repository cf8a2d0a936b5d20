package flows

import (
	"slices"
	"strings"
	"testing"
	"time"
)

const retryHead = `provider: r
base_url: http://h
retry_on: [429, 503]
requests:
  me: {path: /me}
flows:
`

func TestRetryDecodes(t *testing.T) {
	s, err := Parse("r.yaml", []byte(retryHead+`  - name: defaults
    steps:
      - request: {use: me, retry: {until: "status == 401"}}
  - name: own
    retry_on: 502
    steps:
      - request: {path: /x, retry: {until: "status == 200", every: 10ms, for: 10m}}
      - request: {path: /y}
`), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name         string
		step         *Step
		flow         *Flow
		until        string
		line, col    int
		every, limit time.Duration
		retryOn      []int
	}{
		{"defaults, through a named request", s.Flows[0].Steps[0], s.Flows[0], "status == 401", 9, 43, DefaultRetryEvery, DefaultRetryFor, []int{429, 503}},
		{"bounds, and the flow's statuses", s.Flows[1].Steps[0], s.Flows[1], "status == 200", 13, 44, MinRetryEvery, MaxRetryFor, []int{502}},
	} {
		r := tc.step.Action.(Sender).Req().Retry
		if r == nil {
			t.Fatalf("%s: got no retry", tc.name)
		}
		if r.Until != tc.until || r.UntilPos.Line != tc.line || r.UntilPos.Col != tc.col || r.Every != tc.every || r.For != tc.limit {
			t.Errorf("%s: got until %q at %d:%d, every %s, for %s; want %q at %d:%d, every %s, for %s",
				tc.name, r.Until, r.UntilPos.Line, r.UntilPos.Col, r.Every, r.For, tc.until, tc.line, tc.col, tc.every, tc.limit)
		}
		if got := s.RetryStatuses(tc.flow); !slices.Equal(got, tc.retryOn) {
			t.Errorf("%s: retry_on: got %v, want %v", tc.name, got, tc.retryOn)
		}
	}
	if r := s.Flows[1].Steps[1].Action.(Sender).Req().Retry; r != nil {
		t.Errorf("a step without retry: got %+v, want none", r)
	}
}

func TestRetryErrors(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"a success under retry_on", "retry_on: [200, 503]\n",
			`r.yaml:1:11: retry_on: 200 is not a failure; name 4xx and 5xx statuses such as 429 and 503`},
		{"an empty retry_on", "retry_on: []\n",
			`r.yaml:1:11: retry_on: want a status or a list of them, such as [429, 503]`},
		{"not a status", "retry_on: [700]\n",
			`r.yaml:1:11: retry_on: 700 is not an HTTP status (100 to 599)`},
		{"a flow's", "flows: [{name: a, retry_on: soon, steps: [{wait: 1s}]}]\n",
			`r.yaml:1:29: flow "a": retry_on: want a whole number or a list of them, got "soon"`},
		{"retry on a named request", "requests: {me: {path: /me, retry: {until: \"true\"}}}\n",
			`r.yaml:1:28: request "me": unknown key "retry"`},
		{"a bad every is one problem", "flows: [{name: a, steps: [{request: {path: /, retry: {until: \"true\", every: soon}}}]}]\n",
			`r.yaml:1:77: flow "a": step 1 (request): retry: every: want a duration such as 500ms, 2s or 1m, got "soon"`},
		{"for of zero", "flows: [{name: a, steps: [{request: {path: /, retry: {until: \"true\", for: 0s}}}]}]\n",
			`r.yaml:1:75: flow "a": step 1 (request): retry: for: 0s is out of bounds; give more than 0s and at most 10m0s`},
		{"an empty until", "flows: [{name: a, steps: [{request: {path: /, retry: {until: \"\"}}}]}]\n",
			`r.yaml:1:62: flow "a": step 1 (request): retry: until: an empty expression; write what the answer must hold`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := "provider: r\nbase_url: http://h\n"
			if !strings.Contains(tc.src, "flows:") {
				src += "flows: [{name: a, steps: [{wait: 1s}]}]\n"
			}
			// The line under test comes first, so its place is line 1.
			_, err := Parse("r.yaml", []byte(tc.src+src), noEnv)
			if err == nil {
				t.Fatalf("got no error, want %q", tc.want)
			}
			lines := strings.Split(err.Error(), "\n")
			if !strings.HasPrefix(lines[0], tc.want) || len(lines) != 1 {
				t.Errorf("got  %q\nwant one problem: %q", lines, tc.want)
			}
		})
	}
}
