package mutate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// shared is what the proxies of one run share: the mutant (nil in the
// baseline), the recording the baseline makes of its logout answers,
// and the lock over both and over every proxy's seen.
type shared struct {
	mu     sync.Mutex
	mutant mutant
	record *recording
	// limit is the most of a body read to look into it; a larger body
	// goes through as it came.
	limit int64
	// kinds are the kinds of the steps whose own requests went through.
	kinds map[string]bool
	// unreachable says why the API could not be reached, the first time.
	unreachable string
}

// proxy is a reverse proxy on 127.0.0.1 in front of one server of a
// spec: its base URL, or one of its servers:.
type proxy struct {
	name   string // the server's name; empty for the base URL
	target *url.URL
	seen   *seen
	sh     *shared
	rp     *httputil.ReverseProxy
	srv    *httptest.Server
	host   string // host:port the proxy listens on
}

// exchangeKey carries an exchange from ServeHTTP to modify.
type exchangeKey struct{}

// startProxy starts a proxy in front of the server at raw and returns it
// with the URL the run should use instead of raw: the proxy's, with
// raw's user, path and query. A raw URL that is not absolute gets no
// proxy (nil): the run reports it as it would.
func startProxy(name, raw string, transport http.RoundTripper, sh *shared, creds []credential) (*proxy, string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, raw, nil
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", fmt.Errorf("starting the proxy in front of %s: %w", u.Redacted(), err)
	}
	quiet := log.New(io.Discard, "", 0)
	p := &proxy{name: name, target: &url.URL{Scheme: u.Scheme, Host: u.Host}, seen: newSeen(creds), sh: sh, host: ln.Addr().String()}
	p.rp = &httputil.ReverseProxy{
		Rewrite:        func(pr *httputil.ProxyRequest) { pr.SetURL(p.target) },
		Transport:      transport,
		ModifyResponse: p.modify,
		ErrorHandler:   p.unreachable,
		ErrorLog:       quiet,
	}
	p.srv = httptest.NewUnstartedServer(p)
	p.srv.Listener.Close()
	p.srv.Listener = ln
	p.srv.Config.ErrorLog = quiet
	p.srv.Start()
	local := &url.URL{Scheme: "http", Host: p.host, User: u.User, Path: u.Path, RawPath: u.RawPath, RawQuery: u.RawQuery}
	return p, local.String(), nil
}

// unreachable answers 502 when the API could not be reached, and keeps
// the first such error for the report. Its text leaves the request's
// URL out: a query may hold a key.
func (p *proxy) unreachable(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() == nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		p.sh.mu.Lock()
		if p.sh.unreachable == "" {
			p.sh.unreachable = p.target.Host + ": " + err.Error()
		}
		p.sh.mu.Unlock()
	}
	http.Error(w, "flowrun mutate: the proxy could not reach "+p.target.Host, http.StatusBadGateway)
}

// close stops the proxy once its requests have ended.
func (p *proxy) close() { p.srv.Close() }

// ServeHTTP reads the request's step, lets the mutant alter the request
// or answer it, and forwards it.
func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	x := &exchange{server: p.name, method: r.Method, path: r.URL.Path}
	t, tagged := readTag(r.Header.Get(stepHeader))
	r.Header.Del(stepHeader)
	x.step, x.tagged = t.StepInfo, tagged
	if tagged && !t.AcceptEncoding {
		r.Header.Del("Accept-Encoding")
	}
	body, whole, err := readUpTo(r.Body, p.sh.limit)
	if err != nil {
		http.Error(w, "flowrun mutate: reading the request's body: "+err.Error(), http.StatusBadRequest)
		return
	}
	x.header, x.query, x.body, x.whole = r.Header, r.URL.Query(), body, whole
	x.sent.header, x.sent.query, x.sent.body = r.Header.Clone(), r.URL.Query(), body

	p.sh.mu.Lock()
	if tagged && x.step.Part == "" {
		p.sh.kinds[x.step.Kind] = true
	}
	p.seen.request(x)
	if p.sh.mutant != nil {
		p.sh.mutant.request(x, p.seen)
	}
	p.sh.mu.Unlock()

	if x.answered {
		writeAnswer(w, x)
		return
	}
	if !maps.EqualFunc(x.query, x.sent.query, slices.Equal) {
		r.URL.RawQuery = x.query.Encode()
	}
	if whole {
		r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(x.body)), int64(len(x.body))
		r.Header.Del("Content-Length")
	} else {
		r.Body = readCloser{io.MultiReader(bytes.NewReader(body), r.Body), r.Body}
	}
	p.rp.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), exchangeKey{}, x)))
}

// modify reads the API's answer, learns from it, and lets the mutant
// alter it.
func (p *proxy) modify(resp *http.Response) error {
	x, _ := resp.Request.Context().Value(exchangeKey{}).(*exchange)
	if x == nil {
		return nil
	}
	body, whole, err := readUpTo(resp.Body, p.sh.limit)
	if err != nil {
		return err
	}
	if enc := resp.Header.Get("Content-Encoding"); enc != "" && !strings.EqualFold(enc, "identity") {
		whole = false // compressed, as the spec asked: not looked into
	}
	x.status, x.respHeader, x.respBody, x.respWhole = resp.StatusCode, resp.Header, body, whole

	p.sh.mu.Lock()
	p.seen.response(x)
	if p.sh.record != nil {
		p.sh.record.add(x)
	}
	if p.sh.mutant != nil {
		p.sh.mutant.response(x, p.seen)
	}
	p.sh.mu.Unlock()

	if x.status != resp.StatusCode {
		resp.StatusCode, resp.Status = x.status, fmt.Sprintf("%d %s", x.status, http.StatusText(x.status))
	}
	switch {
	case !whole:
		resp.Body = readCloser{io.MultiReader(bytes.NewReader(body), resp.Body), resp.Body}
	case !bytes.Equal(x.respBody, body):
		resp.Body.Close()
		resp.Body, resp.ContentLength = io.NopCloser(bytes.NewReader(x.respBody)), int64(len(x.respBody))
		resp.Header.Set("Content-Length", strconv.Itoa(len(x.respBody)))
		resp.Header.Del("Content-Encoding")
	default:
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(body))
	}
	p.local(resp.Header)
	return nil
}

// local points a redirect to the API at the proxy, so that a run that
// follows redirects stays behind it, and makes the API's cookies ones
// the run's cookie jar sends to the proxy: no Domain (the proxy is
// 127.0.0.1), and not Secure (the proxy speaks plain HTTP).
func (p *proxy) local(h http.Header) {
	if loc, err := url.Parse(h.Get("Location")); err == nil && loc.Host == p.target.Host && loc.Scheme == p.target.Scheme {
		loc.Scheme, loc.Host = "http", p.host
		h.Set("Location", loc.String())
	}
	for i, v := range h["Set-Cookie"] {
		c, err := http.ParseSetCookie(v)
		if err != nil || (c.Domain == "" && !c.Secure) {
			continue
		}
		c.Domain, c.Secure = "", false
		if s := c.String(); s != "" {
			h["Set-Cookie"][i] = s
		}
	}
}

// writeAnswer writes the answer a mutant made instead of the API's.
func writeAnswer(w http.ResponseWriter, x *exchange) {
	for k, vs := range x.respHeader {
		if k == "Content-Length" || k == "Date" {
			continue
		}
		w.Header()[k] = slices.Clone(vs)
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(x.respBody)))
	w.WriteHeader(x.status)
	w.Write(x.respBody)
}

// readUpTo reads r whole when it holds at most limit bytes (whole is
// then set), else its first limit+1 bytes.
func readUpTo(r io.Reader, limit int64) ([]byte, bool, error) {
	if r == nil || r == http.NoBody {
		return nil, true, nil
	}
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, false, err
	}
	return b, int64(len(b)) <= limit, nil
}

// readCloser reads what a body's first bytes were read into, then the
// rest, and closes the original.
type readCloser struct {
	io.Reader
	io.Closer
}
