package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/flowrun/flowrun/flows"
)

// build renders a step's request in env. It returns the request and its body.
func (f *flowRun) build(ctx context.Context, sp *stepPlan, s *session, env map[string]any) (*http.Request, []byte, error) {
	req, body, err := f.render(ctx, sp, s, env)
	if err != nil {
		return nil, nil, err
	}
	for _, c := range s.jar.Cookies(req.URL) {
		req.AddCookie(c)
	}
	return req, body, nil
}

// snapshot records a request as sent; the flow masks it when it ends.
func snapshot(req *http.Request, body []byte) *Request {
	return &Request{Method: req.Method, URL: req.URL.String(), Headers: headerList(req.Header),
		Body: Body{raw: body, form: isFormType(req.Header.Get("Content-Type"))}}
}

func (f *flowRun) render(ctx context.Context, sp *stepPlan, s *session, env map[string]any) (*http.Request, []byte, error) {
	target, err := sp.target.render(env)
	if err != nil {
		return nil, nil, err
	}
	raw := target
	if !sp.abs {
		raw = strings.TrimRight(f.plan.base(sp.req.Server), "/") + "/" + strings.TrimLeft(target, "/")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, nil, fmt.Errorf("%q is not an absolute URL; check base_url and the step's path", raw)
	}
	// Parsed and encoded again only if the request has a query.
	var q url.Values
	hasQuery := u.RawQuery != "" || len(sp.query) > 0 || len(f.plan.authQuery) > 0
	if hasQuery {
		q = u.Query()
	}
	if err := renderInto(sp.query, env, q); err != nil {
		return nil, nil, err
	}
	h := http.Header{}
	if err := renderInto(f.plan.headers, env, h); err != nil {
		return nil, nil, err
	}
	if err := f.attach(sp, s, env, h.Set, q.Set); err != nil {
		return nil, nil, err
	}
	if err := renderInto(sp.headers, env, h); err != nil {
		return nil, nil, err
	}
	if hasQuery {
		u.RawQuery = q.Encode()
	}
	body, ctype, err := renderBody(sp, env)
	if err != nil {
		return nil, nil, err
	}
	if ctype != "" && h.Get("Content-Type") == "" {
		h.Set("Content-Type", ctype)
	}
	// The URL is the one parsed above, not parsed again from its text:
	// as NewRequest does, an empty port is dropped from the host.
	req, err := http.NewRequestWithContext(ctx, sp.req.Method, "", bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	u.Host = strings.TrimSuffix(u.Host, ":")
	req.URL, req.Host, req.Header = u, u.Host, h
	return req, body, nil
}

// attach puts the session's credentials on the request as the step's kind
// says: all of them, or all but those omitted, set or tampered with.
func (f *flowRun) attach(sp *stepPlan, s *session, env map[string]any, setHeader, setQuery func(k, v string)) error {
	cu := sp.cred
	if !cu.Attach {
		return nil
	}
	put := func(pairs []pairPlan, set func(k, v string)) error {
		for _, p := range pairs {
			tpl := p.tpl
			if i := slices.IndexFunc(sp.set, func(x pairPlan) bool { return strings.EqualFold(x.name, p.name) }); i >= 0 {
				tpl = sp.set[i].tpl
			} else if s.Creds == nil && !f.plan.Spec.StaticAuth || cu.Omits(p.name) {
				continue
			}
			if tpl == nil { // set: {Name: null} leaves it out
				continue
			}
			v, err := tpl.render(env)
			if err != nil {
				return fmt.Errorf("auth %s: %v (did the login capture it?)", p.name, err)
			}
			if cu.Tampers(p.name) {
				// Nearly the real credential: mask it as one.
				v = tamper(v)
				f.red.learn("tampered-"+p.name, v)
			}
			set(p.name, v)
		}
		return nil
	}
	if err := put(f.plan.authHeaders, setHeader); err != nil {
		return err
	}
	return put(f.plan.authQuery, setQuery)
}

// tamper alters one character near the end of v: for a JWT that is inside
// the signature, so the token is well-formed but no longer valid.
func tamper(v string) string {
	if v == "" {
		return "tampered"
	}
	b := []byte(v)
	i := len(b) / 2
	if len(b) > 8 {
		i = len(b) - 5
	}
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

// setter is what renderInto writes to: http.Header or url.Values.
type setter interface {
	Set(k, v string)
	Del(k string)
}

// renderInto renders pairs into dst; a pair without a template removes
// its name.
func renderInto(pairs []pairPlan, env map[string]any, dst setter) error {
	for _, p := range pairs {
		if p.tpl == nil {
			dst.Del(p.name)
			continue
		}
		v, err := p.tpl.render(env)
		if err != nil {
			return fmt.Errorf("%s: %v", p.name, err)
		}
		dst.Set(p.name, v)
	}
	return nil
}

// renderBody returns the step's body and its content type.
func renderBody(sp *stepPlan, env map[string]any) ([]byte, string, error) {
	switch {
	case sp.json != nil:
		v, err := renderJSON(sp.json, env)
		if err != nil {
			return nil, "", fmt.Errorf("json: %v", err)
		}
		b, err := json.Marshal(v)
		return b, "application/json", err
	case sp.req.Form != nil:
		form := url.Values{}
		if err := renderInto(sp.form, env, form); err != nil {
			return nil, "", fmt.Errorf("form: %v", err)
		}
		return []byte(form.Encode()), "application/x-www-form-urlencoded", nil
	case sp.body != nil:
		s, err := sp.body.render(env)
		return []byte(s), "", err
	}
	return nil, "", nil
}

func renderJSON(v any, env map[string]any) (any, error) {
	switch x := v.(type) {
	case *template:
		return x.value(env)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			r, err := renderJSON(e, env)
			if err != nil {
				return nil, fmt.Errorf("%s: %v", k, err)
			}
			out[k] = r
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			r, err := renderJSON(e, env)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %v", i, err)
			}
			out[i] = r
		}
		return out, nil
	}
	return v, nil
}

func headerList(h http.Header) []Header {
	keys, n := make([]string, 0, len(h)), 0
	for k, vs := range h {
		keys, n = append(keys, k), n+len(vs)
	}
	if n == 0 {
		return nil
	}
	slices.Sort(keys)
	out := make([]Header, 0, n)
	for _, k := range keys {
		for _, v := range h[k] {
			out = append(out, Header{Name: k, Value: v})
		}
	}
	return out
}

// readBody reads at most limit bytes of a body; a larger body is an
// error, a *tooLarge.
func readBody(r io.Reader, limit int64) ([]byte, error) { return readSized(r, limit, -1) }

// readResponse reads at most limit bytes of a response's body into one
// buffer, sized by its Content-Length when it has one. A body larger than
// limit gives its first limit bytes and a *tooLarge error.
func readResponse(resp *http.Response, limit int64) ([]byte, error) {
	return readSized(resp.Body, limit, resp.ContentLength)
}

// tooLarge is the error of a body larger than the limit it was read with.
type tooLarge struct{ limit int64 }

func (e *tooLarge) Error() string {
	return "the response body is larger than " + flows.FormatSize(e.limit)
}

// readSized reads at most limit bytes of r, and one more to see whether
// there are more, expecting size of them (-1: unknown). The buffer holds
// size bytes and one more, so the end is seen without growing it.
func readSized(r io.Reader, limit, size int64) ([]byte, error) {
	if size < 0 || size > limit {
		size = min(511, limit)
	}
	b := make([]byte, 0, size+1)
	lr := &io.LimitedReader{R: r, N: limit + 1}
	for {
		n, err := lr.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if int64(len(b)) > limit {
			return b[:limit], &tooLarge{limit: limit}
		}
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
}
