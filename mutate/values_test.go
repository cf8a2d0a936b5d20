package mutate

import (
	"maps"
	"net/http"
	"net/url"
	"testing"

	"github.com/flowrun/flowrun/flows"
)

func TestRewriteHeader(t *testing.T) {
	rw := func(v string) (string, bool) { return "new", v == "old" }
	tests := []struct {
		name, value, want string
		changed           bool
	}{
		{"X-Token", "old", "new", true},
		{"Authorization", "Bearer old", "Bearer new", true},
		{"Authorization", "Bearer other", "Bearer other", false},
		{"Cookie", "a=1; sid=old; b=2", "a=1; sid=new; b=2", true},
		{"Cookie", "sid=old", "sid=new", true},
	}
	for _, tc := range tests {
		got, changed := rewriteHeader(tc.name, tc.value, rw)
		if got != tc.want || changed != tc.changed {
			t.Errorf("%s: %s: got %q %v, want %q %v", tc.name, tc.value, got, changed, tc.want, tc.changed)
		}
	}
}

func TestRewriteBody(t *testing.T) {
	rw := func(v string) (string, bool) { return "new", v == "old" }
	tests := []struct {
		body, contentType, want string
		changed                 bool
	}{
		{`{"a": {"refresh": "old"}, "n": 12345678901234567890}`, "application/json", `{"a":{"refresh":"new"},"n":12345678901234567890}`, true},
		{`["old", "x"]`, "", `["new","x"]`, true},
		{`{"a": "<old>"}`, "application/json", `{"a": "<old>"}`, false},
		{"grant_type=refresh_token&refresh_token=old", "application/x-www-form-urlencoded", "grant_type=refresh_token&refresh_token=new", true},
		{" old\n", "text/plain", "new", true},
		{"", "", "", false},
	}
	for _, tc := range tests {
		got, changed := rewriteBody([]byte(tc.body), tc.contentType, rw)
		if string(got) != tc.want || changed != tc.changed {
			t.Errorf("%q: got %q %v, want %q %v", tc.body, got, changed, tc.want, tc.changed)
		}
	}
}

func TestPathsOfJSON(t *testing.T) {
	doc, ok := decodeJSON([]byte(`{"credentials": {"token": "t", "ids": ["a", "b"]}}`))
	if !ok {
		t.Fatal("not decoded")
	}
	var paths []string
	scalars(doc, nil, func(p jsonPath, v string) { paths = append(paths, p.String()+"="+v) })
	if got, want := len(paths), 3; got != want || paths[0] != "credentials.ids.0=a" || paths[2] != "credentials.token=t" {
		t.Errorf("got %v", paths)
	}
	if !setAt(doc, jsonPath{"credentials", "ids", 1}, "c") {
		t.Fatal("setAt found nothing")
	}
	if v, _ := at(doc, jsonPath{"credentials", "ids", 1}); v != "c" {
		t.Errorf("after setAt: got %q, want c", v)
	}
	if setAt(doc, jsonPath{"credentials", "missing"}, "x") {
		t.Error("setAt made a key that was not there")
	}
}

// TestCredentialsOnRequests: a credential is missing only when neither
// a header nor a query parameter of its name carries it; its recipe
// comes from the auth template and the login's capture.
func TestCredentialsOnRequests(t *testing.T) {
	x := &exchange{header: http.Header{"Authorization": {"Bearer t"}}, query: url.Values{"identityId": {"id-1"}}}
	auth := []credential{{name: "Authorization"}, {name: "identityId"}, {name: "x-api-key"}}
	for _, c := range auth[:2] {
		if x.lacks(c) {
			t.Errorf("%s: lacking, although the request carries it", c.name)
		}
	}
	if !x.lacks(auth[2]) {
		t.Error("x-api-key: not lacking, although the request has none")
	}
	x.set(credential{name: "token", query: true}, "v")
	if x.query.Get("token") != "v" {
		t.Errorf("set: the query holds %v", x.query)
	}
}

// TestRecipes: a credential made of one captured value is made again
// from where the login's answer holds it.
func TestRecipes(t *testing.T) {
	s, err := flows.Load("../specs/mic.yaml", func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]recipe{}
	for _, c := range credentials(s) {
		if c.recipe != nil {
			got[c.name] = *c.recipe
		}
	}
	want := map[string]recipe{
		"Authorization": {source: "credentials.token"},
		"identityId":    {source: "credentials.identityId"},
	}
	if !maps.Equal(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	s.Auth.Headers = []flows.Pair{{Name: "Authorization", Value: "Bearer {{token}}!"}, {Name: "X-Both", Value: "{{token}}:{{identity_id}}"}}
	cs := credentials(s)
	if r := cs[0].recipe; r == nil || r.prefix != "Bearer " || r.suffix != "!" {
		t.Errorf("Bearer {{token}}!: got %+v", r)
	}
	if cs[1].recipe != nil {
		t.Errorf("a template of two values: got recipe %+v, want none", cs[1].recipe)
	}
}

// TestLocalAnswers: a redirect to the API and the API's cookies are made
// ones the run sends back to the proxy.
func TestLocalAnswers(t *testing.T) {
	p := &proxy{target: &url.URL{Scheme: "https", Host: "api.example.com"}, host: "127.0.0.1:9"}
	h := http.Header{}
	h.Set("Location", "https://api.example.com/next?x=1")
	h.Add("Set-Cookie", "sid=abc; Domain=api.example.com; Path=/; Secure; HttpOnly")
	h.Add("Set-Cookie", "plain=1")
	p.local(h)
	if got := h.Get("Location"); got != "http://127.0.0.1:9/next?x=1" {
		t.Errorf("Location: got %s", got)
	}
	if got := h.Values("Set-Cookie"); got[0] != "sid=abc; Path=/; HttpOnly" || got[1] != "plain=1" {
		t.Errorf("Set-Cookie: got %q", got)
	}
	h.Set("Location", "https://elsewhere.example.com/")
	p.local(h)
	if got := h.Get("Location"); got != "https://elsewhere.example.com/" {
		t.Errorf("a redirect elsewhere: got %s", got)
	}
}
