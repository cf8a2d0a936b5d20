package flows

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
)

// reservedNames are the names expressions and templates give to the
// response and to helper functions; variables cannot take them.
var reservedNames = []string{"status", "headers", "body", "text", "json", "header", "cookie", "duration",
	"jwt", "uuid", "now", "unix", "timestamp", "env", "basicAuth", "formEncode", OAuth2Var}

func reserved(name string) bool { return slices.Contains(reservedNames, name) }

func validIdent(s string) bool {
	for i, r := range s {
		if r != '_' && !(r >= 'a' && r <= 'z') && !(r >= 'A' && r <= 'Z') && !(i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return s != ""
}

// DefaultSession is the session of steps that name none.
const DefaultSession = "default"

// defaultUser is implemented by kinds that use a named request when the
// step names none: login uses "login", and so on.
type defaultUser interface{ defaultUse() string }

func (Login) defaultUse() string   { return "login" }
func (Refresh) defaultUse() string { return "refresh" }

// expander is implemented by kinds whose request the spec's oauth2:
// builds: a logout that revokes, an introspection.
type expander interface {
	expand(d *decoder, s *Spec, r *Request, what string)
}

// kindLinker is implemented by kinds with rules of their own, checked
// once the step's named request is merged in.
type kindLinker interface {
	linkKind(d *decoder, s *Spec, st *Step, what string)
}

// needCapture reports a step that must capture the session's credentials
// but captures nothing.
func (d *decoder) needCapture(st *Step, snd Sender, what string) {
	if len(snd.Req().Capture) == 0 {
		d.errs = append(d.errs, Errorf(st.Pos, "%s: a %s must capture the session's credentials; add capture: {token: path.to.token}", what, snd.Kind()))
	}
}

// link resolves each step's `use`, fills defaults and checks what spans
// several parts of the spec: names, credentials and session order.
func (d *decoder) link(s *Spec) {
	// A base URL from an unset variable is that variable's problem, said once.
	if s.BaseURL == "" && s.Sandbox == nil && !slices.ContainsFunc(s.BaseURLEnv, d.isUnset) {
		d.errs = append(d.errs, Errorf(s.Pos, "spec: base_url is empty and no sandbox is named; set base_url, e.g. ${API_BASE_URL:-https://api.example.com}"))
	}
	for _, name := range slices.Sorted(maps.Keys(s.Servers)) {
		sv := s.Servers[name]
		if sv.URL == "" && sv.Sandbox == nil && !slices.ContainsFunc(sv.URLEnv, d.isUnset) {
			d.errs = append(d.errs, Errorf(sv.Pos, "servers: %s: the URL is empty and no sandbox is named; give url: or sandbox:", name))
		}
	}
	d.linkOAuth2(s)
	for name, r := range s.Requests {
		d.checkRequest(s, r, fmt.Sprintf("request %q", name), false)
	}
	s.StaticAuth = staticAuth(s)
	for _, f := range s.Flows {
		for i, st := range f.Steps {
			if snd, ok := st.Action.(Sender); ok {
				d.linkStep(s, st, snd, fmt.Sprintf("flow %q: step %d (%s)", f.Name, i+1, st.Name))
			}
		}
		d.checkSessions(f, s.StaticAuth)
	}
	d.checkSecrets(s)
}

func (d *decoder) linkStep(s *Spec, st *Step, snd Sender, what string) {
	r := snd.Req()
	if r.Session == "" {
		r.Session = DefaultSession
	}
	use := r.Use
	if du, ok := snd.(defaultUser); ok && use == "" && s.Requests[du.defaultUse()] != nil {
		use = du.defaultUse()
	}
	if use != "" {
		base, ok := s.Requests[use]
		if !ok {
			d.errs = append(d.errs, Errorf(r.UsePos, "%s: use: no request named %q%s under requests", what, use, didYouMean(use, keys(s.Requests))))
			return
		}
		// A step that expects a failure (expect-401, or a status that is not
		// a success) checks an error case: the named request's captures and
		// expectations describe its success and do not apply.
		want := r.Expect.Status
		if want == nil {
			want = snd.DefaultStatus(s.Auth)
		}
		*r = *merge(base, r, successes(want))
	}
	if s.OAuth2 != nil && r.Grant == "" && use == "" && r.Path == nil && r.URL == nil {
		r.Grant, r.GrantPos = defaultGrant(s, snd), st.Pos
	}
	if r.Grant != "" {
		// Another kind may use a named token request: an expect-401 with
		// a wrong client secret. Only a login or refresh keeps the answer.
		k := snd.Kind()
		d.expandGrant(s, r, what, k == "login" || k == "refresh")
	}
	if x, ok := snd.(expander); ok {
		x.expand(d, s, r, what)
	}
	if j := r.Expect.JWT; j != nil && s.OAuth2 != nil && j.HMAC == nil && j.PEM == nil && j.JWKS == nil && (s.OAuth2.Issuer != "" || s.OAuth2.JWKSURL != "") {
		// The authorization server's keys verify its tokens.
		j.JWKS = &Text{S: "{{" + OAuth2Var + ".jwks_uri}}", Pos: j.Pos}
	}
	defaultMethod(r)
	if r.Path == nil && r.URL == nil {
		hint := ""
		if du, ok := snd.(defaultUser); ok {
			hint = fmt.Sprintf(", or define requests: %s: once for every %s step", du.defaultUse(), snd.Kind())
		}
		d.errs = append(d.errs, Errorf(st.Pos, "%s: no path; give path: /..., url: or use: a named request%s", what, hint))
	}
	d.checkRequest(s, r, what, true)
	if r.Server != "" && s.Servers[r.Server] == nil {
		d.errs = append(d.errs, Errorf(r.ServerPos, "%s: server: no server named %q%s; servers: %s", what, r.Server,
			didYouMean(r.Server, keys(s.Servers)), listOrNone(keys(s.Servers))))
	}
	if k, ok := snd.(kindLinker); ok {
		k.linkKind(d, s, st, what)
	}
	cu := snd.Credentials()
	names := s.Auth.Names()
	for _, n := range append(append([]string{}, cu.Omit...), cu.Tamper...) {
		if !strings.EqualFold(n, "all") && !containsFold(names, n) {
			d.errs = append(d.errs, Errorf(st.Pos, "%s: %q is not a credential; auth: attaches %s%s", what, n, listOrNone(names), didYouMean(n, names)))
		}
	}
	for _, p := range cu.Set {
		if !containsFold(names, p.Name) {
			d.errs = append(d.errs, Errorf(p.Pos, "%s: set: %q is not a credential; auth: attaches %s%s", what, p.Name, listOrNone(names), didYouMean(p.Name, names)))
		}
	}
}

// defaultMethod sets a request's method when it names none: GET, or POST
// when it has a body.
func defaultMethod(r *Request) {
	if r.Method == "" {
		r.Method = http.MethodGet
		if r.JSON != nil || r.Form != nil || r.Body != nil {
			r.Method = http.MethodPost
		}
	}
}

// namedAs returns the named request r as a step of session sends it to
// check a refusal: without its captures and expectations.
func namedAs(r *Request, session string) *Request {
	out := merge(r, &Request{Pos: r.Pos, Session: session}, false)
	defaultMethod(out)
	return out
}

// refreshes reports whether the named request name is a refresh: named
// "refresh", or used by a refresh step.
func (s *Spec) refreshes(name string) bool {
	if name == "refresh" {
		return true
	}
	for _, f := range s.Flows {
		for _, st := range f.Steps {
			if r, ok := st.Action.(Refresh); ok && r.Request.Use == name {
				return true
			}
		}
	}
	return false
}

func (d *decoder) isUnset(name string) bool { return len(d.unset[name]) > 0 }

// checkRequest checks what a request says about itself.
func (d *decoder) checkRequest(s *Spec, r *Request, what string, final bool) {
	captured := map[string]bool{}
	for _, c := range r.Capture {
		captured[c.Name] = true
		if reserved(c.Name) {
			d.errs = append(d.errs, Errorf(c.Pos, "%s: capture %q: the name is reserved (%v); choose another", what, c.Name, reservedNames))
		}
	}
	if !final {
		return
	}
	for _, n := range r.Rotate {
		if !captured[n] {
			d.errs = append(d.errs, Errorf(r.RotatePos, "%s: rotate: %q is not captured by this request; capture it to check it changes", what, n))
		}
	}
}

// checkSessions walks a flow's steps in order and reports calls made
// before a login or after a logout in the same session.
func (d *decoder) checkSessions(f *Flow, static bool) {
	type state struct {
		Session
		ended int // line of the logout that ended it
	}
	sessions := map[string]*state{}
	for i, st := range f.Steps {
		snd, ok := st.Action.(Sender)
		if !ok {
			continue
		}
		name := snd.Req().Session
		ss := sessions[name]
		if ss == nil {
			ss = &state{}
			sessions[name] = ss
		}
		what := fmt.Sprintf("flow %q: step %d (%s)", f.Name, i+1, st.Name)
		if snd.Credentials().NeedSession && !ss.Live && !(static && ss.ended == 0) {
			if ss.ended > 0 {
				d.errs = append(d.errs, Errorf(st.Pos, "%s: session %q was logged out at line %d; log in again first, or write expect-401 to check the old credentials are refused", what, name, ss.ended))
			} else {
				d.errs = append(d.errs, Errorf(st.Pos, "%s: session %q has no login before this step; add a login step first", what, name))
			}
		}
		snd.Advance(&ss.Session, CaptureNames(snd.Req()))
		switch {
		case ss.Live:
			ss.ended = 0
		case ss.Ended && ss.ended == 0:
			ss.ended = st.Pos.Line
		}
	}
}

func (d *decoder) checkSecrets(s *Spec) {
	known := map[string]bool{}
	for _, v := range s.Vars {
		known[v.Name] = true
	}
	for _, n := range s.Secrets {
		if !known[n] {
			d.errs = append(d.errs, Errorf(s.Pos, "secrets: %q is not a variable under vars%s (captured credentials are secret already)", n, didYouMean(n, keys(known))))
		}
	}
}

// captureNames returns the names of the session credentials the spec's
// steps capture, sorted: what a login or a refresh captures, and what
// any named request captures.
func (s *Spec) captureNames() []string {
	var ss Session
	for _, r := range s.Requests {
		ss.Renew(CaptureNames(r), nil)
	}
	for _, f := range s.Flows {
		for _, st := range f.Steps {
			if snd, ok := st.Action.(Sender); ok {
				var one Session
				snd.Advance(&one, CaptureNames(snd.Req()))
				ss.Renew(one.Creds, nil)
			}
		}
	}
	return keys(ss.Creds)
}

// CaptureNames returns the names a request captures, each with a nil
// value: what a step's Advance is given at validate time.
func CaptureNames(r *Request) map[string]any {
	out := make(map[string]any, len(r.Capture))
	for _, c := range r.Capture {
		out[c.Name] = nil
	}
	return out
}

// successes reports whether every status is a 2xx, or none is given.
func successes(statuses []int) bool {
	return !slices.ContainsFunc(statuses, func(s int) bool { return s < 200 || s > 299 })
}

func containsFold(list []string, s string) bool {
	return slices.ContainsFunc(list, func(x string) bool { return strings.EqualFold(x, s) })
}

func listOrNone(names []string) string {
	if len(names) == 0 {
		return "nothing (the spec has no auth: section)"
	}
	return strings.Join(names, ", ")
}

// keys returns a map's keys, sorted.
func keys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
