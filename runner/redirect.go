package runner

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// maxRedirects is how many redirects a request follows with
// Config.FollowRedirects; the next one ends it with an error.
const maxRedirects = 10

// errTooManyRedirects ends a chain of redirects, such as a loop.
var errTooManyRedirects = fmt.Errorf("stopped after %d redirects", maxRedirects)

// errBodyElsewhere refuses a redirect that would send a body holding
// credentials to another origin (307 and 308 send the body again).
var errBodyElsewhere = errors.New("not following a redirect to another host: it would send the request body again, and the body holds credentials")

// following is what the redirects of the request last sent leave behind.
// Only the flow's goroutine touches it.
type following struct {
	// jar, set while a step's own request is sent, keeps the cookies
	// the redirects set and gives each next request those of its URL.
	jar http.CookieJar
	// hops are the redirects followed, in order.
	hops []hop
}

// hop is one redirect: the response that redirected, and the request it
// led to as sent (next is nil for a redirect not followed).
type hop struct {
	at      time.Time
	resp    *Response
	next    *Request
	nextURL *url.URL
	// away is set when the next request went to another origin, and
	// dropped names the credentials left off it.
	away    bool
	dropped []string
}

// httpClient is the client of the flow's requests: its spec's, or the run's.
func (f *flowRun) httpClient() *http.Client {
	if f.client != nil {
		return f.client
	}
	return f.cfg.Client
}

// roundTrip sends req with the flow's client. With FollowRedirects it
// follows up to maxRedirects redirects, and records each hop for
// addExchange; a hop to another origin carries no credential.
func (f *flowRun) roundTrip(req *http.Request) (*http.Response, error) {
	f.follow.hops = nil
	c := f.httpClient()
	if !f.cfg.FollowRedirects {
		return c.Do(req)
	}
	// A copy for this request: the client's transport, and its pool of
	// connections, are shared.
	cc := *c
	cc.CheckRedirect = f.checkRedirect
	resp, err := cc.Do(req)
	var ue *url.Error
	if errors.As(err, &ue) && (errors.Is(err, errTooManyRedirects) || errors.Is(err, errBodyElsewhere)) {
		// Said whole by checkRedirect, with an absolute URL: the
		// client's wrapper names the Location as the server wrote it.
		return resp, ue.Err
	}
	return resp, err
}

// checkRedirect is the CheckRedirect of roundTrip's client: req is the
// next request, via those sent. The client has copied the first
// request's headers onto req; on a hop to another origin every
// credential among them, and in req's query, is removed here.
func (f *flowRun) checkRedirect(req *http.Request, via []*http.Request) error {
	r := req.Response
	f.learnResponse(&response{header: r.Header})
	if f.follow.jar != nil {
		f.follow.jar.SetCookies(via[len(via)-1].URL, r.Cookies())
	}
	h := hop{at: f.cfg.Now(), resp: &Response{Status: r.StatusCode, Headers: headerList(r.Header)}}
	f.learnHopURL(req.URL)
	if len(via) > maxRedirects {
		f.follow.hops = append(f.follow.hops, h)
		return fmt.Errorf("%w; the next would have gone to %s", errTooManyRedirects, req.URL.Redacted())
	}
	if h.away = crossed(via, req); h.away {
		var err error
		if h.dropped, err = f.dropCredentials(req); err != nil {
			f.follow.hops = append(f.follow.hops, h)
			return fmt.Errorf("%w (%d to %s)", err, r.StatusCode, req.URL.Redacted())
		}
	}
	if f.follow.jar != nil && !h.away {
		// Another origin gets no cookie: a jar, which ignores ports,
		// would give one of the same host.
		addCookies(req, f.follow.jar.Cookies(req.URL))
	}
	h.next, h.nextURL = snapshot(req, bodyOf(req)), req.URL
	f.follow.hops = append(f.follow.hops, h)
	return nil
}

// crossed reports whether the chain has left the first request's origin:
// once it has, it stays left, as Go's client strips its own headers.
func crossed(via []*http.Request, next *http.Request) bool {
	first := origin(via[0].URL)
	for _, r := range via[1:] {
		if origin(r.URL) != first {
			return true
		}
	}
	return origin(next.URL) != first
}

// origin is a URL's scheme, host and port, the port spelt out.
func origin(u *url.URL) string {
	scheme, port := strings.ToLower(u.Scheme), u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[scheme]
	}
	return scheme + "://" + strings.ToLower(u.Hostname()) + ":" + port
}

// alwaysDropped are the headers no hop to another origin carries.
var alwaysDropped = []string{"Authorization", "Proxy-Authorization", "Cookie", "Cookie2"}

// dropCredentials removes from req, bound for another origin, every
// header and query parameter that carries a credential: by its name (an
// auth header or parameter of the spec, a declared secret field, a
// credential word) or because its value holds a secret the flow has
// learnt. It returns their names, sorted. A body that holds a credential
// and would be sent again (307, 308) stops the chain.
func (f *flowRun) dropCredentials(req *http.Request) ([]string, error) {
	if b := bodyOf(req); len(b) > 0 && f.red.holds(string(b)) {
		return nil, errBodyElsewhere
	}
	var dropped []string
	for name, vs := range req.Header {
		if slices.ContainsFunc(alwaysDropped, func(h string) bool { return strings.EqualFold(h, name) }) ||
			f.credentialHeader(name) || f.declaredSecret("header", name) || slices.ContainsFunc(vs, f.red.holds) {
			req.Header.Del(name)
			dropped = append(dropped, name)
		}
	}
	// The Referer names the last URL, query and all.
	req.Header.Del("Referer")
	if req.URL.RawQuery != "" {
		q, n := req.URL.Query(), len(dropped)
		for k, vs := range q {
			if f.red.credentialKey(k) || slices.ContainsFunc(f.plan.authQuery, func(p pairPlan) bool { return p.name == k }) ||
				f.declaredSecret("query", k) || slices.ContainsFunc(vs, f.red.holds) {
				q.Del(k)
				dropped = append(dropped, "query "+k)
			}
		}
		if len(dropped) > n {
			req.URL.RawQuery = q.Encode()
		}
	}
	slices.Sort(dropped)
	return dropped, nil
}

// declaredSecret reports whether the spec, or a step of the flow,
// declares the field a secret (secrets: [header:NAME, query:NAME]).
func (f *flowRun) declaredSecret(in, name string) bool {
	for _, sp := range f.fp.steps {
		for _, s := range sp.secretFields {
			if s.In == in && strings.EqualFold(s.Name, name) {
				return true
			}
		}
	}
	for _, s := range f.plan.Spec.SecretFields {
		if s.In == in && strings.EqualFold(s.Name, name) {
			return true
		}
	}
	return false
}

// learnHopURL registers the secrets of a URL a redirect leads to: its
// password, and its query parameters under credential keys.
func (f *flowRun) learnHopURL(u *url.URL) {
	f.red.learnURL(u)
	if u.RawQuery == "" {
		return
	}
	for k, vs := range u.Query() {
		if f.red.credentialKey(k) {
			for _, v := range vs {
				f.red.learn(k, v)
			}
		}
	}
}

// holds reports whether s carries a learnt secret, in any of the forms
// the redactor masks. It answers alike whether or not secrets are shown.
func (r *redactor) holds(s string) bool {
	if _, ok := r.whole[s]; ok {
		return true
	}
	for form := range r.forms {
		if strings.Contains(s, form) {
			return true
		}
	}
	return false
}

// addCookies puts cookies on req, each replacing one of its name.
func addCookies(req *http.Request, cookies []*http.Cookie) {
	if len(cookies) == 0 {
		return
	}
	have := req.Cookies()
	for _, c := range cookies {
		i := slices.IndexFunc(have, func(h *http.Cookie) bool { return h.Name == c.Name })
		if i >= 0 {
			have[i] = c
		} else {
			have = append(have, c)
		}
	}
	req.Header.Del("Cookie")
	for _, c := range have {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
}

// bodyOf returns the body a request sends, when it can be read again
// (GetBody): a redirect's next request has one only after a 307 or 308.
func bodyOf(req *http.Request) []byte {
	if req.GetBody == nil || req.ContentLength == 0 {
		return nil
	}
	rc, err := req.GetBody()
	if err != nil {
		return nil
	}
	defer rc.Close()
	b, _ := io.ReadAll(io.LimitReader(rc, max(req.ContentLength, 0)))
	return b
}

// finalURL is where req's answer came from: the last redirect's URL, or
// req's own.
func (f *flowRun) finalURL(req *http.Request) *url.URL {
	for i := len(f.follow.hops) - 1; i >= 0; i-- {
		if u := f.follow.hops[i].nextURL; u != nil {
			return u
		}
	}
	return req.URL
}

// addExchange appends x to the step's exchanges, after one exchange for
// each redirect its request followed: the request as sent to each URL,
// with the redirect it got. x then holds the last request sent and its
// answer. It returns x's index.
func (f *flowRun) addExchange(sr *StepResult, x Exchange) int {
	hops := f.follow.hops
	f.follow.hops = nil
	req, start := x.Request, x.Started
	end := x.Started.Add(x.Duration)
	for i, h := range hops {
		if h.next == nil { // the redirect not followed: x's error says why
			if x.Response == nil {
				x.Response = h.resp
			}
			break
		}
		label := fmt.Sprintf("redirect %d", i+1)
		if x.Label != "" {
			label = x.Label + ": " + label
		}
		if h.away {
			label += " to another host"
		}
		if len(h.dropped) > 0 {
			label += "; not sent on: " + strings.Join(h.dropped, ", ")
		}
		sr.Exchanges = append(sr.Exchanges, Exchange{Label: label, Started: start, Duration: h.at.Sub(start), Request: req, Response: h.resp})
		req, start = h.next, h.at
	}
	x.Request, x.Started, x.Duration = req, start, end.Sub(start)
	sr.Exchanges = append(sr.Exchanges, x)
	return len(sr.Exchanges) - 1
}
