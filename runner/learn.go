package runner

import (
	"bytes"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/tidwall/gjson"

	"github.com/flowrun/flowrun/flows"
)

// credentialWords are parts of a key (JSON, form, query or header name)
// whose value is a credential, whether or not the spec captured it: a
// login answer used to check an error case still carries a live token.
var credentialWords = []string{"token", "secret", "password", "passwd", "passphrase", "pwd", "apikey", "api_key",
	"api-key", "credential", "signature", "cryptotext", "authorization", "jwt", "sessionid", "session_id",
	"session-id", "privatekey", "private_key", "assertion", "cookie"}

// credentialWholeKeys are whole keys that name a credential.
var credentialWholeKeys = []string{"sid", "otp", "pin", "code_verifier", "session"}

// notCredentialWords are parts of a key that describe a credential
// rather than hold it: token_type, token_policies, expires_in.
var notCredentialWords = []string{"type", "polic", "expir", "lifetime", "ttl", "scope", "length", "count",
	"hint", "url", "uri", "endpoint", "_at", "format", "method", "header", "allow", "access-control", "required"}

// commonWords are never secrets, whatever key they stand under.
var commonWords = []string{"bearer", "basic", "digest", "mac", "dpop", "default", "service", "batch", "none",
	"null", "true", "false", "jwt", "refresh", "access", "unknown", "n/a", "redacted", "hidden", "***"}

// credentialKey reports whether a key names a credential.
func credentialKey(k string) bool {
	l := strings.ToLower(k)
	if slices.Contains(credentialWholeKeys, l) {
		return true
	}
	for _, w := range notCredentialWords {
		if strings.Contains(l, w) {
			return false
		}
	}
	for _, w := range credentialWords {
		if strings.Contains(l, w) {
			return true
		}
	}
	return false
}

// credentialKey is the package's credentialKey, remembered for the flow.
func (r *redactor) credentialKey(k string) bool {
	if v, ok := r.keys[k]; ok {
		return v
	}
	v := credentialKey(k)
	if len(r.keys) < maxKeys {
		if r.keys == nil {
			r.keys = make(map[string]bool, 16)
		}
		// A copy: k may be a slice of a whole body.
		r.keys[strings.Clone(k)] = v
	}
	return v
}

// learnKeyed registers a value found under a credential key, unless it
// is a common word such as "bearer".
func (r *redactor) learnKeyed(key, v string) {
	if _, known := r.whole[v]; known || commonWord(strings.TrimSpace(v)) {
		return
	}
	r.learn(key, v)
}

// commonWord reports whether v, in any case, is one of commonWords.
func commonWord(v string) bool {
	for i := 0; i < len(v); i++ {
		if v[i] >= utf8.RuneSelf {
			return slices.Contains(commonWords, strings.ToLower(v))
		}
	}
	// ASCII: folding is lowering, with no copy made.
	return slices.ContainsFunc(commonWords, func(w string) bool { return strings.EqualFold(w, v) })
}

// learnBody registers the values under credential keys anywhere in a
// whole body: a JSON document, or a form-encoded answer such as
// oauth_token=...&oauth_token_secret=....
func (r *redactor) learnBody(body []byte, ctype string) {
	if len(body) == 0 {
		return
	}
	if gjson.ValidBytes(body) {
		r.walk("", gjson.ParseBytes(body))
		return
	}
	if !isForm(ctype, body) {
		return
	}
	vals, err := url.ParseQuery(string(body))
	if err != nil {
		return
	}
	for k, vs := range vals {
		if r.credentialKey(k) {
			for _, v := range vs {
				r.learnCredential(k, v, false)
			}
		}
	}
}

// isForm reports whether a body is form-encoded: by its content type, or
// by its look (k=v pairs and nothing else) when the type says nothing useful.
func isForm(ctype string, body []byte) bool {
	if strings.Contains(ctype, "x-www-form-urlencoded") {
		return true
	}
	return bytes.IndexByte(body, '=') > 0 && !bytes.ContainsAny(body, " \t\r\n<>{}\"")
}

func (r *redactor) walk(key string, v gjson.Result) {
	switch {
	case v.IsObject():
		v.ForEach(func(k, e gjson.Result) bool {
			r.walk(k.String(), e)
			return true
		})
	case v.IsArray():
		v.ForEach(func(_, e gjson.Result) bool {
			r.walk(key, e)
			return true
		})
	case v.Type == gjson.String && r.credentialKey(key):
		r.learnCredential(key, v.String(), false)
	}
}

// learnAll registers every string in a JSON value: a declared secret
// that holds an object is secret all through.
func (r *redactor) learnAll(name string, v gjson.Result) {
	if v.IsObject() || v.IsArray() {
		v.ForEach(func(_, e gjson.Result) bool {
			r.learnAll(name, e)
			return true
		})
		return
	}
	if v.Type == gjson.String {
		r.learn(name, v.String())
	}
}

// learnRequest registers the secrets of a request about to be sent: the
// URL's password, credential headers and query parameters, credential
// keys in the body, and the fields the spec declares secret.
func (f *flowRun) learnRequest(sp *stepPlan, req *http.Request, body []byte) {
	r := f.red
	r.learnURL(req.URL)
	declared := func(in, name string) bool {
		return slices.ContainsFunc(sp.secretFields, func(s flows.SecretField) bool {
			return s.In == in && strings.EqualFold(s.Name, name)
		})
	}
	for name, vs := range req.Header {
		if f.credentialHeader(name) || declared("header", name) {
			for _, v := range vs {
				r.learnHeader(name, v)
			}
		}
	}
	var query url.Values
	if req.URL.RawQuery != "" {
		query = req.URL.Query()
	}
	for k, vs := range query {
		if r.credentialKey(k) || declared("query", k) || slices.ContainsFunc(f.plan.authQuery, func(p pairPlan) bool { return p.name == k }) {
			for _, v := range vs {
				r.learn(k, v)
			}
		}
	}
	ctype := req.Header.Get("Content-Type")
	r.learnBody(body, ctype)
	var form url.Values
	for _, s := range sp.secretFields {
		switch s.In {
		case "json":
			if gjson.ValidBytes(body) {
				r.learnAll(s.Name, gjson.GetBytes(body, s.Name))
			}
		case "form":
			if form == nil {
				form, _ = url.ParseQuery(string(body))
			}
			for _, v := range form[s.Name] {
				r.learn(s.Name, v)
			}
		}
	}
}

// learnResponse registers the secrets of a response: cookies, credential
// headers and credential keys in the whole body.
func (f *flowRun) learnResponse(resp *response) {
	for name, vs := range resp.header {
		if f.credentialHeader(name) {
			for _, v := range vs {
				f.red.learnHeader(name, v)
			}
		}
	}
	f.red.learnBody(resp.body, resp.header.Get("Content-Type"))
}

// credentialHeader reports whether a header carries a credential: by its
// name, or because the spec's auth attaches it.
func (f *flowRun) credentialHeader(name string) bool {
	return slices.ContainsFunc(alwaysSecret, func(h string) bool { return strings.EqualFold(h, name) }) ||
		f.red.credentialKey(name) ||
		slices.ContainsFunc(f.plan.authHeaders, func(p pairPlan) bool { return strings.EqualFold(p.name, name) })
}
