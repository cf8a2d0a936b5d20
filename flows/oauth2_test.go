package flows

import (
	"strings"
	"testing"
)

const oauth2Head = `
provider: idp
base_url: http://127.0.0.1:1
vars: {id: app, secret: s3cret-value, user: alice, pw: alice-password}
secrets: [secret, pw]
`

func TestGrantBuildsTheTokenRequest(t *testing.T) {
	s, err := Parse("o.yaml", []byte(oauth2Head+`
oauth2:
  token_url: /oauth2/token
  revocation_url: /oauth2/revoke
  introspection_url: /oauth2/introspect
  client_id: "{{id}}"
  client_secret: "{{secret}}"
  scope: [read, offline]
  username: "{{user}}"
  password: "{{pw}}"
flows:
  - name: f
    steps:
      - login: {}
      - call: {path: /me}
      - refresh: {form: {audience: api}}
      - logout: {revoke: refresh_token}
      - introspect: {token: refresh_token, active: false}
`), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	steps := s.Flows[0].Steps
	login := steps[0].Action.(Sender).Req()
	if login.Grant != GrantPassword || login.Method != "POST" || login.URL == nil || login.URL.S != "{{oauth2.token_endpoint}}" {
		t.Errorf("login: grant %q, %s %v; want the password grant POSTed to the token endpoint", login.Grant, login.Method, login.URL)
	}
	form := map[string]string{}
	for _, p := range login.Form {
		form[p.Name] = p.Value
	}
	want := map[string]string{"grant_type": "password", "username": "{{user}}", "password": "{{pw}}", "scope": "read offline"}
	for k, v := range want {
		if form[k] != v {
			t.Errorf("login form %s = %q, want %q", k, form[k], v)
		}
	}
	if _, ok := form["client_secret"]; ok {
		t.Errorf("client_secret_basic sends the secret in the form: %v", form)
	}
	if len(login.Headers) != 1 || !strings.HasPrefix(login.Headers[0].Value, "Basic {{basicAuth(formEncode(") {
		t.Errorf("login headers %v; want the client's Basic authentication", login.Headers)
	}
	var captured []string
	for _, c := range login.Capture {
		captured = append(captured, c.Name)
		if c.Optional == (c.Name == "access_token") {
			t.Errorf("capture %s: optional %v", c.Name, c.Optional)
		}
	}
	if strings.Join(captured, ",") != "access_token,refresh_token,id_token,expires_in,token_type,scope" {
		t.Errorf("captures %v", captured)
	}
	refresh := steps[2].Action.(Sender).Req()
	rf := map[string]string{}
	for _, p := range refresh.Form {
		rf[p.Name] = p.Value
	}
	if rf["grant_type"] != "refresh_token" || rf["refresh_token"] != "{{refresh_token}}" || rf["audience"] != "api" || rf["scope"] != "" {
		t.Errorf("refresh form %v", rf)
	}
	logout := steps[3].Action.(Logout)
	if logout.Request.URL.S != "{{oauth2.revocation_endpoint}}" || logout.Credentials().Attach {
		t.Errorf("a revoking logout: %v, attach %v", logout.Request.URL, logout.Credentials().Attach)
	}
	in := steps[4].Action.(Introspect)
	if in.Request.URL.S != "{{oauth2.introspection_endpoint}}" || in.Request.Expect.Assert[0].Expr != `json("active") == false` {
		t.Errorf("introspect: %v %v", in.Request.URL, in.Request.Expect.Assert)
	}
	if len(s.Auth.Headers) != 1 || s.Auth.Headers[0].Value != "Bearer {{access_token}}" {
		t.Errorf("auth %v; want Bearer {{access_token}} by default", s.Auth.Headers)
	}
}

func TestClientAuthInTheForm(t *testing.T) {
	s, err := Parse("o.yaml", []byte(oauth2Head+`
oauth2: {token_url: /t, client_id: "{{id}}", client_secret: "{{secret}}", client_auth: client_secret_post}
flows:
  - name: f
    steps:
      - login: {grant: client_credentials}
`), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	r := s.Flows[0].Steps[0].Action.(Sender).Req()
	form := map[string]string{}
	for _, p := range r.Form {
		form[p.Name] = p.Value
	}
	if form["client_id"] != "{{oauth2.client_id}}" || form["client_secret"] != "{{oauth2.client_secret}}" || form["grant_type"] != "client_credentials" || len(r.Headers) != 0 {
		t.Errorf("form %v headers %v", form, r.Headers)
	}
}

func TestOAuth2Mistakes(t *testing.T) {
	for _, tc := range []struct{ spec, want string }{
		{`
flows: [{name: f, steps: [{login: {grant: password, path: /t, capture: {t: t}}}]}]`, "grant: needs the spec's oauth2: section"},
		{`
oauth2: {token_url: /t, client_id: a, client_secret: b}
flows: [{name: f, steps: [{login: {grant: passwrd}}]}]`, `"passwrd" is not a grant (did you mean "password"?)`},
		{`
oauth2: {token_url: /t, client_id: a, client_secret: b}
flows: [{name: f, steps: [{login: {grant: password}}]}]`, "grant: password needs oauth2: username: and password:"},
		{`
oauth2: {client_id: a, client_secret: b}
flows: [{name: f, steps: [{login: {}}]}]`, "oauth2: give issuer:"},
		{`
oauth2: {token_url: /t, client_secret: b}
flows: [{name: f, steps: [{login: {}}]}]`, "oauth2: client_id is missing"},
		{`
oauth2: {token_url: /t, client_id: a}
flows: [{name: f, steps: [{login: {}}]}]`, "oauth2: client_secret is missing"},
		{`
oauth2: {token_url: /t, client_id: a, client_secret: b, client_auth: basic}
flows: [{name: f, steps: [{login: {}}]}]`, `"basic" is not a client authentication method`},
		{`
oauth2: {token_url: /t, client_id: a, client_secret: b}
flows: [{name: f, steps: [{login: {}}, {logout: {revoke: refresh_tokn}}]}]`, `revoke: "refresh_tokn" is not a credential any login or refresh captures (did you mean "refresh_token"?)`},
		{`
oauth2: {token_url: /t, client_id: a, client_secret: b}
flows: [{name: f, steps: [{login: {}}, {call: {path: /x, grant: password}}]}]`, "unknown key"},
		{`
flows: [{name: f, steps: [{introspect: {}}]}]`, "introspect needs the spec's oauth2: section"},
		{`
auth: {basic: {user: a, password: b}, headers: {Authorization: x}}
flows: [{name: f, steps: [{call: {path: /x}}]}]`, "auth: give basic: or an Authorization header, not both"},
	} {
		_, err := Parse("o.yaml", []byte(oauth2Head+tc.spec), noEnv)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("spec %s\ngot error %v\nwant it to say %q", tc.spec, err, tc.want)
		}
	}
}

func TestTemplateExpr(t *testing.T) {
	for in, want := range map[string]string{
		"{{user}}":     "(user)",
		"alice":        `"alice"`,
		"a{{b}}c":      `"a" + string(b) + "c"`,
		`say "hi"`:     `"say \"hi\""`,
		"{{ x }}{{y}}": "string(x) + string(y)",
		"":             `""`,
	} {
		if got := templateExpr(in); got != want {
			t.Errorf("templateExpr(%q) = %s, want %s", in, got, want)
		}
	}
}
