package flows_test

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/flowrun/flowrun/flows"
)

var update = flag.Bool("update", false, "rewrite the generated schema and reference tables")

// blockRE finds a generated table in the reference doc:
// <!-- grammar: OBJECT[: key, key] --> ... <!-- /grammar -->.
var blockRE = regexp.MustCompile(`(?s)<!-- grammar: ([^:>]+?)(?:: ([^>]+?))? -->\n.*?<!-- /grammar -->`)

// TestReferenceDocFollowsGrammar keeps docs/spec-reference.md's key tables
// equal to the grammar, and every key of the grammar in one of them.
func TestReferenceDocFollowsGrammar(t *testing.T) {
	const path = "../docs/spec-reference.md"
	g := flows.NewGrammar()
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	covered := map[string]map[string]bool{}
	got := blockRE.ReplaceAllStringFunc(string(doc), func(m string) string {
		sub := blockRE.FindStringSubmatch(m)
		o, ok := g.Objects[sub[1]]
		if !ok {
			t.Errorf("%s: no grammar object %q", path, sub[1])
			return m
		}
		var only []string
		if sub[2] != "" {
			only = strings.Split(sub[2], ", ")
		}
		if covered[o.Name] == nil {
			covered[o.Name] = map[string]bool{}
		}
		for _, k := range o.Names() {
			if len(only) == 0 || slices.Contains(only, k) {
				covered[o.Name][k] = true
			}
		}
		head, _, _ := strings.Cut(m, "\n")
		return head + "\n" + g.Markdown(o, only...) + "<!-- /grammar -->"
	})
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	} else if got != string(doc) {
		t.Errorf("%s: the key tables differ from the grammar (go test ./flows -update rewrites them)", path)
	}
	// A kind's keys shared with call are in call's table; a named request's
	// are in some kind's.
	anyKind := func(k string) bool {
		for _, kind := range g.Kinds {
			if covered[kind.Name][k] {
				return true
			}
		}
		return false
	}
	for name, o := range g.Objects {
		for _, k := range o.Names() {
			shared := strings.HasPrefix(name, "step ") && covered["call"][k] || name == "named request" && anyKind(k)
			if !covered[o.Name][k] && !shared {
				t.Errorf("%s: key %q of %s is in no table; add <!-- grammar: %s --> where it belongs", path, k, name, name)
			}
		}
	}
}

// TestSchemaFile keeps the committed schema equal to `flowrun schema`.
func TestSchemaFile(t *testing.T) {
	const path = "../docs/spec.schema.json"
	want, err := flows.NewGrammar().JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	want = append(want, '\n')
	if *update {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if got, _ := os.ReadFile(path); string(got) != string(want) {
		t.Errorf("%s differs from the grammar's schema (go test ./flows -update rewrites it)", path)
	}
}

func specSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	b, err := flows.NewGrammar().JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(flows.SchemaID, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(flows.SchemaID)
	if err != nil {
		t.Fatalf("the schema does not compile: %v", err)
	}
	return s
}

// yamlDoc reads a YAML file as the JSON value a schema checks.
func yamlDoc(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// TestSpecsMatchSchema validates every spec of the repo against the
// schema, and checks each names it for editors.
func TestSpecsMatchSchema(t *testing.T) {
	s := specSchema(t)
	var files []string
	for _, dir := range []string{"../specs", "../examples"} {
		filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
			if err == nil && !e.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) && !strings.Contains(p, "testdata") {
				files = append(files, p)
			}
			return nil
		})
	}
	if len(files) < 4 {
		t.Fatalf("found only %v", files)
	}
	// Files that specs include are parts of specs, not specs.
	included := map[string]bool{}
	for _, f := range files {
		if s, _ := flows.LoadWith(f, flows.Options{Lenient: true}); s != nil {
			for _, d := range s.Deps {
				included[filepath.Clean(d)] = true
			}
		}
	}
	for _, f := range files {
		if included[filepath.Clean(f)] {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(data), "# yaml-language-server: $schema=") {
			t.Errorf("%s does not start with # yaml-language-server: $schema=...", f)
		}
		if err := s.Validate(yamlDoc(t, data)); err != nil {
			t.Errorf("%s does not match the schema: %v", f, err)
		}
	}
}

func TestSchemaRefusesWhatTheLoaderRefuses(t *testing.T) {
	s := specSchema(t)
	for _, tc := range []struct{ name, src string }{
		{"misspelt top-level key", "provider: x\nbase_url: http://h\nflowz: []\n"},
		{"misspelt request key", "provider: x\nbase_url: http://h\nflows: [{name: a, steps: [{call: {pth: /x}}]}]\n"},
		{"unknown step kind", "provider: x\nbase_url: http://h\nflows: [{name: a, steps: [{logn: {}}]}]\n"},
		{"two kinds in one step", "provider: x\nbase_url: http://h\nflows: [{name: a, steps: [{login: {}, call: {}}]}]\n"},
		{"missing flows", "provider: x\nbase_url: http://h\n"},
		{"bad status", "provider: x\nbase_url: http://h\nflows: [{name: a, steps: [{call: {path: /, expect: {status: 99}}}]}]\n"},
		{"bad duration", "provider: x\nbase_url: http://h\ntimeout: soon\nflows: [{name: a, steps: [{wait: 1s}]}]\n"},
		{"unknown method", "provider: x\nbase_url: http://h\nflows: [{name: a, steps: [{request: {method: FETCH, path: /}}]}]\n"},
	} {
		if err := s.Validate(yamlDoc(t, []byte(tc.src))); err == nil {
			t.Errorf("%s: the schema accepts it", tc.name)
		}
		if _, err := flows.Parse("x.yaml", []byte(tc.src), func(string) (string, bool) { return "", false }); err == nil {
			t.Errorf("%s: the loader accepts it", tc.name)
		}
	}
}

func TestGrammarKindsAreTheDecoderKinds(t *testing.T) {
	if got, want := flows.NewGrammar().KindNames(), flows.KindNames(); !slices.Equal(got, want) {
		t.Errorf("grammar kinds %v, decoder kinds %v", got, want)
	}
}
