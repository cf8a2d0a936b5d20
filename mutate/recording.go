package mutate

import (
	"net/http"
	"slices"
)

// answer is an API's answer, as the proxy recorded it.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// recording holds the answers to the logout requests of a spec's
// baseline run, for ignores-logout to give instead of the API: by
// server, method and path, and the last one of each server. It lives in
// memory only, and is never shown.
type recording struct {
	byEndpoint map[string]answer
	last       map[string]answer
}

// add records x's answer if x is a logout step's own request.
func (r *recording) add(x *exchange) {
	if !x.is("logout") || !x.respWhole {
		return
	}
	if r.byEndpoint == nil {
		r.byEndpoint, r.last = map[string]answer{}, map[string]answer{}
	}
	a := answer{status: x.status, header: x.respHeader.Clone(), body: slices.Clone(x.respBody)}
	r.byEndpoint[x.server+" "+x.endpoint()] = a
	r.last[x.server] = a
}

// find returns the answer recorded for a logout to method and path on
// server, or else the last one recorded there.
func (r *recording) find(server, method, path string) (answer, bool) {
	if r == nil {
		return answer{}, false
	}
	if a, ok := r.byEndpoint[server+" "+method+" "+path]; ok {
		return a, true
	}
	a, ok := r.last[server]
	return a, ok
}
