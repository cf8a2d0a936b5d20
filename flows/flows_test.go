package flows

import (
	"strings"
	"testing"
)

func noEnv(string) (string, bool) { return "", false }

func TestExpandEnv(t *testing.T) {
	env := func(k string) (string, bool) {
		v, ok := map[string]string{"HOST": "api.example.com", "EMPTY": ""}[k]
		return v, ok
	}
	for _, tc := range []struct {
		name, in, want, err string
	}{
		{"plain", "no refs", "no refs", ""},
		{"set", "https://${HOST}/v1", "https://api.example.com/v1", ""},
		{"default used", "${MISSING:-fallback}", "fallback", ""},
		{"empty default", "${MISSING:-}", "", ""},
		{"empty value takes default", "${EMPTY:-d}", "d", ""},
		{"set wins over default", "${HOST:-other}", "api.example.com", ""},
		{"dollar escape", "$$5 and $HOST", "$5 and $HOST", ""},
		{"unset without default", "${MISSING}", "", "environment variable MISSING is not set"},
		{"unclosed", "${HOST", "", "unclosed ${"},
		{"bad name", "${9X}", "", "bad environment variable name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := expandEnv(tc.in, env)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error: got %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestCheckPath(t *testing.T) {
	for _, tc := range []struct {
		path string
		ok   bool
	}{
		{"token", true},
		{"credentials.token", true},
		{"items.#.id", true},
		{`items.#(name=="a b").id`, true},
		{"friends.#(last==\"Murphy\")#.first", true},
		{"a\\.b", true},
		{"@reverse", true},
		{"children|@reverse|0", true},
		{"", false},
		{"a..b", false},
		{"a.", false},
		{"items.#(id==1", false},
		{"a)", false},
		{"@nosuch", false},
		{`a."b`, false},
	} {
		err := CheckPath(tc.path)
		if (err == nil) != tc.ok {
			t.Errorf("CheckPath(%q): got %v, want ok=%v", tc.path, err, tc.ok)
		}
	}
}

func TestMergeNamedRequest(t *testing.T) {
	s, err := Parse("m.yaml", []byte(`
provider: m
base_url: http://x
requests:
  login:
    method: POST
    path: /login
    headers: {X-A: a, X-B: b}
    json: {user: u, password: p, device: {os: linux, id: 1}}
    capture: {token: token}
    expect: {status: 200, assert: ["token != ''"]}
flows:
  - name: f
    steps:
      - login:
          headers: {x-b: override}
          json: {user: other, device: {id: 2}}
      - request:
          use: login
          expect: {status: 401}
      - expect-401:
          use: login
`), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	login := s.Flows[0].Steps[0].Action.(Sender).Req()
	if got := login.JSON.(map[string]any); got["user"] != "other" || got["password"] != "p" || got["device"].(map[string]any)["os"] != "linux" || got["device"].(map[string]any)["id"] != 2 {
		t.Errorf("json merge: got %v", got)
	}
	if len(login.Headers) != 2 || login.Headers[1].Value != "override" {
		t.Errorf("header merge: got %v", login.Headers)
	}
	if len(login.Capture) != 1 || len(login.Expect.Assert) != 1 || login.Method != "POST" || login.Session != DefaultSession {
		t.Errorf("login keeps the named request's checks: got %+v", login)
	}
	for i, name := range map[int]string{1: "request with its own status", 2: "expect-401"} {
		r := s.Flows[0].Steps[i].Action.(Sender).Req()
		if len(r.Capture) != 0 || len(r.Expect.Assert) != 0 {
			t.Errorf("%s inherits the success checks: capture %v, assert %v", name, r.Capture, r.Expect.Assert)
		}
	}
}

func TestStepKinds(t *testing.T) {
	s, err := Parse("k.yaml", []byte(`
provider: k
base_url: http://x
auth: {headers: {Authorization: "Bearer {{token}}"}, query: {identityId: "{{id}}"}}
requests:
  login: {method: POST, path: /login, capture: {token: token, id: id}}
  refresh: {path: /refresh, capture: {token: token}, rotate: [token]}
  logout: {path: /logout}
flows:
  - name: all
    steps:
      - login: {}
      - call: {path: /me}
      - expect-401: {path: /me, omit: [identityId], tamper: [authorization]}
      - refresh: {}
      - logout: {}
      - expect-401: {path: /me}
      - request: {path: /public}
      - wait: 1s
      - wait: {duration: 250ms}
`), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, st := range s.Flows[0].Steps {
		kinds = append(kinds, st.Action.Kind())
	}
	if got := strings.Join(kinds, ","); got != "login,call,expect-401,refresh,logout,expect-401,request,wait,wait" {
		t.Errorf("kinds: got %s", got)
	}
	steps := s.Flows[0].Steps
	if e := steps[2].Action.(Sender).Credentials(); !e.Attach || e.Omit[0] != "identityId" || e.Tamper[0] != "authorization" {
		t.Errorf("expect-401 credentials: got %+v", e)
	}
	if r := steps[3].Action.(Sender).Req(); r.Path.S != "/refresh" || r.Rotate[0] != "token" {
		t.Errorf("refresh uses requests.refresh: got %+v", r)
	}
	if w := steps[8].Action.(Wait); w.Duration.Milliseconds() != 250 {
		t.Errorf("wait: got %v", w.Duration)
	}
}

func TestRowsFromFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		t.Helper()
		p := dir + "/" + name
		if err := writeFile(p, body); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("rows.csv", "name,channel\ninternet,internet\nbrowser,browser\n")
	write("rows.yml", "- {name: a, n: 1}\n- {name: b, n: 2}\n")
	spec := write("s.yaml", `
provider: r
base_url: http://x
flows:
  - name: csv
    rows_file: rows.csv
    steps: [{request: {path: "/{{channel}}"}}]
  - name: yaml
    rows_file: rows.yml
    steps: [{request: {path: "/{{n}}"}}]
  - name: mismatched
    rows: [{name: a, x: 1}, {name: a, y: 2}]
    steps: [{request: {path: /}}]
`)
	_, err := Load(spec, noEnv)
	if err == nil {
		t.Fatal("want errors for the mismatched rows")
	}
	for _, want := range []string{"row 2 sets [name y], but the first row sets [name x]", `two rows are named "a"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	if strings.Contains(err.Error(), "csv") || strings.Contains(err.Error(), "rows.yml") {
		t.Errorf("the row files should load cleanly: %v", err)
	}
}
