package runner

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/flowrun/flowrun/flows"
)

// placed is a credential as a request carries it: a header or a query
// parameter, its name and value.
type placed struct {
	query       bool
	name, value string
}

// variant is one refusal probe: a request with one credential broken one way.
type variant struct {
	label string
	edit  func(h http.Header, q map[string][]string)
}

// probe sends the step's refusal probes: the request again with every
// credential the session has, each time broken one way; the API must
// refuse every one. Probes change nothing of the session, but for an
// expired probe that waits: time passes for the session's tokens too.
func (f *flowRun) probe(ctx context.Context, sp *stepPlan, s *session, env map[string]any, sr *StepResult) Status {
	full := *sp
	full.cred, full.set = flows.CredentialUse{Attach: true}, nil
	req, body, err := f.build(ctx, &full, s, env)
	if err != nil {
		sr.Error = "probes: " + err.Error()
		return Errored
	}
	creds := f.credentialsOn(req)
	// A probe is refused as the spec says its API refuses (auth: refused).
	refused := f.plan.Spec.Auth.RefusedOr()
	n := len(sr.Checks)
	var checks []Check
	for _, kind := range sp.probes {
		switch kind {
		case flows.ProbeExpired:
			checks = append(checks, f.probeExpired(ctx, sp, s, env, req, body, creds, refused, sr)...)
		case flows.ProbeRevoked:
			other := &session{Session: flows.Session{Creds: maps.Clone(s.Creds), Live: true}, jar: s.jar}
			maps.Copy(other.Creds, s.Revoked)
			checks = append(checks, f.probeAs(ctx, &full, other, "revoked credentials ("+strings.Join(slices.Sorted(maps.Keys(s.Revoked)), ", ")+" from before the logout or refresh that revoked them)", refused, sr))
		case flows.ProbeOtherSession:
			// Another user's resource may also be hidden: 403 or 404.
			want := slices.Clone(refused)
			for _, code := range []int{http.StatusForbidden, http.StatusNotFound} {
				if !slices.Contains(want, code) {
					want = append(want, code)
				}
			}
			for _, name := range sp.others {
				other := f.session(name)
				checks = append(checks, f.probeAs(ctx, &full, other, "the credentials of session "+name, want, sr))
			}
		default:
			for _, v := range variantsOf(kind, creds) {
				checks = append(checks, f.sendProbe(ctx, sp, req, body, v, refused, sr))
			}
		}
	}
	if len(checks) == 0 {
		sr.Error = fmt.Sprintf("probes %s: the request carries no credential to probe", strings.Join(sp.probes, ", "))
		return Errored
	}
	return worst(sr.Checks[n:]) // the probes' checks, and the conformance checks of their answers
}

// worst returns Failed if a check failed, else Errored if one errored,
// else Passed.
func worst(checks []Check) Status {
	status := Passed
	for _, c := range checks {
		switch {
		case c.Status == Failed:
			status = Failed
		case c.Status == Errored && status == Passed:
			status = Errored
		}
	}
	return status
}

// probeAs sends the step's request with another session's credentials,
// or revoked ones: the API must refuse it.
func (f *flowRun) probeAs(ctx context.Context, full *stepPlan, as *session, label string, refused []int, sr *StepResult) Check {
	c := Check{Pos: full.step.Pos, Kind: CheckProbe, Expr: "probe " + label}
	req, body, err := f.build(ctx, full, as, f.env(as))
	if err != nil {
		c.Status, c.Actual, c.Message = Errored, textValue("no request"), err.Error()
		sr.Checks = append(sr.Checks, c)
		return c
	}
	return f.sendCheck(ctx, full, "probe "+label, req, body, c, refused, "the API accepted a request with "+label, sr)
}

// sendProbe sends one variant and checks it was refused.
func (f *flowRun) sendProbe(ctx context.Context, sp *stepPlan, base *http.Request, body []byte, v variant, refused []int, sr *StepResult) Check {
	h, q := base.Header.Clone(), base.URL.Query()
	v.edit(h, q)
	u := *base.URL
	u.RawQuery = encodeQuery(q)
	req, _ := http.NewRequestWithContext(ctx, base.Method, u.String(), bytes.NewReader(body))
	req.Header = h
	// A broken credential is most of a real one: never shown either.
	for name, vs := range h {
		if f.credentialHeader(name) {
			for _, x := range vs {
				f.red.learnHeader("probe-"+name, x)
			}
		}
	}
	for name, vs := range q {
		for _, x := range vs {
			if credentialKey(name) || slices.ContainsFunc(f.plan.authQuery, func(p pairPlan) bool { return p.name == name }) {
				f.red.learn("probe-"+name, x)
			}
		}
	}
	c := Check{Pos: sp.step.Pos, Kind: CheckProbe, Expr: "probe " + v.label}
	return f.sendCheck(ctx, sp, "probe "+v.label, req, body, c, refused, "the API accepted a request with "+v.label, sr)
}

// sendCheck sends one of a step's extra requests (a probe, a followup, a
// retry) as its own exchange, and checks its status is one of want, or
// any 2xx when want is nil. The session's cookies are not kept: it
// changes nothing of the session. fail says what a wrong status means.
func (f *flowRun) sendCheck(ctx context.Context, sp *stepPlan, label string, req *http.Request, body []byte, c Check, want []int, fail string, sr *StepResult) Check {
	x := Exchange{Label: label, Started: f.cfg.Now(), Request: snapshot(req, body)}
	c.Status = Failed
	c.Expected = textValue("2xx")
	if want != nil {
		js, _ := json.Marshal(want)
		c.Expected = Value{JSON: js, Text: statusList(want)}
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout(sp))
	defer cancel()
	r, err := f.do(req.WithContext(ctx))
	x.Duration = f.cfg.Now().Sub(x.Started)
	if err != nil {
		x.Error = sendError(err, f.timeout(sp))
		c.Status, c.Actual, c.Message = Errored, textValue("no answer"), x.Error
		c.Exchange = f.addExchange(sr, x)
		sr.Checks = append(sr.Checks, c)
		return c
	}
	f.learnResponse(r)
	x.Response = r.snapshot()
	c.Actual = Value{JSON: json.RawMessage(strconv.Itoa(r.status)), Text: strconv.Itoa(r.status)}
	if (want == nil && r.status >= 200 && r.status < 300) || slices.Contains(want, r.status) {
		c.Status = Passed
	} else {
		c.Message = fmt.Sprintf("%s: it answered %d, not %s", fail, r.status, c.Expected.Text)
	}
	c.Exchange = f.addExchange(sr, x)
	sr.Checks = append(sr.Checks, c)
	f.conform(extraRole(sp, c.Kind), c.Pos, c.Exchange, r, sr)
	return c
}

func statusList(codes []int) string {
	parts := make([]string, len(codes))
	for i, c := range codes {
		parts[i] = strconv.Itoa(c)
	}
	return strings.Join(parts, " or ")
}

// encodeQuery writes query parameters in a stable order.
func encodeQuery(q map[string][]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(q)) {
		for _, v := range q[k] {
			parts = append(parts, url.QueryEscape(k)+"="+url.QueryEscape(v))
		}
	}
	return strings.Join(parts, "&")
}

// credentialsOn lists the credentials a request carries: what auth
// attaches, and the spec's headers that are credentials (an API key).
func (f *flowRun) credentialsOn(req *http.Request) []placed {
	var out []placed
	seen := map[string]bool{}
	add := func(name string) {
		if v := req.Header.Get(name); v != "" && !seen[http.CanonicalHeaderKey(name)] {
			seen[http.CanonicalHeaderKey(name)] = true
			out = append(out, placed{name: http.CanonicalHeaderKey(name), value: v})
		}
	}
	for _, p := range f.plan.authHeaders {
		add(p.name)
	}
	for _, p := range f.plan.headers {
		if f.credentialHeader(p.name) {
			add(p.name)
		}
	}
	q := req.URL.Query()
	for _, p := range f.plan.authQuery {
		if v := q.Get(p.name); v != "" {
			out = append(out, placed{query: true, name: p.name, value: v})
		}
	}
	return out
}

// variantsOf derives the variants of a probe kind from the credentials a
// request carries.
func variantsOf(kind string, creds []placed) []variant {
	var out []variant
	for _, c := range creds {
		out = append(out, variantsOfOne(kind, c)...)
	}
	return out
}

func variantsOfOne(kind string, c placed) []variant {
	scheme, token := splitScheme(c.value)
	set := func(label, value string) variant {
		return variant{label: label, edit: func(h http.Header, q map[string][]string) { put(c, h, q, value) }}
	}
	switch kind {
	case "missing":
		return []variant{{label: c.name + " left out", edit: func(h http.Header, q map[string][]string) { remove(c, h, q) }}}
	case "tampered":
		if parts := jwtParts(token); parts != nil {
			return []variant{
				set(c.name+" with its JWT signature altered", scheme+parts[0]+"."+parts[1]+"."+tamper(parts[2])),
				set(c.name+" with its JWT payload altered, the signature kept", scheme+parts[0]+"."+alterPayload(parts[1])+"."+parts[2]),
			}
		}
		return []variant{set(c.name+" altered", scheme+tamper(token))}
	case "alg-none":
		if parts := jwtParts(token); parts != nil {
			none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
			return []variant{set(c.name+" re-encoded with alg none and no signature", scheme+none+"."+parts[1]+".")}
		}
	case "wrong-scheme":
		if c.query || !isTokenCarrier(c.name) {
			return nil
		}
		var out []variant
		if scheme != "" {
			out = append(out, set(c.name+" without its "+strings.TrimSpace(scheme)+" scheme", token))
		} else {
			out = append(out, set(c.name+" with a Bearer scheme", "Bearer "+token))
		}
		out = append(out, variant{label: c.name + " sent as the access_token query parameter instead",
			edit: func(h http.Header, q map[string][]string) {
				h.Del(c.name)
				q["access_token"] = []string{token}
			}})
		return out
	}
	return nil
}

// isTokenCarrier reports whether a header carries a token, whose scheme a
// probe can get wrong: Authorization, or a header named like a credential.
func isTokenCarrier(name string) bool {
	return strings.EqualFold(name, "Authorization") || credentialKey(name)
}

func put(c placed, h http.Header, q map[string][]string, v string) {
	if c.query {
		q[c.name] = []string{v}
		return
	}
	h.Set(c.name, v)
}

func remove(c placed, h http.Header, q map[string][]string) {
	if c.query {
		delete(q, c.name)
		return
	}
	h.Del(c.name)
}

// splitScheme splits "Bearer abc" into "Bearer " and "abc"; a value
// without a known scheme has none.
func splitScheme(v string) (string, string) {
	scheme, rest, ok := strings.Cut(v, " ")
	if ok && slices.ContainsFunc(authSchemes, func(s string) bool { return strings.EqualFold(s, scheme) }) {
		return scheme + " ", rest
	}
	return "", v
}

// jwtParts returns a JWT's three parts, or nil when v is not a JWT.
func jwtParts(v string) []string {
	parts := strings.Split(v, ".")
	if len(parts) != 3 || parts[2] == "" {
		return nil
	}
	for _, p := range parts[:2] {
		b, err := base64.RawURLEncoding.DecodeString(p)
		if err != nil || !json.Valid(b) {
			return nil
		}
	}
	return parts
}

// alterPayload changes a JWT payload's claims: sub, or else a claim of its own.
func alterPayload(p string) string {
	b, _ := base64.RawURLEncoding.DecodeString(p)
	var claims map[string]any
	if json.Unmarshal(b, &claims) != nil || claims == nil {
		claims = map[string]any{}
	}
	if sub, ok := claims["sub"].(string); ok {
		claims["sub"] = sub + "-probe"
	} else {
		claims["probe"] = "tampered"
	}
	out, _ := json.Marshal(claims)
	return base64.RawURLEncoding.EncodeToString(out)
}
