package runner

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"time"

	"github.com/flowrun/flowrun/flows"
)

// Plan is a spec made ready to run: every template and expression compiled
// once, before the first request.
type Plan struct {
	Spec *flows.Spec
	// BaseURL is where requests go; Compile takes it from the spec and the
	// caller may change it, e.g. to an embedded sandbox's address.
	BaseURL string
	// Sandbox names the embedded simulator BaseURL points at, if any.
	Sandbox string
	// Servers are the spec's other servers by name; Compile takes their
	// URLs from the spec, and the caller may point one at a sandbox.
	Servers map[string]*Target

	vars []pairPlan
	// expiredKey is auth: expired: hmac, if the spec gives it.
	expiredKey  *template
	headers     []pairPlan
	authHeaders []pairPlan
	authQuery   []pairPlan
	flows       []*flowPlan
	// oauth2 is the spec's authorization server, if it has one.
	oauth2 *oauth2Plan
}

// Target is where a server's requests go.
type Target struct {
	URL string
	// Sandbox names the embedded simulator URL points at, if any.
	Sandbox string
}

// base returns the root URL of a server: the base URL when name is empty.
func (p *Plan) base(name string) string {
	if t, ok := p.Servers[name]; ok && name != "" {
		return t.URL
	}
	return p.BaseURL
}

type pairPlan struct {
	name string
	tpl  *template // nil: remove the header or parameter
}

type flowPlan struct {
	flow  *flows.Flow
	steps []*stepPlan
	// leases are the principals the flow holds while it runs.
	leases []leasePlan
}

// stepPlan is one compiled step. send is nil for a wait.
type stepPlan struct {
	step    *flows.Step
	wait    *waitPlan
	send    flows.Sender
	req     *flows.Request
	cred    flows.CredentialUse
	set     []pairPlan
	vars    []pairPlan
	target  *template // the path, or the absolute url when absolute is set
	abs     bool
	query   []pairPlan
	headers []pairPlan
	form    []pairPlan
	json    any // the body's plain data with *template for strings
	body    *template
	asserts []*assertion
	uses    uses // what of the response the assertions read
	// secretFields are the request fields the spec and the request declare secret.
	secretFields []flows.SecretField
	// probes are the refusal probes sent after the step passes.
	probes []string
	// jwt checks a captured token, if the step says so.
	jwt *jwtPlan
	// credential names the captures that become the session's credentials.
	credential []string
	// others are the sessions live besides the step's, for the
	// other-session probe.
	others []string
	// followups are sent after the step passes, to prove what it claims.
	followups []followupPlan
	// reauth makes a 401 log the session in again and retry once
	// (reauth: on-401).
	reauth bool
	// poll sends the request again until an answer holds (retry: until).
	poll *pollPlan
}

// followupPlan is a compiled followup: plan is nil when the step's own
// request is sent again as it was.
type followupPlan struct {
	flows.Followup
	plan *stepPlan
}

// waitPlan is a compiled wait: a fixed duration, or a time computed from
// the session.
type waitPlan struct {
	d          time.Duration
	until      *template // Unix seconds or a time
	afterLogin *template // seconds from the session's last login or refresh
	max        time.Duration
	session    string
}

// compiler gathers every compile problem with its place.
type compiler struct{ errs []error }

func (c *compiler) errorf(pos flows.Pos, format string, args ...any) {
	c.errs = append(c.errs, flows.Errorf(pos, format, args...))
}

func (c *compiler) template(s string, pos flows.Pos, what string, sc *scope) *template {
	t, err := compileTemplate(s, sc)
	if err != nil {
		c.errorf(pos, "%s: %v%s", what, err, undefinedHint(err, sc))
	}
	return t
}

func (c *compiler) pairs(ps []flows.Pair, what string, sc *scope) []pairPlan {
	out := make([]pairPlan, 0, len(ps))
	for _, p := range ps {
		pp := pairPlan{name: p.Name}
		if !p.Remove {
			pp.tpl = c.template(p.Value, p.Pos, what+" "+p.Name, sc)
		}
		out = append(out, pp)
	}
	return out
}

// Compile checks and compiles a loaded spec with the default limits, as
// CompileWith does.
func Compile(spec *flows.Spec) (*Plan, error) { return CompileWith(spec, CompileOptions{}) }

// CompileOptions are how CompileWith makes a plan.
type CompileOptions struct {
	// Limits bound what the plan's expressions and templates spend while
	// they run: ExprMemory each evaluation of an expression, String each
	// rendered template. Unset fields take their defaults.
	Limits flows.Limits
}

// CompileWith checks and compiles a loaded spec. The error lists every
// problem, each with its place; an expression sure to spend more than
// opts.Limits.ExprMemory is one.
func CompileWith(spec *flows.Spec, opts CompileOptions) (*Plan, error) {
	c := &compiler{}
	p := &Plan{Spec: spec, BaseURL: spec.BaseURL, Servers: map[string]*Target{}}
	for name, sv := range spec.Servers {
		p.Servers[name] = &Target{URL: sv.URL}
	}
	sc := newScope()
	sc.confs.limits = opts.Limits
	for _, v := range spec.Vars {
		p.vars = append(p.vars, pairPlan{name: v.Name, tpl: c.template(v.Value, v.Pos, "vars: "+v.Name, sc)})
		sc = sc.with(v.Name)
	}
	if spec.OAuth2 != nil {
		p.oauth2 = c.oauth2(spec.OAuth2, sc)
		sc = sc.with(flows.OAuth2Var)
	}
	p.headers = c.pairs(spec.Headers, "headers:", sc)
	if e := spec.Auth.Expired; e.HMAC != "" {
		p.expiredKey = c.template(e.HMAC, e.Pos, "auth: expired: hmac", sc)
	}
	authScope := sc.with(credentialNames(spec)...)
	p.authHeaders = c.pairs(spec.Auth.Headers, "auth: headers:", authScope)
	p.authQuery = c.pairs(spec.Auth.Query, "auth: query:", authScope)
	for _, f := range spec.Flows {
		fp := &flowPlan{flow: f}
		fsc := sc
		if len(f.Rows) > 0 {
			fsc = sc.with(slices.Collect(maps.Keys(f.Rows[0].Vars))...)
		}
		rowScope := fsc
		// What a login or refresh captures belongs to its session, as at
		// run time: another session's step cannot use it.
		sessions := map[string]*flows.Session{}
		reauth := spec.Reauth
		if f.Reauth != nil {
			reauth = *f.Reauth
		}
		for i, st := range f.Steps {
			sp := &stepPlan{step: st}
			what := fmt.Sprintf("flow %q: step %d (%s)", f.Name, i+1, st.Name)
			if w, ok := st.Action.(flows.Wait); ok {
				ss := sessions[w.Session]
				if ss == nil {
					ss = &flows.Session{}
				}
				sp.wait = c.wait(w, what, fsc.inSession(w.Session, map[string]*flows.Session{w.Session: ss}))
			} else if snd, ok := st.Action.(flows.Sender); ok {
				sp.secretFields = append(slices.Clip(spec.SecretFields), snd.Req().Secrets...)
				name := snd.Req().Session
				if sessions[name] == nil {
					sessions[name] = &flows.Session{}
				}
				ssc := fsc.inSession(name, sessions)
				if pr, ok := snd.(flows.Prober); ok {
					kinds, auto := pr.ProbeKinds(spec, f)
					sp.probes, sp.others = c.probes(kinds, auto, st.Pos, what, name, sessions, spec)
				}
				vars, _ := c.step(sp, snd, what, ssc)
				sp.poll = c.poll(snd.Req(), what, ssc.with(vars...).withResponse())
				fsc = fsc.with(vars...)
				if fu, ok := snd.(flows.Followuper); ok {
					for _, x := range fu.Followups(spec) {
						fp := followupPlan{Followup: x}
						if x.Request != nil {
							fp.plan = &stepPlan{step: st}
							c.step(fp.plan, flows.Plain{Request: x.Request, Auth: x.Attach}, what+": "+x.Check, ssc.with(vars...))
						}
						sp.followups = append(sp.followups, fp)
					}
				}
				if reauth && sp.cred.Attach && sp.cred.NeedSession && successes(sp.req.Expect.Status) {
					sp.reauth = sessions[name].Logins > 0
				}
				captured := flows.CaptureNames(sp.req)
				left := snd.Advance(sessions[name], captured)
				fsc = fsc.with(slices.Collect(maps.Keys(left))...)
				for n := range captured {
					if _, ok := left[n]; !ok {
						sp.credential = append(sp.credential, n)
					}
				}
			}
			fp.steps = append(fp.steps, sp)
		}
		c.leases(f, fp, rowScope)
		p.flows = append(p.flows, fp)
	}
	if err := flows.JoinErrors(c.errs); err != nil {
		return nil, err
	}
	return p, nil
}

// step compiles a sending step in scope sc. It returns the variables the
// step sets and the names it captures.
func (c *compiler) step(sp *stepPlan, snd flows.Sender, what string, sc *scope) (vars, captured []string) {
	r := snd.Req()
	sp.send, sp.req, sp.cred = snd, r, snd.Credentials()
	sp.vars = c.pairs(r.Vars, what+": vars:", sc)
	for _, v := range r.Vars {
		sc = sc.with(v.Name)
		vars = append(vars, v.Name)
	}
	sp.set = c.pairs(sp.cred.Set, what+": set:", sc)
	switch {
	case r.URL != nil:
		sp.target, sp.abs = c.template(r.URL.S, r.URL.Pos, what+": url", sc), true
	case r.Path != nil:
		sp.target = c.template(r.Path.S, r.Path.Pos, what+": path", sc)
	}
	sp.query = c.pairs(r.Query, what+": query:", sc)
	sp.headers = c.pairs(r.Headers, what+": headers:", sc)
	sp.form = c.pairs(r.Form, what+": form:", sc)
	if r.Body != nil {
		sp.body = c.template(r.Body.S, r.Body.Pos, what+": body", sc)
	}
	if r.JSON != nil {
		sp.json = c.jsonTemplate(r.JSON, r.JSONPos, what+": json", sc)
	}
	for _, cp := range r.Capture {
		captured = append(captured, cp.Name)
	}
	asc := sc.withResponse().with(captured...)
	for _, a := range r.Expect.Assert {
		as, err := compileAssertion(a.Expr, asc)
		if err != nil {
			c.errorf(a.Pos, "%s: assert %q: %s%s", what, a.Expr, firstLine(err), undefinedHint(err, asc))
			continue
		}
		as.pos = a.Pos
		sp.asserts = append(sp.asserts, as)
		u := usesOf(as.prog)
		sp.uses.body, sp.uses.headers = sp.uses.body || u.body, sp.uses.headers || u.headers
	}
	if r.Expect.JWT != nil {
		sp.jwt = c.jwt(r.Expect.JWT, captured, what, asc)
	}
	return vars, captured
}

// probes checks the probes a step sends against the state of its flow's
// sessions: revoked needs revoked credentials, other-session another live
// session, and expired after every call needs the key to re-sign with.
// Auto-probes run only where they apply; a step's own are an error where
// they do not. It returns the probes to send and the other sessions.
func (c *compiler) probes(kinds []string, auto bool, pos flows.Pos, what, name string, sessions map[string]*flows.Session, spec *flows.Spec) (out, others []string) {
	for _, o := range slices.Sorted(maps.Keys(sessions)) {
		if o != name && sessions[o].Live {
			others = append(others, o)
		}
	}
	for _, k := range kinds {
		switch {
		case k == flows.ProbeRevoked && len(sessions[name].Revoked) == 0:
			if !auto {
				c.errorf(pos, "%s: probe revoked: session %q has no revoked credentials here; a logout, or a refresh with revokes:, must come first", what, name)
			}
			continue
		case k == flows.ProbeOtherSession && len(others) == 0:
			if !auto {
				c.errorf(pos, "%s: probe other-session: no other session is logged in here; log another user in with `- login: {session: other, ...}` first", what)
			}
			continue
		case k == flows.ProbeExpired && auto && spec.Auth.Expired.HMAC == "":
			c.errorf(pos, "%s: probe expired after every call needs auth: expired: hmac, the key to re-sign the token with; without it, name expired in one expect-401's probes, which waits for the token to expire", what)
			continue
		}
		out = append(out, k)
	}
	return out, others
}

// wait compiles a wait step.
func (c *compiler) wait(w flows.Wait, what string, sc *scope) *waitPlan {
	wp := &waitPlan{d: w.Duration, max: w.Max, session: w.Session}
	if w.Until != "" {
		wp.until = c.template("{{ "+w.Until+" }}", w.ExprPos, what+": until", sc)
	}
	if w.AfterLogin != "" {
		wp.afterLogin = c.template("{{ "+w.AfterLogin+" }}", w.ExprPos, what+": after_login", sc)
	}
	return wp
}

// successes reports whether every status is a 2xx, or none is given.
func successes(statuses []int) bool {
	return !slices.ContainsFunc(statuses, func(s int) bool { return s < 200 || s > 299 })
}

// jsonTemplate compiles the strings of a JSON body as templates.
func (c *compiler) jsonTemplate(v any, pos flows.Pos, what string, sc *scope) any {
	switch x := v.(type) {
	case string:
		return c.template(x, pos, what, sc)
	case map[string]any:
		out := make(map[string]any, len(x))
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			out[k] = c.jsonTemplate(x[k], pos, what+"."+k, sc)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = c.jsonTemplate(e, pos, fmt.Sprintf("%s[%d]", what, i), sc)
		}
		return out
	}
	return v
}

// credentialNames returns every name a login or refresh captures, which
// the auth templates may use.
func credentialNames(spec *flows.Spec) []string {
	var out []string
	add := func(r *flows.Request) {
		for _, c := range r.Capture {
			if !slices.Contains(out, c.Name) {
				out = append(out, c.Name)
			}
		}
	}
	for _, r := range spec.Requests {
		add(r)
	}
	for _, f := range spec.Flows {
		for _, st := range f.Steps {
			if snd, ok := st.Action.(flows.Sender); ok {
				var s flows.Session
				snd.Advance(&s, flows.CaptureNames(snd.Req()))
				for n := range s.Creds {
					if !slices.Contains(out, n) {
						out = append(out, n)
					}
				}
			}
		}
	}
	return out
}

// Flows returns how many flows the plan runs: a data-driven flow counts
// once per row, as Run reports it.
func (p *Plan) Flows() int {
	n := 0
	for _, fp := range p.flows {
		n += max(1, len(fp.flow.Rows))
	}
	return n
}
