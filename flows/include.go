package flows

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"

	"gopkg.in/yaml.v3"
)

// maxIncludeDepth bounds includes of includes.
const maxIncludeDepth = 8

// include reads the files a spec or fragment includes and lays their
// parts under what s defines itself: s's own vars, headers, auth pairs,
// named requests and servers win; secrets add up.
func (d *decoder) include(s *Spec, n *yaml.Node, what string) {
	for _, name := range d.strList(n, what) {
		path := name
		if !filepath.IsAbs(path) {
			path = filepath.Join(filepath.Dir(d.file), name)
		}
		if slices.Contains(d.included, path) {
			d.errorf(n, "%s: %s includes itself through %v; remove one of the includes", what, path, d.included)
			continue
		}
		if len(d.included) > maxIncludeDepth {
			d.errorf(n, "%s: includes nest more than %d deep", what, maxIncludeDepth)
			return
		}
		f := d.fragment(n, path, what)
		if f == nil {
			continue
		}
		d.deps = append(d.deps, path)
		s.Vars = append(slices.DeleteFunc(f.Vars, func(p Pair) bool {
			return slices.ContainsFunc(s.Vars, func(q Pair) bool { return q.Name == p.Name })
		}), s.Vars...)
		s.Secrets = append(s.Secrets, f.Secrets...)
		s.SecretFields = append(s.SecretFields, f.SecretFields...)
		s.Headers = mergePairs(f.Headers, s.Headers)
		s.Auth.Headers = mergePairs(f.Auth.Headers, s.Auth.Headers)
		s.Auth.Query = mergePairs(f.Auth.Query, s.Auth.Query)
		if s.Timeout == 0 {
			s.Timeout = f.Timeout
		}
		for k, r := range f.Requests {
			if _, own := s.Requests[k]; !own {
				s.Requests[k] = r
			}
		}
		for k, sv := range f.Servers {
			if s.Servers == nil {
				s.Servers = map[string]*Server{}
			}
			if _, own := s.Servers[k]; !own {
				s.Servers[k] = sv
			}
		}
	}
}

// fragment decodes an included file: a spec's shared parts, with the
// file's own places in every problem.
func (d *decoder) fragment(n *yaml.Node, path, what string) *Spec {
	data, err := readRegular(path, "an included file", "spec-file", d.lim.SpecFile)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			d.errorf(n, "%s: %s does not exist", what, path)
		} else {
			d.errorf(n, "%s: %v", what, err)
		}
		return nil
	}
	if err := checkUTF8(path, data); err != nil {
		d.errs = append(d.errs, err)
		return nil
	}
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil || len(doc.Content) == 0 {
		if err == nil {
			d.errorf(n, "%s: %s is empty", what, path)
		} else {
			d.errs = append(d.errs, syntaxError(path, data, err))
		}
		return nil
	}
	if err := checkAliases(path, &doc, d.lim); err != nil {
		d.errs = append(d.errs, err)
		return nil
	}
	if err := notASpec(path, doc.Content[0], d.g.Objects["fragment"], "a file a spec can include"); err != nil {
		d.errs = append(d.errs, err)
		return nil
	}
	sub := &decoder{file: path, getenv: d.getenv, g: d.g, lim: d.lim, unset: d.unset, included: append(slices.Clip(d.included), path)}
	f := &Spec{File: path, Requests: map[string]*Request{}}
	var includes *yaml.Node
	root := doc.Content[0]
	sub.object(root, "included file", d.g.Objects["fragment"], func(key string, _, v *yaml.Node) {
		if key == "include" {
			includes = v
			return
		}
		sub.shared(f, key, v)
	})
	if includes != nil {
		sub.include(f, includes, "include")
	}
	d.errs = append(d.errs, sub.errs...)
	d.deps = append(d.deps, sub.deps...)
	return f
}
