package runner

import (
	"bytes"
	"cmp"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"hash"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// minSecret is the shortest value masked wherever it appears; a shorter
// secret is masked only where it stands whole: a header, a query or form
// value, a JSON string.
const minSecret = 3

// minEncoded is the shortest secret whose base64 forms are masked too;
// shorter ones would match unrelated text.
const minEncoded = 6

// redactor is a flow's secret registry. It learns each secret value when
// it first appears (declared, captured, under a credential key, in a
// credential header or URL) and masks every form the value takes in
// output: raw, JSON-escaped, URL-encoded and base64. Each secret is shown
// as a fingerprint, <name#3f2a>: the same value gives the same
// fingerprint within a run, so a report can show that two tokens differ
// without showing either. The fingerprint is keyed per run, so it cannot
// be used to guess a value offline.
//
// A flow has its own registry: what one flow learns never depends on
// another flow's timing, so output is the same on every run.
type redactor struct {
	show  bool
	key   []byte
	whole map[string]string // each secret value → its marker
	forms map[string]string // each form of each long-enough secret → its marker
	repl  *strings.Replacer
	stale bool
	// mac computes markers and buf receives masked text: both are reused,
	// as a redactor serves one flow's goroutine.
	mac hash.Hash
	buf bytes.Buffer
	// keys remembers credentialKey's answer for the keys the flow meets:
	// the same headers and fields come back on every step.
	keys map[string]bool
}

// maxKeys bounds redactor.keys; maxBuf is the largest buffer a redactor
// keeps between two maskings.
const (
	maxKeys = 256
	maxBuf  = 64 << 10
)

func newRedactor(show bool, key []byte) *redactor {
	return &redactor{show: show, key: key, whole: map[string]string{}, forms: map[string]string{}}
}

// marker is what a secret is shown as.
func (r *redactor) marker(name, v string) string {
	if r.mac == nil {
		r.mac = hmac.New(sha256.New, r.key)
	}
	r.mac.Reset()
	r.mac.Write([]byte(v))
	var sum [sha256.Size]byte
	var fp [4]byte
	hex.Encode(fp[:], r.mac.Sum(sum[:0])[:2])
	return "<" + markerName(name) + "#" + string(fp[:]) + ">"
}

// markerName keeps a marker parseable: letters, digits, _ . : and -.
func markerName(name string) string {
	if len(name) > 0 && len(name) <= 40 && !strings.ContainsFunc(name, func(c rune) bool {
		return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == ':' || c == '-')
	}) {
		return name // already parseable: no copy
	}
	b := []byte(name)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == ':' || c == '-') {
			b[i] = '_'
		}
	}
	if len(b) == 0 || len(b) > 40 {
		return "secret"
	}
	return string(b)
}

// learn registers v, named name, as a secret.
func (r *redactor) learn(name, v string) {
	if v == "" || r.whole[v] != "" {
		return
	}
	v = strings.Clone(v) // v may be a slice of a whole body, which is not kept
	m := r.marker(name, v)
	r.whole[v] = m
	r.stale = true
	if len(v) < minSecret {
		// Too short to mask everywhere: mask it as a JSON string, also
		// inside an escaped JSON document.
		r.addForm(`"`+v+`"`, `"`+m+`"`)
		r.addForm(`\"`+v+`\"`, `\"`+m+`\"`)
		return
	}
	r.addForm(v, m)
	// JSON-escaped, with and without <, > and & escaped (encoders differ),
	// and escaped twice: a JSON document inside a JSON string, as an API
	// that echoes its request writes it.
	for _, html := range []bool{true, false} {
		once := jsonEscape(v, html)
		r.addForm(once, m)
		r.addForm(jsonEscape(once, html), m)
	}
	r.addForm(url.QueryEscape(v), m)
	r.addForm(url.PathEscape(v), m)
	if len(v) >= minEncoded {
		// The four base64 alphabets and paddings: the raw forms are the
		// padded ones less their padding, and the URL alphabet differs
		// from the standard one in two characters.
		std := base64.StdEncoding.EncodeToString([]byte(v))
		urlSafe := std
		if strings.ContainsAny(std, "+/") {
			urlSafe = base64.URLEncoding.EncodeToString([]byte(v))
		}
		for _, enc := range []string{std, strings.TrimRight(std, "="), urlSafe, strings.TrimRight(urlSafe, "=")} {
			r.addForm(enc, m)
		}
	}
}

func (r *redactor) addForm(form, m string) {
	if _, ok := r.forms[form]; !ok {
		r.forms[form] = m
	}
}

// learnAny registers a captured value: a string, or the strings in it.
func (r *redactor) learnAny(name string, v any) {
	switch x := v.(type) {
	case string:
		r.learn(name, x)
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(x)) {
			r.learnAny(name, x[k])
		}
	case []any:
		for _, e := range x {
			r.learnAny(name, e)
		}
	}
}

// secret reports whether v is, whole, a learnt secret.
func (r *redactor) secret(v string) (string, bool) {
	m, ok := r.whole[v]
	return m, ok
}

// mask replaces every form of every learnt secret in s by its marker.
func (r *redactor) mask(s string) string {
	if r.show || s == "" || len(r.forms) == 0 {
		return s
	}
	if r.stale {
		froms := make([]string, 0, len(r.forms))
		for f := range r.forms {
			froms = append(froms, f)
		}
		// Longest first, so a secret inside a longer one is not half-masked.
		slices.SortFunc(froms, func(a, b string) int { return cmp.Or(cmp.Compare(len(b), len(a)), strings.Compare(a, b)) })
		pairs := make([]string, 0, 2*len(froms))
		for _, f := range froms {
			pairs = append(pairs, f, r.forms[f])
		}
		r.repl, r.stale = strings.NewReplacer(pairs...), false
	}
	// Written into the flow's buffer, s comes back as it was when it
	// holds no secret, with no copy made.
	r.buf.Reset()
	_, _ = r.repl.WriteString(&r.buf, s)
	out := s
	if b := r.buf.Bytes(); string(b) != s {
		out = string(b)
		// A secret learnt from bytes that are not UTF-8 may end inside a
		// character of s, leaving the rest of that character behind.
		if !utf8.ValidString(out) && utf8.ValidString(s) {
			out = strings.ToValidUTF8(out, "\uFFFD")
		}
	}
	if r.buf.Cap() > maxBuf {
		r.buf = bytes.Buffer{}
	}
	return out
}

// maskWhole masks s as one value: a learnt secret becomes its marker,
// anything else is masked as text.
func (r *redactor) maskWhole(s string) string {
	if r.show {
		return s
	}
	if m, ok := r.secret(s); ok {
		return m
	}
	return r.mask(s)
}

// maskPairs masks a query string or form body, k=v&k=v, value by value.
func (r *redactor) maskPairs(s string) string {
	if r.show || s == "" {
		return s
	}
	parts := strings.Split(s, "&")
	for i, p := range parts {
		k, v, ok := strings.Cut(p, "=")
		if !ok {
			parts[i] = r.mask(p)
			continue
		}
		if uv, err := url.QueryUnescape(v); err == nil {
			if m, ok := r.secret(uv); ok {
				parts[i] = r.mask(k) + "=" + m
				continue
			}
		}
		parts[i] = r.mask(k) + "=" + r.mask(v)
	}
	return strings.Join(parts, "&")
}

// maskURL masks a URL: its password, its query values and its path.
func (r *redactor) maskURL(raw string) string {
	if r.show {
		return raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" {
		return r.mask(raw)
	}
	var b strings.Builder
	b.Grow(len(raw) + 32)
	if u.Scheme != "" {
		b.WriteString(u.Scheme + "://")
	}
	if u.User != nil {
		b.WriteString(r.mask(url.PathEscape(u.User.Username())))
		if pw, ok := u.User.Password(); ok {
			b.WriteString(":" + r.maskWhole(pw))
		}
		b.WriteString("@")
	}
	b.WriteString(u.Host)
	b.WriteString(r.mask(u.EscapedPath()))
	if u.RawQuery != "" || u.ForceQuery {
		b.WriteString("?" + r.maskPairs(u.RawQuery))
	}
	if u.Fragment != "" {
		b.WriteString("#" + r.mask(u.EscapedFragment()))
	}
	return b.String()
}

// maskSentURL masks the URL of a request as sent, which url.URL.String
// wrote. Without userinfo, query, fragment or escapes, and with no secret
// in it, maskURL would give it back as it is: so it is, unparsed.
func (r *redactor) maskSentURL(raw string) string {
	if !strings.ContainsAny(raw, "@?#%") && r.mask(raw) == raw {
		return raw
	}
	return r.maskURL(raw)
}

// alwaysSecret are headers whose values are credentials whatever the spec says.
var alwaysSecret = []string{"Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie", "X-Api-Key", "X-Auth-Token"}

// learnHeader registers the credential in a header's value: the whole
// value, the part after its scheme (Bearer, Basic, ...), a Basic pair and
// its password, each cookie's value.
func (r *redactor) learnHeader(name, v string) {
	switch http.CanonicalHeaderKey(name) {
	case "Cookie":
		for _, c := range parseCookies(v) {
			r.learn(c.Name, c.Value)
		}
		return
	case "Set-Cookie":
		if c, err := http.ParseSetCookie(v); err == nil {
			r.learn(c.Name, c.Value)
		}
		return
	}
	r.learnCredential(name, v, true)
}

// learnCredential registers a credential value. "Bearer abc" registers
// abc, so reports keep showing the scheme and a reader sees which token
// went where; a Basic pair is registered whole and its password alone.
// anyScheme takes any first word as a scheme (a header's value); in a
// body only the known schemes are.
func (r *redactor) learnCredential(name, v string, anyScheme bool) {
	scheme, cred, ok := strings.Cut(strings.TrimSpace(v), " ")
	cred = strings.TrimSpace(cred)
	known := slices.ContainsFunc(authSchemes, func(s string) bool { return strings.EqualFold(s, scheme) })
	if !ok || cred == "" || strings.ContainsAny(scheme, "=,") || !anyScheme && !known || strings.Contains(cred, " ") && !known {
		r.learnKeyed(name, v)
		return
	}
	r.learnKeyed(name, cred)
	if strings.EqualFold(scheme, "Basic") {
		if dec, err := base64.StdEncoding.DecodeString(cred); err == nil {
			pair := string(dec)
			r.learn(name, pair)
			if _, pw, ok := strings.Cut(pair, ":"); ok {
				r.learn("basic-password", pw)
			}
		}
	}
}

// authSchemes are the HTTP authentication schemes a credential value may start with.
var authSchemes = []string{"Bearer", "Basic", "Digest", "Token", "DPoP", "MAC", "Negotiate", "HOBA", "OAuth"}

// learnURL registers the password of a URL's userinfo.
func (r *redactor) learnURL(u *url.URL) {
	if u == nil || u.User == nil {
		return
	}
	if pw, ok := u.User.Password(); ok {
		r.learn("url-password", pw)
		if _, esc, ok := strings.Cut(u.User.String(), ":"); ok {
			r.addForm(esc, r.whole[pw])
		}
		// The HTTP client sends the pair as Basic credentials.
		r.learn("url-password", u.User.Username()+":"+pw)
	}
}

// userinfo finds the userinfo of a URL that may not parse.
var userinfo = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*://([^/?#@]*)@`)

// learnURLText registers the password of a URL given as text, also when
// the text is not a valid URL (an error message may quote it whole).
func (r *redactor) learnURLText(raw string) {
	if u, err := url.Parse(raw); err == nil {
		r.learnURL(u)
		return
	}
	if m := userinfo.FindStringSubmatch(raw); m != nil {
		if user, pw, ok := strings.Cut(m[1], ":"); ok {
			r.learn("url-password", pw)
			r.learn("url-password", user+":"+pw)
		}
	}
}

func parseCookies(v string) []*http.Cookie {
	cs, err := http.ParseCookie(v)
	if err != nil {
		return nil
	}
	return cs
}

// jsonEscape returns s as it stands inside a JSON string; html escapes
// <, > and & too, as Go's encoder does by default.
func jsonEscape(s string, html bool) string {
	if plainJSON(s) {
		return s
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(html)
	_ = enc.Encode(s)
	out := strings.TrimSuffix(b.String(), "\n")
	return out[1 : len(out)-1]
}

// plainJSON reports whether s stands as it is inside a JSON string, for
// every encoder: printable ASCII without ", \, <, > or &.
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}
