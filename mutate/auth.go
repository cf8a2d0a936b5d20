package mutate

import (
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/flowrun/flowrun/flows"
)

// credential is one credential the spec's auth attaches: a header, or a
// query parameter.
type credential struct {
	name  string
	query bool
	// recipe, if known, makes the credential from a value a login or
	// refresh answer issued.
	recipe *recipe
}

// recipe is how a credential's value is made from one issued value, as
// in "Bearer {{token}}": prefix, the value, suffix. source is where the
// answer holds the value (see sourceKey).
type recipe struct {
	prefix, suffix, source string
}

// credentials returns what the spec's auth attaches, in its order.
func credentials(spec *flows.Spec) []credential {
	sources := captureSources(spec)
	var out []credential
	add := func(ps []flows.Pair, query bool) {
		for _, p := range ps {
			if p.Remove {
				continue
			}
			c := credential{name: p.Name, query: query}
			if m := oneValue.FindStringSubmatch(p.Value); m != nil && sources[m[2]] != "" {
				c.recipe = &recipe{prefix: m[1], suffix: m[3], source: sources[m[2]]}
			}
			out = append(out, c)
		}
	}
	add(spec.Auth.Headers, false)
	add(spec.Auth.Query, true)
	return out
}

// oneValue matches a template that uses one value: prefix {{name}} suffix.
var oneValue = regexp.MustCompile(`^([^{}]*)\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}([^{}]*)$`)

// plainPath matches a gjson path of keys alone, such as credentials.token.
var plainPath = regexp.MustCompile(`^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$`)

// captureSources maps the names that logins and refreshes capture to
// where their answers hold them, as sourceKey writes it; a capture whose
// source is not a plain path, header or cookie is left out.
func captureSources(spec *flows.Spec) map[string]string {
	out := map[string]string{}
	add := func(r *flows.Request) {
		for _, c := range r.Capture {
			if _, done := out[c.Name]; done {
				continue
			}
			switch {
			case strings.HasPrefix(c.Source, "header:"):
				out[c.Name] = sourceKey(nil, http.CanonicalHeaderKey(strings.TrimSpace(strings.TrimPrefix(c.Source, "header:"))), "")
			case strings.HasPrefix(c.Source, "cookie:"):
				out[c.Name] = sourceKey(nil, "", strings.TrimSpace(strings.TrimPrefix(c.Source, "cookie:")))
			case plainPath.MatchString(c.Source):
				out[c.Name] = c.Source
			}
		}
	}
	for _, f := range spec.Flows {
		for _, st := range f.Steps {
			if snd, ok := st.Action.(flows.Sender); ok && (snd.Kind() == "login" || snd.Kind() == "refresh") {
				add(snd.Req())
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(spec.Requests)) {
		add(spec.Requests[name])
	}
	return out
}

// sourceKey names where an answer holds a value: a JSON path as gjson
// writes it, "header:Name" or "cookie:name".
func sourceKey(p jsonPath, header, cookie string) string {
	switch {
	case header != "":
		return "header:" + header
	case cookie != "":
		return "cookie:" + cookie
	}
	return p.String()
}
