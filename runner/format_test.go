package runner_test

import (
	"encoding/json"
	"testing"

	"github.com/flowrun/flowrun/runner"
)

// The format's rough edges that real specs found, each through a real run.

func TestFixedCredentialNeedsNoLogin(t *testing.T) {
	srv := httpbinServer(t)
	p := plan(t, srv.URL, `
provider: token
base_url: http://unused
vars: {api_token: fixed-token-123}
secrets: [api_token]
auth: {headers: {X-Api-Token: "{{api_token}}"}}
flows:
  - name: no login
    steps:
      - call: {path: /headers, expect: {assert: ['json("headers.X-Api-Token") == [api_token]']}}
      - expect-401: {path: /headers, omit: [X-Api-Token], expect: {status: 200, assert: ['json("headers.X-Api-Token") == nil']}}
`)
	if !p.Spec.StaticAuth {
		t.Fatal("an auth of variables only is not seen as needing no login")
	}
	if f := flow(t, run(t, p, runner.Config{}), "no login"); f.Status != runner.Passed {
		b, _ := json.MarshalIndent(f.Steps, "", " ")
		t.Errorf("got %s: %s", f.Status, b)
	}
}

func TestNullRemovesAndCapturesReplace(t *testing.T) {
	srv := httpbinServer(t)
	p := plan(t, srv.URL, `
provider: merge
base_url: http://unused
requests:
  post:
    method: POST
    path: /anything
    json: {keep: 1, drop: 2, nested: {a: 1, b: 2}}
    capture: {value: json.keep}
flows:
  - name: merge
    steps:
      - request:
          use: post
          json: {drop: null, nested: {b: null}, written: "{{nil}}"}
          capture: {value: json.nested.a}
          expect:
            assert:
              - 'sort(keys(json("json"))) == ["keep", "nested", "written"]'
              - 'json("json.nested.a") == 1 && json("json.nested.b") == nil'
              - 'json("json.written") == nil'
              - 'value == 1'
`)
	f := flow(t, run(t, p, runner.Config{}), "merge")
	if f.Status != runner.Passed {
		b, _ := json.MarshalIndent(f.Steps, "", " ")
		t.Fatalf("got %s: %s", f.Status, b)
	}
	if got := f.Steps[0].Captured; len(got) != 1 {
		t.Errorf("captures: got %v, want the step's one capture replacing the named request's", got)
	}
}

func TestTagsAndSecretsAsAPlainString(t *testing.T) {
	p := plan(t, "http://unused", `
provider: plain
base_url: http://unused
vars: {password: pw-123456}
secrets: password
flows:
  - name: f
    tags: smoke
    steps: [{wait: 1ms}]
`)
	if got := p.Spec.Flows[0].Tags; len(got) != 1 || got[0] != "smoke" {
		t.Errorf("tags: got %v", got)
	}
	if got := p.Spec.Secrets; len(got) != 1 || got[0] != "password" {
		t.Errorf("secrets: got %v", got)
	}
}

func TestDocumentedBuiltinsWork(t *testing.T) {
	srv := httpbinServer(t)
	p := plan(t, srv.URL, `
provider: builtins
base_url: http://unused
vars: {user: ann, password: "p:w", roles: '{{["admin", "qa"]}}'}
flows:
  - name: builtins
    steps:
      - request:
          path: /headers
          headers: {Authorization: "Basic {{toBase64(user + ':' + password)}}"}
          expect:
            assert:
              - 'fromBase64(trimPrefix(json("headers.Authorization")[0], "Basic ")) == "ann:p:w"'
              - 'upper(user) == "ANN" && lower("A") == "a" && trim(" a ") == "a" && trimSuffix("ab", "b") == "a"'
              - 'split("a,b", ",") == ["a", "b"] && replace("aa", "a", "b") == "bb" && repeat("a", 2) == "aa" && indexOf("abc", "c") == 2'
              - 'hasPrefix("abc", "a") && hasSuffix("abc", "c") && "abc" contains "b" && "abc" matches "^a"'
              - 'fromJSON(toJSON({"a": 1})).a == 1 && len(keys({"a": 1})) == 1 && len(values({"a": 1})) == 1'
              - 'sort([2, 1]) == [1, 2] && first([1]) == 1 && last([1, 2]) == 2 && count([1, 2], # > 1) == 1'
              - 'all([1], # > 0) && any([1], # > 0) && none([1], # > 1) && one([1], # == 1) && len(filter([1, 2], # > 1)) == 1 && map([1], # * 2) == [2]'
              - '"admin" in roles && abs(-1) == 1 && ceil(1.2) == 2 && floor(1.8) == 1 && round(1.5) == 2 && max(1, 2) == 2 && min(1, 2) == 1'
              - 'int("2") == 2 && float("1.5") == 1.5 && string(1) == "1" && (nil ?? "d") == "d" && (true ? 1 : 2) == 1'
              - 'now() > date("2020-01-02") && duration("1s") > duration("500ms")'
`)
	if f := flow(t, run(t, p, runner.Config{}), "builtins"); f.Status != runner.Passed {
		for _, c := range f.Steps[0].Checks {
			if !c.Passed() {
				t.Errorf("%s: %s %s", c.Expr, c.Status, c.Message)
			}
		}
		t.Errorf("got %s %s", f.Status, f.Steps[0].Error)
	}
}
