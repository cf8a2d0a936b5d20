package mutate

import (
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/flowrun/flowrun/runner"
)

// exchange is one request through the proxy and its answer, as the
// mutants see and change them. The request fields are what is forwarded;
// sent keeps them as the run sent them.
type exchange struct {
	// server names the spec's server the request went to; empty for the
	// base URL.
	server string
	step   runner.StepInfo
	// tagged is set when the request named its step (stepHeader).
	tagged       bool
	method, path string

	header http.Header
	query  url.Values
	body   []byte
	// whole is set when body is the request's whole body, so it may be
	// read and rewritten; a larger body is forwarded as it came.
	whole bool
	sent  struct {
		header http.Header
		query  url.Values
		body   []byte
	}

	// The answer: the API's, or the proxy's own when answered is set.
	answered   bool
	status     int
	respHeader http.Header
	respBody   []byte
	// respWhole is set when respBody is the whole answer's body.
	respWhole bool
}

// carries returns the value of credential c where the spec's auth puts it.
func (x *exchange) carries(c credential) string {
	if c.query {
		return x.query.Get(c.name)
	}
	return x.header.Get(c.name)
}

// lacks reports whether the request carries no value of credential c,
// neither where the spec's auth puts it nor in the other place (an API
// may take an id as a header or a query parameter).
func (x *exchange) lacks(c credential) bool {
	return x.header.Get(c.name) == "" && x.query.Get(c.name) == ""
}

// set puts value v of credential c where the spec's auth puts it.
func (x *exchange) set(c credential, v string) {
	if c.query {
		x.query.Set(c.name, v)
		return
	}
	x.header.Set(c.name, v)
}

// rewrite rewrites every value the forwarded request carries: its
// headers, query and body. It reports whether any changed.
func (x *exchange) rewrite(rw rewriter) bool {
	changed := false
	for name, vs := range x.header {
		if skipHeader(name) {
			continue
		}
		for i, v := range vs {
			if nv, ok := rewriteHeader(name, v, rw); ok {
				vs[i], changed = nv, true
			}
		}
	}
	if rewriteQuery(x.query, rw) {
		changed = true
	}
	if x.whole {
		if nb, ok := rewriteBody(x.body, x.header.Get("Content-Type"), rw); ok {
			x.body, changed = nb, true
		}
	}
	return changed
}

// skipHeader reports whether a request header carries no credential a
// mutant would look at.
func skipHeader(name string) bool {
	switch http.CanonicalHeaderKey(name) {
	case "Content-Length", "Content-Type", "Accept", "Accept-Encoding", "User-Agent", "Host", "Connection":
		return true
	}
	return false
}

// presented calls fn with each value the request carries, until fn
// returns true: as it was sent, or, with forwarded, as it is forwarded.
// The body's values come first, then the query's, then the headers'
// (those the spec's auth attaches last): what a refresh request presents
// is most likely in its body.
func (x *exchange) presented(forwarded bool, creds []credential, fn func(v string) bool) {
	header, query, body := x.sent.header, x.sent.query, x.sent.body
	if forwarded {
		header, query, body = x.header, x.query, x.body
	}
	stop := false
	each := func(v string) {
		if !stop && v != "" {
			stop = fn(v)
		}
	}
	if x.whole {
		bodyValues(body, header.Get("Content-Type"), func(_ jsonPath, v string) { each(v) })
	}
	for _, k := range slices.Sorted(maps.Keys(query)) {
		for _, v := range query[k] {
			each(v)
		}
	}
	auth := map[string]bool{}
	for _, c := range creds {
		if !c.query {
			auth[http.CanonicalHeaderKey(c.name)] = true
		}
	}
	for _, last := range []bool{false, true} {
		for _, name := range slices.Sorted(maps.Keys(header)) {
			if skipHeader(name) || auth[http.CanonicalHeaderKey(name)] != last {
				continue
			}
			for _, v := range header[name] {
				headerValues(name, v, each)
			}
		}
	}
}

// answer makes the proxy answer the request itself.
func (x *exchange) answer(status int, header http.Header, body []byte) {
	x.answered, x.status, x.respHeader, x.respBody, x.respWhole = true, status, header.Clone(), body, true
	if x.respHeader == nil {
		x.respHeader = http.Header{}
	}
}

// ok reports whether the answer was a success (2xx).
func (x *exchange) ok() bool { return x.status >= 200 && x.status <= 299 }

// is reports whether the request is a step's own request of that kind.
func (x *exchange) is(kind string) bool { return x.step.Kind == kind && x.step.Part == "" }

// endpoint names the request's method and path.
func (x *exchange) endpoint() string { return x.method + " " + x.path }

// scheme splits an optional scheme word off a credential's value:
// "Bearer x" is x.
func scheme(v string) string {
	if _, rest, ok := strings.Cut(v, " "); ok && rest != "" {
		return rest
	}
	return v
}
