package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/flowrun/flowrun/examples/sandbox"
)

const recipesDoc = "../../docs/auth-recipes.md"

// recipe is one runnable YAML block of the recipes page.
type recipe struct {
	name string
	line int // of the opening fence
	yaml string
}

var recipeMarker = regexp.MustCompile(`^<!-- recipe: ([a-z0-9-]+) -->$`)

// parseRecipes returns every ```yaml block of doc, each named by the
// `<!-- recipe: NAME -->` on the last non-blank line before it. A YAML
// block without a name, a name without a block, or a name used twice is an
// error: a recipe the test does not run must not be on the page.
func parseRecipes(doc string) ([]recipe, error) {
	var (
		out     []recipe
		errs    []string
		pending string // the name of the last marker, until a block or text
		pendAt  int
		cur     *recipe
	)
	for i, line := range strings.Split(doc, "\n") {
		n := i + 1
		switch {
		case cur != nil && strings.TrimSpace(line) == "```":
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			cur.yaml += line + "\n"
		case strings.HasPrefix(strings.ToLower(strings.TrimSpace(line)), "```y"):
			if pending == "" {
				errs = append(errs, fmt.Sprintf("line %d: a YAML block without a <!-- recipe: NAME --> line before it", n))
			}
			cur, pending = &recipe{name: pending, line: n}, ""
		case recipeMarker.MatchString(line):
			pending, pendAt = recipeMarker.FindStringSubmatch(line)[1], n
		case pending != "" && strings.TrimSpace(line) != "":
			errs = append(errs, fmt.Sprintf("line %d: recipe %q is not followed by a YAML block", pendAt, pending))
			pending = ""
		}
	}
	if cur != nil {
		errs = append(errs, fmt.Sprintf("line %d: the YAML block of recipe %q is not closed", cur.line, cur.name))
	}
	seen := map[string]bool{}
	for _, r := range out {
		if r.name != "" && seen[r.name] {
			errs = append(errs, fmt.Sprintf("line %d: recipe %q is named twice", r.line, r.name))
		}
		seen[r.name] = true
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return out, nil
}

// recipeTarget is the test API a recipe runs against, and how to break it
// so that the recipe must fail.
type recipeTarget struct {
	api    string                          // a name of testAPIs
	broken func(http.Handler) http.Handler // nil: refuseNothing
}

// recipeTargets names the target of every recipe of the page.
func recipeTargets() map[string]recipeTarget {
	return map[string]recipeTarget{
		"bearer-refresh":            {api: "openloyalty"},
		"custom-header":             {api: "amplifi"},
		"raw-token-plus-ids":        {api: "mic"},
		"query-token":               {api: "query-token"},
		"cookie-session":            {api: "cookie-session"},
		"oauth2-password-refresh":   {api: "oauth2"},
		"oauth2-client-credentials": {api: "oauth2"},
		"basic-auth":                {api: "httpbin"},
		"static-bearer":             {api: "httpbin"},
		"api-key-header":            {api: "httpbin", broken: dropHeader("X-Api-Key")},
	}
}

// dropHeader breaks h: it never sees the request header name.
func dropHeader(name string) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.Header.Del(name)
			h.ServeHTTP(w, r)
		})
	}
}

// TestAuthRecipesRun runs every recipe of docs/auth-recipes.md: it must
// validate, pass against its API (a recipe on an embedded simulator finds
// it by itself), and fail against that API broken.
func TestAuthRecipesRun(t *testing.T) {
	doc, err := os.ReadFile(recipesDoc)
	if err != nil {
		t.Fatal(err)
	}
	recipes, err := parseRecipes(string(doc))
	if err != nil {
		t.Fatalf("%s:\n%v", recipesDoc, err)
	}
	targets, apis := recipeTargets(), testAPIs()
	var names []string
	for _, r := range recipes {
		names = append(names, r.name)
	}
	for name := range targets {
		if !slices.Contains(names, name) {
			t.Errorf("recipeTargets names %q, which %s does not have", name, recipesDoc)
		}
	}
	for _, r := range recipes {
		t.Run(r.name, func(t *testing.T) {
			tg, ok := targets[r.name]
			if !ok {
				t.Fatalf("%s:%d: recipe %q has no entry in recipeTargets, so nothing would run it", recipesDoc, r.line, r.name)
			}
			spec := filepath.Join(t.TempDir(), r.name+".yaml")
			if err := os.WriteFile(spec, []byte(r.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			at := fmt.Sprintf("%s:%d: recipe %s (its line N is line %d+N of the page)", recipesDoc, r.line, r.name, r.line)
			if code, _, stderr := cli(t, t.Context(), nil, "validate", spec); code != exitPassed {
				t.Fatalf("%s: validate: exit code %d, want 0:\n%s", at, code, stderr)
			}
			var vars map[string]string
			if !slices.Contains(sandbox.Names(), tg.api) {
				vars = map[string]string{"API_BASE_URL": serve(t, apis[tg.api]())}
			}
			if code, stdout, stderr := cli(t, t.Context(), vars, "run", spec); code != exitPassed {
				t.Fatalf("%s: against %s: exit code %d, want 0:\n%s%s", at, tg.api, code, stdout, stderr)
			}
			broken := tg.broken
			if broken == nil {
				broken = refuseNothing
			}
			vars = map[string]string{"API_BASE_URL": serve(t, broken(apis[tg.api]()))}
			if code, stdout, stderr := cli(t, t.Context(), vars, "run", spec); code != exitFailed {
				t.Errorf("%s: against a broken %s: exit code %d, want %d (the recipe checks nothing it breaks):\n%s%s",
					at, tg.api, code, exitFailed, stdout, stderr)
			}
		})
	}
}

func TestParseRecipes(t *testing.T) {
	for _, tc := range []struct {
		name, doc, want string
	}{
		{"named", "<!-- recipe: a -->\n```yaml\nx: 1\n```\n", ""},
		{"blank line between", "<!-- recipe: a -->\n\n```yaml\nx: 1\n```\n", ""},
		{"unnamed block", "text\n```yaml\nx: 1\n```\n", "line 2: a YAML block without a <!-- recipe: NAME --> line before it"},
		{"name without block", "<!-- recipe: a -->\ntext\n", `line 1: recipe "a" is not followed by a YAML block`},
		{"twice", "<!-- recipe: a -->\n```yaml\n```\n<!-- recipe: a -->\n```yml\n```\n", `line 5: recipe "a" is named twice`},
		{"unclosed", "<!-- recipe: a -->\n```yaml\nx: 1\n", `line 2: the YAML block of recipe "a" is not closed`},
		{"other blocks are not recipes", "```sh\nflowrun init\n```\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseRecipes(tc.doc)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Errorf("got error %q, want %q", got, tc.want)
			}
		})
	}
}
