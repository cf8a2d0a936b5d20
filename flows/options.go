package flows

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Options tune how a spec is loaded.
type Options struct {
	// Getenv looks up the process environment: os.LookupEnv in the CLI.
	Getenv func(string) (string, bool)
	// Vars are set on the command line (--var NAME=value). Each replaces
	// the spec variable of that name and is what ${NAME} reads: they win
	// over everything else.
	Vars map[string]string
	// EnvFile holds the values of the env files given on the command
	// line (--env-file), later files winning: after Vars, before the
	// spec's own env files and the process environment.
	EnvFile map[string]string
	// Env names the spec environment to use (--env); empty uses none.
	Env string
	// Lenient records ${NAME} references to unset variables in
	// Spec.Unset instead of reporting them: `validate` checks a spec
	// without the run's environment.
	Lenient bool
	// Limits bound the files read and the values decoded; unset fields
	// take their defaults.
	Limits Limits
}

// Unset is a ${NAME} reference to a variable that is not set, with no default.
type Unset struct {
	Name string
	Pos  Pos
}

// errUnset is expandEnv's answer for an unset variable without a default.
type errUnset struct{ name string }

func (e errUnset) Error() string { return "environment variable " + e.name + " is not set" }

// LoadWith reads and checks the spec file at path, as Load does, with options.
func LoadWith(path string, o Options) (*Spec, error) {
	data, err := readRegular(path, "a spec file", "spec-file", o.Limits.Resolved().SpecFile)
	if err != nil {
		return nil, err
	}
	return ParseWith(path, data, o)
}

// lookup is where ${NAME} finds its value, in order: --var, --env-file,
// the spec's env files (its environment's first), the process.
func (o Options) lookup(specEnv []map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		if v, ok := o.Vars[name]; ok {
			return v, true
		}
		if v, ok := o.EnvFile[name]; ok {
			return v, true
		}
		for _, m := range specEnv {
			if v, ok := m[name]; ok {
				return v, true
			}
		}
		if o.Getenv == nil {
			return "", false
		}
		return o.Getenv(name)
	}
}

// specEnvFiles reads the env files a spec names, before anything else of
// it is decoded: its environment's, then its own. Their values are what
// ${NAME} reads in the rest of the spec.
func (d *decoder) specEnvFiles(root *yaml.Node, env string) []map[string]string {
	var out []map[string]string
	read := func(n *yaml.Node, what string) {
		for _, name := range d.strList(n, what) {
			path := name
			if !filepath.IsAbs(path) {
				path = filepath.Join(filepath.Dir(d.file), name)
			}
			m, err := ReadEnvFile(path)
			var fe *Error
			switch {
			case errors.As(err, &fe):
				d.errs = append(d.errs, err)
			case errors.Is(err, os.ErrNotExist):
				d.errorf(n, "%s: %s does not exist; create it (NAME=value lines) or remove it from %s", what, path, what)
			case err != nil:
				d.errorf(n, "%s: %v", what, err)
			}
			d.deps = append(d.deps, path)
			out = append(out, m)
		}
	}
	if envs := mapValue(root, "environments"); envs != nil && env != "" {
		if e := mapValue(envs, env); e != nil {
			if f := mapValue(e, "env_file"); f != nil {
				read(f, "environments: "+env+": env_file")
			}
		}
	}
	if f := mapValue(root, "env_file"); f != nil {
		read(f, "env_file")
	}
	return out
}

// mapValue returns the value of key in mapping n, or nil.
func mapValue(n *yaml.Node, key string) *yaml.Node {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return resolve(n.Content[i+1])
		}
	}
	return nil
}

// reportUnset turns the unset variables met while decoding into one
// problem each, at its first use, or notes them in the spec (Lenient).
func (d *decoder) reportUnset(s *Spec, lenient bool) {
	names := slices.SortedFunc(maps.Keys(d.unset), func(a, b string) int {
		pa, pb := d.unset[a][0], d.unset[b][0]
		return cmp.Or(cmp.Compare(pa.File, pb.File), cmp.Compare(pa.Line, pb.Line), cmp.Compare(pa.Col, pb.Col))
	})
	for _, name := range names {
		at := d.unset[name]
		if lenient {
			s.Unset = append(s.Unset, Unset{Name: name, Pos: at[0]})
			continue
		}
		also := ""
		if len(at) > 1 {
			var lines []string
			for _, p := range at[1:] {
				lines = append(lines, fmt.Sprint(p.Line))
			}
			also = " (also used at line " + strings.Join(slices.Compact(lines), ", ") + ")"
		}
		d.errs = append(d.errs, Errorf(at[0], "environment variable %s is not set; set it, put it in an env file (--env-file), pass --var %s=..., or give a default: ${%s:-value}%s",
			name, name, name, also))
	}
}
