package runner

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var marker = regexp.MustCompile(`^<[A-Za-z0-9_.:-]+#[0-9a-f]{4}>$`)

func TestRedactorMasksEveryForm(t *testing.T) {
	const secret = `p@ss"wörd/&=+ 1`
	r := newRedactor(false, []byte("k"))
	r.learn("password", secret)
	want := r.whole[secret]
	if !marker.MatchString(want) {
		t.Fatalf("marker %q is not <name#hex4>", want)
	}
	js, _ := json.Marshal(secret)
	for name, form := range map[string]string{
		"raw":           secret,
		"JSON-escaped":  string(js[1 : len(js)-1]),
		"query-escaped": url.QueryEscape(secret),
		"path-escaped":  url.PathEscape(secret),
		"base64":        base64.StdEncoding.EncodeToString([]byte(secret)),
		"base64url":     base64.RawURLEncoding.EncodeToString([]byte(secret)),
	} {
		if got := r.mask("before " + form + " after"); got != "before "+want+" after" {
			t.Errorf("%s: got %q, want the marker in place", name, got)
		}
	}
}

func TestFingerprintsAreStableWithinARunOnly(t *testing.T) {
	a, b := newRedactor(false, []byte("run-1")), newRedactor(false, []byte("run-1"))
	other := newRedactor(false, []byte("run-2"))
	if a.marker("token", "abc") != b.marker("token", "abc") {
		t.Error("the same value under the same key gives two fingerprints")
	}
	if a.marker("token", "abc") == a.marker("token", "abd") {
		t.Error("two values give the same fingerprint")
	}
	if a.marker("token", "abc") == other.marker("token", "abc") {
		t.Error("the fingerprint does not depend on the run's key")
	}
}

func TestCommonWordsUnderCredentialKeysAreNotSecrets(t *testing.T) {
	r := newRedactor(false, []byte("k"))
	r.learnBody([]byte(`{"token_type":"bearer","access_token":"at-0123456789","token_policies":["default","service"],
		"expires_in":3600,"refresh_token_expires_at":"2026-01-01","secret":"true","sid":"s-42abc"}`), "application/json")
	got := r.mask("bearer default service true 2026-01-01 at-0123456789 s-42abc")
	if want := "bearer default service true 2026-01-01 "; !strings.HasPrefix(got, want) {
		t.Errorf("over-masked: got %q, want it to start %q", got, want)
	}
	if strings.Contains(got, "at-0123456789") || strings.Contains(got, "s-42abc") {
		t.Errorf("credentials left: %q", got)
	}
}

func TestFormEncodedTokenAnswer(t *testing.T) {
	r := newRedactor(false, []byte("k"))
	body := "oauth_token=tok-abc123&oauth_token_secret=sec-def456&oauth_callback_confirmed=true"
	r.learnBody([]byte(body), "text/html")
	got := r.maskPairs(body)
	if strings.Contains(got, "tok-abc123") || strings.Contains(got, "sec-def456") || !strings.Contains(got, "confirmed=true") {
		t.Errorf("got %q", got)
	}
}

func TestBasicHeaderAndURLUserinfo(t *testing.T) {
	r := newRedactor(false, []byte("k"))
	pair := base64.StdEncoding.EncodeToString([]byte("ann:basic-pw-77"))
	r.learnHeader("Authorization", "Basic "+pair)
	u, _ := url.Parse("https://bob:url-pw-88@api.example.com/x?access_token=qt-99aa&page=2")
	r.learnURL(u)
	r.learn("access_token", "qt-99aa")
	got := r.maskHeadersString("Basic "+pair) + " " + r.mask("basic-pw-77") + " " + r.maskURL(u.String()) + " " +
		r.mask(base64.StdEncoding.EncodeToString([]byte("bob:url-pw-88")))
	for _, leak := range []string{pair, "basic-pw-77", "url-pw-88", "qt-99aa", base64.StdEncoding.EncodeToString([]byte("bob:url-pw-88"))} {
		if strings.Contains(got, leak) {
			t.Errorf("%q shows in %q", leak, got)
		}
	}
	if !strings.HasPrefix(got, "Basic <") || !strings.Contains(got, "https://bob:<") || !strings.Contains(got, "&page=2") {
		t.Errorf("the scheme, user and other parameters should stay readable: %q", got)
	}
}

// maskHeadersString masks one header value as a result's headers are.
func (r *redactor) maskHeadersString(v string) string {
	hs := []Header{{Name: "X", Value: v}}
	r.maskHeaders(hs)
	return hs[0].Value
}

func TestShortSecretsAreMaskedWhereTheyStandWhole(t *testing.T) {
	r := newRedactor(false, []byte("k"))
	r.learn("pin", "42")
	m := r.whole["42"]
	if got, want := r.mask(`{"pin":"42","n":42,"s":"1942"}`), `{"pin":"`+m+`","n":42,"s":"1942"}`; got != want {
		t.Errorf("JSON: got %s, want %s", got, want)
	}
	if got, want := r.maskPairs("pin=42&n=420"), "pin="+m+"&n=420"; got != want {
		t.Errorf("form: got %s, want %s", got, want)
	}
	if got := r.maskWhole("42"); got != m {
		t.Errorf("header: got %s, want %s", got, m)
	}
}

func TestMaskBeforeCut(t *testing.T) {
	const token = "tok-0123456789abcdef0123"
	r := newRedactor(false, []byte("k"))
	body := `{"pad":"` + strings.Repeat("x", bodyKeep-20) + `","session_token":"` + token + `"}`
	r.learnBody([]byte(body), "application/json")
	b := r.body(Body{raw: []byte(body)})
	if !b.Truncated || b.Size != len(body) {
		t.Fatalf("want a cut body of %d bytes, got %+v", len(body), b.Size)
	}
	if strings.Contains(b.Text, token[:8]) {
		t.Errorf("the start of the token shows at the cut: …%s", b.Text[len(b.Text)-40:])
	}
	v := r.value(Value{Text: strings.Repeat("y", valueKeep-5) + token})
	if strings.Contains(v.Text, token[:4]) {
		t.Errorf("the start of the token shows in a cut value: %s", v.Text)
	}
}

func TestShowSecretsMasksNothing(t *testing.T) {
	r := newRedactor(true, []byte("k"))
	r.learn("password", "hunter2-secret")
	if got := r.mask("pw hunter2-secret") + r.maskURL("http://u:p@h/?password=hunter2-secret"); strings.Contains(got, "<") {
		t.Errorf("masked with show on: %q", got)
	}
}
