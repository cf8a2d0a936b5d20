package flows

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Load reads and checks the spec file at path. getenv looks up the
// environment for ${NAME} references (os.LookupEnv in the CLI). The error
// lists every problem found, each as *Error with its place. With an error,
// a non-nil spec holds what could be decoded: enough to look for more
// problems (runner.Compile), never to run.
func Load(path string, getenv func(string) (string, bool)) (*Spec, error) {
	return LoadWith(path, Options{Getenv: getenv})
}

// Parse checks and decodes a spec from data; file names it in errors.
func Parse(file string, data []byte, getenv func(string) (string, bool)) (*Spec, error) {
	return ParseWith(file, data, Options{Getenv: getenv})
}

// ParseWith checks and decodes a spec from data, as Parse does, with options.
func ParseWith(file string, data []byte, o Options) (*Spec, error) {
	lim := o.Limits.Resolved()
	if err := checkUTF8(file, data); err != nil {
		return nil, err
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, Errorf(Pos{File: file, Line: 1, Col: 1}, "the file is empty; a spec needs provider and flows")
		}
		return nil, syntaxError(file, data, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, Errorf(posOf(file, &extra), "a spec file holds one YAML document; split the others into files of their own")
	}
	if err := checkAliases(file, &doc, lim); err != nil {
		return nil, err
	}
	d := &decoder{file: file, g: NewGrammar(), lim: lim, unset: map[string][]Pos{}, included: []string{file}, env: o.Env}
	if err := notASpec(file, doc.Content[0], d.g.Spec, "a flowrun spec"); err != nil {
		return nil, err
	}
	d.getenv = o.lookup(d.specEnvFiles(doc.Content[0], o.Env))
	s := d.decodeSpec(doc.Content[0])
	d.applyEnvironment(s, o.Env)
	d.applyVars(s, o.Vars)
	d.reportUnset(s, o.Lenient)
	d.link(s)
	s.Deps = d.deps
	return s, JoinErrors(d.errs)
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)`)

func (d *decoder) decodeSpec(n *yaml.Node) *Spec {
	s := &Spec{File: d.file, Pos: d.pos(n), Requests: map[string]*Request{}}
	var includes *yaml.Node
	d.object(n, "spec", d.g.Spec, func(key string, k, v *yaml.Node) {
		switch key {
		case "provider":
			s.Provider = d.str(v, "provider")
		case "description":
			s.Description = d.str(v, "description")
		case "base_url":
			s.BaseURL = d.str(v, "base_url")
			for _, m := range envRef.FindAllStringSubmatch(v.Value, -1) {
				s.BaseURLEnv = append(s.BaseURLEnv, m[1])
			}
		case "sandbox":
			s.Sandbox = d.sandbox(v)
		case "flows":
			s.Flows = d.flows(v)
		case "environments":
			s.Environments = d.environments(v)
		case "env_file":
			d.strList(v, "env_file") // read before the rest: see specEnvFiles
		case "include":
			includes = v
		case "probe":
			s.Probe = d.probes(v, "probe")
		case "reauth":
			s.Reauth = d.reauth(v, "reauth")
		case "retry_on":
			s.RetryOn = d.retryOn(v, "retry_on")
		case "serial":
			s.Serial = d.boolean(v, "serial")
		case "oauth2":
			s.OAuth2 = d.oauth2(v)
		case "conformance":
			s.Conformance = d.conformance(v, "conformance")
		case "tls":
			s.TLS = d.tls(v)
		default:
			d.shared(s, key, v)
		}
	})
	if includes != nil {
		d.include(s, includes, "include")
	}
	return s
}

// shared decodes the keys a spec and an included file both take.
func (d *decoder) shared(s *Spec, key string, v *yaml.Node) {
	switch key {
	case "headers":
		s.Headers = d.pairs(v, "headers")
	case "vars":
		s.Vars = d.pairs(v, "vars")
		for _, p := range s.Vars {
			if !validIdent(p.Name) || reserved(p.Name) {
				d.errs = append(d.errs, Errorf(p.Pos, "vars: %q cannot be a variable name; use letters, digits and _, and none of %v", p.Name, reservedNames))
			}
		}
	case "secrets":
		s.Secrets, s.SecretFields = d.secrets(v, "secrets")
	case "auth":
		s.Auth = d.auth(v)
	case "timeout":
		s.Timeout = d.duration(v, "timeout")
	case "requests":
		d.requests(v, s)
	case "servers":
		s.Servers = d.servers(v, "servers")
	}
}

func (d *decoder) sandbox(n *yaml.Node) *Sandbox {
	sb := &Sandbox{Pos: d.pos(n)}
	if n.Kind == yaml.ScalarNode {
		sb.Provider = d.str(n, "sandbox")
		return sb
	}
	d.object(n, "sandbox", d.g.Objects["sandbox"], func(key string, _, v *yaml.Node) {
		switch key {
		case "provider":
			sb.Provider = d.str(v, "sandbox: provider")
		case "token_lifetime":
			sb.TokenLifetime = d.duration(v, "sandbox: token_lifetime")
		case "refresh_lifetime":
			sb.RefreshLifetime = d.duration(v, "sandbox: refresh_lifetime")
		}
	})
	return sb
}

func (d *decoder) auth(n *yaml.Node) Auth {
	a := Auth{Pos: d.pos(n)}
	d.object(n, "auth", d.g.Objects["auth"], func(key string, _, v *yaml.Node) {
		switch key {
		case "headers":
			a.Headers = d.pairs(v, "auth: headers")
		case "query":
			a.Query = d.pairs(v, "auth: query")
		case "refused":
			a.Refused = d.statuses(v, "auth: refused")
		case "basic":
			b := &BasicAuth{Pos: d.pos(v)}
			seen := map[string]bool{}
			d.object(v, "auth: basic", d.g.Objects["basic auth"], func(key string, _, v *yaml.Node) {
				seen[key] = true
				t := Text{S: d.str(v, "auth: basic: "+key), Pos: d.pos(v)}
				if key == "user" {
					b.User = t
				} else {
					b.Password = t
				}
			})
			if seen["user"] && seen["password"] {
				a.Basic = b
			}
		case "expired":
			a.Expired.Pos = d.pos(v)
			d.object(v, "auth: expired", d.g.Objects["expired probe"], func(key string, _, v *yaml.Node) {
				switch key {
				case "hmac":
					a.Expired.HMAC = d.str(v, "auth: expired: hmac")
				case "wait":
					a.Expired.Wait = d.duration(v, "auth: expired: wait")
				}
			})
		}
	})
	if a.Basic != nil {
		if slices.ContainsFunc(a.Headers, func(p Pair) bool { return strings.EqualFold(p.Name, "Authorization") }) {
			d.errorf(n, "auth: give basic: or an Authorization header, not both")
		}
		a.Headers = append([]Pair{basicAuthHeader(a.Basic.User, a.Basic.Password)}, a.Headers...)
	}
	return a
}

func (d *decoder) requests(n *yaml.Node, s *Spec) {
	if n.Kind != yaml.MappingNode {
		d.errorf(n, "requests: want a mapping of request names to requests, got %s", kindName(n))
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		name := n.Content[i].Value
		r := d.decodeRequest(n.Content[i+1], fmt.Sprintf("request %q", name), d.g.Objects["named request"], nil)
		if r.Use != "" {
			d.errs = append(d.errs, Errorf(r.UsePos, "request %q: a named request cannot use another; write its fields out", name))
		}
		s.Requests[name] = r
	}
}

// texts decodes a template or a list of them, each with its place.
func (d *decoder) texts(n *yaml.Node, what string) []Text {
	n = resolve(n)
	items := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		items = n.Content
	}
	out := make([]Text, 0, len(items))
	for _, c := range items {
		if t := d.str(c, what); t != "" {
			out = append(out, Text{S: t, Pos: d.pos(c)})
		} else {
			d.errorf(c, "%s: an empty name; write the principal, such as alice or \"{{username}}\"", what)
		}
	}
	return out
}

// reauth decodes a re-login policy: on-401 or never.
func (d *decoder) reauth(n *yaml.Node, what string) bool {
	m := d.str(n, what)
	if m != "on-401" && m != "never" {
		d.errorf(n, "%s: %q is not a policy%s; write on-401 (log in again and retry a call answered 401) or never", what, m, didYouMean(m, []string{"on-401", "never"}))
	}
	return m == "on-401"
}

func (d *decoder) flows(n *yaml.Node) []*Flow {
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "flows: want a list of flows, got %s", kindName(n))
		return nil
	}
	var out []*Flow
	names := map[string]Pos{}
	for i, c := range n.Content {
		f := &Flow{Pos: d.pos(c)}
		what := fmt.Sprintf("flow %d", i+1)
		d.object(c, what, d.g.Objects["flow"], func(key string, _, v *yaml.Node) {
			switch key {
			case "name":
				f.Name = d.str(v, what+": name")
				what = fmt.Sprintf("flow %q", f.Name)
			case "tags":
				f.Tags = d.strList(v, what+": tags")
			case "reauth":
				r := d.reauth(v, what+": reauth")
				f.Reauth = &r
			case "retry_on":
				f.RetryOn = d.retryOn(v, what+": retry_on")
			case "probe":
				p := d.probes(v, what+": probe")
				f.Probe = &p
			case "exclusive":
				f.Exclusive = d.texts(v, what+": exclusive")
			case "serial":
				f.Serial = d.boolean(v, what+": serial")
			case "steps":
				f.Steps = d.steps(v, what)
			case "rows":
				f.Rows = append(f.Rows, d.rows(v, what)...)
			case "rows_file":
				f.Rows = append(f.Rows, d.rowsFile(v, what)...)
			}
		})
		d.checkRows(f, what)
		if prev, dup := names[f.Name]; dup && f.Name != "" {
			d.errs = append(d.errs, Errorf(f.Pos, "%s: the name is taken by the flow at line %d; flow names must differ", what, prev.Line))
		}
		names[f.Name] = f.Pos
		out = append(out, f)
	}
	return out
}

func (d *decoder) steps(n *yaml.Node, what string) []*Step {
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		got := kindName(n)
		if n.Kind == yaml.SequenceNode {
			got = "an empty list"
		}
		d.errorf(n, "%s: steps: want a list of at least one step, got %s", what, got)
		return nil
	}
	var out []*Step
	for i, c := range n.Content {
		if s := d.decodeStep(c, fmt.Sprintf("%s: step %d", what, i+1)); s != nil {
			out = append(out, s)
		}
	}
	return out
}
