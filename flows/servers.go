package flows

import (
	"fmt"
	"maps"
	"slices"

	"gopkg.in/yaml.v3"
)

// servers decodes `servers: {NAME: URL or {url, sandbox}}`.
func (d *decoder) servers(n *yaml.Node, what string) map[string]*Server {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		d.errorf(n, "%s: want a mapping of server names to URLs or {url, sandbox}, got %s", what, kindName(n))
		return nil
	}
	out := map[string]*Server{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolve(n.Content[i+1])
		at := fmt.Sprintf("%s: %s", what, k.Value)
		sv := &Server{Pos: d.pos(k), Name: k.Value}
		if !validIdent(sv.Name) {
			d.errorf(k, "%s: %q cannot name a server; use letters, digits and _", what, sv.Name)
		}
		if v.Kind == yaml.ScalarNode {
			sv.URL, sv.URLEnv = d.str(v, at), envRefs(v.Value)
		} else {
			d.object(v, at, d.g.Objects["server"], func(key string, _, fv *yaml.Node) {
				switch key {
				case "url":
					sv.URL, sv.URLEnv = d.str(fv, at+": url"), envRefs(fv.Value)
				case "sandbox":
					sv.Sandbox = d.sandbox(fv)
				}
			})
		}
		out[sv.Name] = sv
	}
	return out
}

func envRefs(s string) []string {
	var out []string
	for _, m := range envRef.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	return out
}

// environments decodes `environments: {NAME: {base_url, vars, servers, env_file}}`.
func (d *decoder) environments(n *yaml.Node) map[string]*Environment {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		d.errorf(n, "environments: want a mapping of environment names to settings, got %s", kindName(n))
		return nil
	}
	out := map[string]*Environment{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		at := "environments: " + k.Value
		e := &Environment{Pos: d.pos(k), Name: k.Value}
		all := d.unset
		if e.Name != d.env {
			// Its variables are only needed when it is chosen.
			d.unset = map[string][]Pos{}
		}
		d.object(v, at, d.g.Objects["environment"], func(key string, _, fv *yaml.Node) {
			switch key {
			case "base_url":
				u := d.str(fv, at+": base_url")
				e.BaseURL = &u
			case "vars":
				e.Vars = d.pairs(fv, at+": vars")
			case "servers":
				e.Servers = d.servers(fv, at+": servers")
			case "env_file":
				d.strList(fv, at+": env_file") // read before the rest: see specEnvFiles
			}
		})
		d.unset = all
		out[e.Name] = e
	}
	return out
}

// applyEnvironment lays the chosen environment over the spec.
func (d *decoder) applyEnvironment(s *Spec, name string) {
	if name == "" {
		return
	}
	e, ok := s.Environments[name]
	if !ok {
		known := keys(s.Environments)
		list := "the spec has none; add environments: {" + name + ": {base_url: ...}}"
		if len(known) > 0 {
			list = "known: " + fmt.Sprint(known)
		}
		d.errs = append(d.errs, Errorf(s.Pos, "--env %s: no environment named %q%s; %s", name, name, didYouMean(name, known), list))
		return
	}
	s.Env = name
	if e.BaseURL != nil {
		s.BaseURL = *e.BaseURL
	}
	s.Vars = mergePairs(s.Vars, e.Vars)
	if s.Servers == nil && len(e.Servers) > 0 {
		s.Servers = map[string]*Server{}
	}
	for k, sv := range e.Servers {
		s.Servers[k] = sv
	}
}

// applyVars sets the spec variables given on the command line.
func (d *decoder) applyVars(s *Spec, vars map[string]string) {
	for _, name := range slices.Sorted(maps.Keys(vars)) {
		if i := slices.IndexFunc(s.Vars, func(p Pair) bool { return p.Name == name }); i >= 0 {
			s.Vars[i].Value, s.Vars[i].Remove = vars[name], false
		}
	}
}
