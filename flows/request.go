package flows

import (
	"maps"
	"net/http"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// decodeRequest decodes a request with the keys of the grammar object o:
// a step kind's or a named request's. fn is called for the keys that
// only some kinds take.
func (d *decoder) decodeRequest(n *yaml.Node, what string, o *Object, fn func(key string, k, v *yaml.Node)) *Request {
	r := &Request{Pos: d.pos(n)}
	d.object(n, what, o, func(key string, k, v *yaml.Node) {
		at := what + ": " + key
		switch key {
		case "name":
			// Read by the step.
		case "use":
			r.Use, r.UsePos = d.str(v, at), d.pos(v)
		case "session":
			r.Session = d.str(v, at)
		case "server":
			r.Server, r.ServerPos = d.str(v, at), d.pos(v)
		case "method":
			r.Method = strings.ToUpper(d.str(v, at))
			if !validMethod(r.Method) {
				d.errorf(v, "%s: %q is not an HTTP method; write GET, POST, PUT, PATCH, DELETE, HEAD or OPTIONS", at, r.Method)
			}
		case "path":
			r.Path = &Text{S: d.str(v, at), Pos: d.pos(v)}
		case "url":
			r.URL = &Text{S: d.str(v, at), Pos: d.pos(v)}
		case "query":
			r.Query = d.pairs(v, at)
		case "headers":
			r.Headers = d.pairs(v, at)
		case "json":
			r.JSON, r.JSONPos = d.value(v, at), d.pos(v)
		case "form":
			r.Form = d.pairs(v, at)
		case "body":
			r.Body = &Text{S: d.str(v, at), Pos: d.pos(v)}
		case "capture":
			r.Capture = d.captures(v, at)
		case "expect":
			r.Expect = d.expect(v, at)
		case "vars":
			r.Vars = d.pairs(v, at)
		case "timeout":
			r.Timeout = d.duration(v, at)
		case "rotate":
			r.Rotate, r.RotatePos = d.strList(v, at), d.pos(v)
		case "retry":
			r.Retry = d.retry(v, at)
		case "principal":
			r.Principal = &Text{S: d.str(v, at), Pos: d.pos(v)}
		case "grant":
			r.Grant, r.GrantPos = d.grant(v, at)
		case "secrets":
			vars, fields := d.secrets(v, at)
			r.Secrets = fields
			for _, name := range vars {
				d.errorf(v, "%s: %q: a request's secrets name its fields: header:NAME, query:NAME, form:NAME or json:PATH; list variables under the spec's secrets:", at, name)
			}
		default:
			fn(key, k, v)
		}
	})
	bodies := 0
	for _, set := range []bool{r.JSON != nil, r.Form != nil, r.Body != nil} {
		if set {
			bodies++
		}
	}
	if bodies > 1 {
		d.errorf(n, "%s: give one of json, form and body, not several", what)
	}
	if r.Path != nil && r.URL != nil {
		d.errorf(n, "%s: give path (joined to base_url) or url (absolute), not both", what)
	}
	if r.URL != nil && r.Server != "" {
		d.errorf(n, "%s: give server (with a path) or url (absolute), not both", what)
	}
	return r
}

func validMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete,
		http.MethodHead, http.MethodOptions:
		return true
	}
	return false
}

// captures decodes `capture: {name: source}`; a source may also be
// written {from: source, secret: false} for a value that is no secret.
func (d *decoder) captures(n *yaml.Node, what string) []Capture {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		d.errorf(n, "%s: want a mapping of names to sources, got %s", what, kindName(n))
		return nil
	}
	var out []Capture
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolve(n.Content[i+1])
		c := Capture{Pos: d.pos(v), Name: k.Value}
		if v.Kind == yaml.MappingNode {
			at := what + ": " + k.Value
			d.object(v, at, d.g.Objects["capture source"], func(key string, _, fv *yaml.Node) {
				switch key {
				case "from":
					c.Source = d.str(fv, at+": from")
				case "secret":
					c.Public = !d.boolean(fv, at+": secret")
				}
			})
		} else {
			c.Source = d.str(v, what+": "+k.Value)
		}
		if !validIdent(c.Name) {
			d.errs = append(d.errs, Errorf(c.Pos, "%s: %q is not a usable variable name; use letters, digits and _", what, c.Name))
		}
		if c.Source != "" {
			if err := checkSource(c.Source); err != nil {
				d.errs = append(d.errs, Errorf(c.Pos, "%s: %q: %v", what, c.Name, err))
			}
		}
		out = append(out, c)
	}
	return out
}

// secrets decodes a secrets: list into variable names and request fields
// (header:NAME, query:NAME, form:NAME, json:PATH).
func (d *decoder) secrets(n *yaml.Node, what string) (vars []string, fields []SecretField) {
	n = resolve(n)
	items := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		items = n.Content
	}
	for _, c := range items {
		s := d.str(c, what)
		in, name, ok := strings.Cut(s, ":")
		if !ok {
			vars = append(vars, s)
			continue
		}
		in, name = strings.TrimSpace(in), strings.TrimSpace(name)
		switch {
		case !slices.Contains(secretPlaces, in):
			d.errorf(c, "%s: %q: a field is header:NAME, query:NAME, form:NAME or json:PATH%s", what, s, didYouMean(in, secretPlaces))
		case name == "":
			d.errorf(c, "%s: %q names no field; write %s:NAME", what, s, in)
		case in == "json":
			if err := CheckPath(name); err != nil {
				d.errorf(c, "%s: %q: %v", what, s, err)
			}
		}
		fields = append(fields, SecretField{Pos: d.pos(c), In: in, Name: name})
	}
	return vars, fields
}

// expect decodes `expect: {status, assert}`.
func (d *decoder) expect(n *yaml.Node, what string) Expect {
	var e Expect
	d.object(n, what, d.g.Objects["expect"], func(key string, _, v *yaml.Node) {
		switch key {
		case "status":
			e.Status, e.StatusPos = d.statuses(v, what+": status"), d.pos(v)
		case "assert":
			items := []*yaml.Node{v}
			if v.Kind == yaml.SequenceNode {
				items = v.Content
			}
			for _, c := range items {
				if a, ok := d.assertion(c, what+": assert"); ok {
					e.Assert = append(e.Assert, a)
				}
			}
		case "jwt":
			e.JWT = d.jwtCheck(v, what+": jwt")
		}
	})
	return e
}

// assertion decodes one expression of `assert:`. An unquoted expression
// holding ": " is read by YAML as a mapping: that is reported once, with
// the line to write instead, and the assertion is dropped so that no
// second, empty expression is reported.
func (d *decoder) assertion(n *yaml.Node, what string) (Assertion, bool) {
	if c := resolve(n); c.Kind == yaml.MappingNode && len(c.Content) == 2 && c.Content[0].Kind == yaml.ScalarNode && c.Content[1].Kind == yaml.ScalarNode {
		src := c.Content[0].Value + ": " + c.Content[1].Value
		d.errorf(n, "%s: YAML read this expression as a mapping because of the \": \" in it; quote the whole expression: - '%s'", what, strings.ReplaceAll(src, "'", "''"))
		return Assertion{}, false
	}
	if resolve(n).Kind != yaml.ScalarNode {
		d.errorf(n, "%s: want an expression, such as status == 200, got %s", what, kindName(resolve(n)))
		return Assertion{}, false
	}
	return Assertion{Pos: d.pos(n), Expr: d.str(n, what)}, true
}

// probes decodes a list of refusal probe kinds.
func (d *decoder) probes(n *yaml.Node, what string) []string {
	n = resolve(n)
	if n.Kind == yaml.SequenceNode && len(n.Content) == 0 {
		return []string{}
	}
	out := d.strList(n, what)
	for _, p := range out {
		if !slices.Contains(ProbeKinds, p) {
			d.errorf(n, "%s: %q is not a probe%s; probes: %s", what, p, didYouMean(p, ProbeKinds), strings.Join(ProbeKinds, ", "))
		}
	}
	return out
}

// statuses decodes a status code or a list of them.
func (d *decoder) statuses(n *yaml.Node, what string) []int {
	out := d.ints(n, what)
	for _, s := range out {
		if s < 100 || s > 599 {
			d.errorf(n, "%s: %d is not an HTTP status (100 to 599)", what, s)
		}
	}
	return out
}

// merge returns r laid over base: what r sets wins; headers, query, form,
// captures and vars are merged by name; JSON objects are merged deeply.
// The named request's captures and expectations describe its success, so
// they apply only when checks is set: not to a step that expects another
// status (an error case written with the same request).
func merge(base, r *Request, checks bool) *Request {
	out := *base
	out.Pos, out.Use, out.UsePos = r.Pos, r.Use, r.UsePos
	if r.Session != "" {
		out.Session = r.Session
	}
	if r.Server != "" {
		out.Server, out.ServerPos = r.Server, r.ServerPos
	}
	if r.Method != "" {
		out.Method = r.Method
	}
	if r.Path != nil || r.URL != nil {
		out.Path, out.URL = r.Path, r.URL
	}
	out.Query = mergePairs(base.Query, r.Query)
	out.Headers = mergePairs(base.Headers, r.Headers)
	out.Vars = mergePairs(base.Vars, r.Vars)
	switch {
	case r.JSON != nil:
		out.JSON, out.JSONPos, out.Form, out.Body = mergeJSON(base.JSON, r.JSON), r.JSONPos, nil, nil
	case r.Form != nil:
		out.JSON, out.Form, out.Body = nil, mergePairs(base.Form, r.Form), nil
	case r.Body != nil:
		out.JSON, out.Form, out.Body = nil, nil, r.Body
	}
	if !checks {
		out.Capture, out.Expect, out.Rotate = nil, Expect{}, nil
	}
	out.Capture = mergeCaptures(out.Capture, r.Capture)
	if r.Expect.Status != nil {
		out.Expect.Status, out.Expect.StatusPos = r.Expect.Status, r.Expect.StatusPos
	}
	if r.Expect.JWT != nil {
		out.Expect.JWT = r.Expect.JWT
	}
	if r.Expect.Assert != nil {
		out.Expect.Assert = append(append([]Assertion{}, out.Expect.Assert...), r.Expect.Assert...)
	}
	if r.Timeout != 0 {
		out.Timeout = r.Timeout
	}
	if r.Rotate != nil {
		out.Rotate, out.RotatePos = r.Rotate, r.RotatePos
	}
	if r.Grant != "" {
		out.Grant, out.GrantPos = r.Grant, r.GrantPos
	}
	// A named request takes no retry: polling belongs to the step.
	out.Retry = r.Retry
	// What is secret in the named request stays secret in every use of it.
	out.Secrets = append(append([]SecretField{}, base.Secrets...), r.Secrets...)
	return &out
}

func mergePairs(base, over []Pair) []Pair {
	if over == nil {
		return base
	}
	out := append([]Pair{}, base...)
	for _, p := range over {
		replaced := false
		for i := range out {
			if strings.EqualFold(out[i].Name, p.Name) {
				out[i], replaced = p, true
			}
		}
		if !replaced {
			out = append(out, p)
		}
	}
	return out
}

// mergeJSON lays over onto base: objects merge key by key, a null removes
// the key, anything else is replaced. (To send a JSON null in a step that
// uses a named request, write "{{nil}}".)
func mergeJSON(base, over any) any {
	bm, ok1 := base.(map[string]any)
	om, ok2 := over.(map[string]any)
	if !ok1 || !ok2 {
		return over
	}
	out := maps.Clone(bm)
	for k, v := range om {
		if v == nil {
			delete(out, k)
			continue
		}
		out[k] = mergeJSON(bm[k], v)
	}
	return out
}

// mergeCaptures adds a step's captures to a named request's: one of the
// same name replaces the named request's.
func mergeCaptures(base, over []Capture) []Capture {
	out := slices.DeleteFunc(slices.Clone(base), func(c Capture) bool {
		return slices.ContainsFunc(over, func(o Capture) bool { return o.Name == c.Name })
	})
	return append(out, over...)
}
