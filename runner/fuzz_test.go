package runner

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/file"

	"github.com/flowrun/flowrun/flows"
)

// The fuzz targets call the runner's own stages, as a step does: a
// template compiled in a scope and rendered in an env, an assertion
// compiled and checked against a response, a capture and json() read
// from a body, a result masked. Each checks what it cheaply can beyond
// not panicking, and that evaluation ends (evalLimit).

// evalLimit is how long one evaluation may take before a target fails:
// expr bounds memory, not time, so a program that loops is a finding.
const evalLimit = 5 * time.Second

// FuzzCompile compiles whatever the loader could decode, valid or not, as
// the CLI does to report every problem at once: it must never panic, and
// every problem it finds in a spec the loader accepted has a place.
func FuzzCompile(f *testing.F) {
	addSpecSeeds(f, "../specs", "../cmd/flowrun/testdata", "../cmd/flowrun/starters")
	for _, seed := range []string{
		"provider: a\nbase_url: http://x\nflows: [{name: f, tgs: [x], steps: [{request: {path: '/{{usr}}', expect: {assert: ['status ==']}}}]}]",
		"provider: a\nbase_url: http://x\nauth: {headers: {A: '{{t}}'}}\nrequests: {login: {path: /l}}\nflows: [{name: f, steps: [{login: {use: nope}}, {call: {}}]}]",
		"provider: a\nbase_url: http://x\nflows: [{name: f, rows: [{a: 1}, {b: 2}], steps: [{request: {json: {x: '{{a}}'}, headers: {H: null}}}]}]",
	} {
		f.Add(seed)
	}
	noEnv := func(string) (string, bool) { return "", false }
	f.Fuzz(func(t *testing.T, src string) {
		spec, perr := flows.Parse("fuzz.yaml", []byte(src), noEnv)
		if spec == nil {
			return
		}
		p, err := Compile(spec)
		if err == nil {
			if p == nil {
				t.Fatal("no plan and no error")
			}
			return
		}
		if perr == nil {
			mustBePlaced(t, err)
		}
	})
}

// mustBePlaced fails t unless every error joined in err is a *flows.Error with
// a file and a line.
func mustBePlaced(t *testing.T, err error) {
	t.Helper()
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	for _, e := range errs {
		var pe *flows.Error
		if !errors.As(e, &pe) {
			t.Fatalf("error without a place: %T %v", e, e)
		}
		if pe.Pos.File == "" || pe.Pos.Line < 1 {
			t.Fatalf("error at %+v: %v", pe.Pos, pe)
		}
	}
}

// addSpecSeeds adds every .yaml file under dirs to the corpus.
func addSpecSeeds(f *testing.F, dirs ...string) {
	f.Helper()
	for _, dir := range dirs {
		err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() || filepath.Ext(path) != ".yaml" {
				return err
			}
			data, err := os.ReadFile(path)
			if err == nil {
				f.Add(string(data))
			}
			return err
		})
		if err != nil {
			f.Fatalf("seeds: %v", err)
		}
	}
}

// FuzzTemplate compiles a string as a template in a scope with a variable
// of each kind (fuzzVars) and renders it. A string without {{ or }}
// compiles and renders to itself; a template that renders keeps its
// literal parts, in order, around what its expressions gave; an error
// quotes the template.
func FuzzTemplate(f *testing.F) {
	for _, seed := range []string{
		"plain", "", "/users/{{s}}", "{{n}}", "{{ f }}x{{i}}", "{{m}}", "{{ m.c.d }}-{{ l[2].three }}",
		"{{ tok }}", `{{ jwt(tok).sub }}`, "{{ unix() }}/{{ timestamp() }}", "Bearer {{tok}}", "{{", "}}", "{{ }}",
		"{{ nope }}", "{{ s + }}", "{{ upper(s) }} {{ len(l) }} {{ m.a * 2 }}", `{{ s == "alice" ? "yes" : nil }}`,
		"{{ {{ }} }}", "a}}b{{c", `{{ "}}" }}`, "{{ map(1..3, # * n) }}", "{{ empty }}", "{{ toJSON(m) }}",
	} {
		f.Add(seed)
	}
	confs := fuzzConfs()
	f.Fuzz(func(t *testing.T, src string) {
		tpl, err := compileTemplate(src, fuzzScope(confs, false))
		plain := !strings.Contains(src, "{{") && !strings.Contains(src, "}}")
		if err != nil {
			if plain {
				t.Fatalf("plain string %q: %v", src, err)
			}
			if quoted := fmt.Sprintf("template %q: ", src); !strings.HasPrefix(err.Error(), quoted) {
				t.Fatalf("error %q does not begin %q", err, quoted)
			}
			return
		}
		type rendered struct {
			out         string
			err, valErr error
			val         any
		}
		r := ends(t, "rendering "+src, func() rendered {
			env := fuzzEnv()
			out, err := tpl.render(env)
			val, valErr := tpl.value(env)
			return rendered{out: out, err: err, val: val, valErr: valErr}
		})
		if plain && (r.err != nil || r.out != src || r.valErr != nil || r.val != src) {
			t.Fatalf("plain string %q rendered %q, %v; value %#v, %v", src, r.out, r.err, r.val, r.valErr)
		}
		if r.err == nil && !keepsLiterals(tpl, r.out) {
			t.Fatalf("template %q rendered %q, which lacks its literal parts", src, r.out)
		}
	})
}

// keepsLiterals reports whether out holds t's literal parts, in order,
// with the first at its start and the last at its end.
func keepsLiterals(t *template, out string) bool {
	rest := out
	for i, p := range t.parts {
		if p.prog != nil {
			continue
		}
		switch {
		case i == 0:
			if !strings.HasPrefix(rest, p.lit) {
				return false
			}
			rest = rest[len(p.lit):]
		case i == len(t.parts)-1:
			return strings.HasSuffix(rest, p.lit)
		default:
			j := strings.Index(rest, p.lit)
			if j < 0 {
				return false
			}
			rest = rest[j+len(p.lit):]
		}
	}
	return true
}

// FuzzExpr compiles an assertion in a scope with a variable of each kind
// and the response, then checks it against a fixed response, and masks
// the check as a flow's result is. A compile error is placed in the
// expression; evaluation ends; a check passes with true, fails with
// false or errors; the response's token never shows in the masked check.
func FuzzExpr(f *testing.F) {
	for _, seed := range []string{
		"status == 200", "status == 201", `json("user.name") == s`, `json("items.#.id") == [1, 2]`,
		`body.user.tags[0] == "a"`, `header("X-Request-Id") startsWith "req-"`, `cookie("sid") != ""`,
		`json("token") == tok`, `jwt(json("token")).sub == "alice"`, `duration < duration("1s")`,
		`headers["Content-Type"] contains "json"`, `text matches "^\\{"`, `len(body.items) > n`, `m.a + i`,
		`s`, `json("nope")`, `json(n)`, `1 / 0 > 1`, `all(body.items, .id > 0)`, `l[5] == nil`, `$env.s == s`,
		`int(tok) == 1`, `body.nil == nil`, `json("n") in [1.5, 2]`, `now() > date("2020-01-01")`, `status ==`,
		`unknown == 1`, `"x" + tok == s`, `toBase64(tok) == ""`, `let x = tok; x + x == ""`,
	} {
		f.Add(seed)
	}
	confs := fuzzConfs()
	resp := fuzzResponse()
	f.Fuzz(func(t *testing.T, src string) {
		a, err := compileAssertion(src, fuzzScope(confs, true))
		if err != nil {
			// Placed in the expression, or about the whole of it: one
			// known not to be boolean.
			var fe *file.Error
			switch {
			case errors.As(err, &fe):
				if fe.Line < 1 || fe.Line > strings.Count(src, "\n")+1 {
					t.Fatalf("compile error at line %d of a %d-line expression: %v", fe.Line, strings.Count(src, "\n")+1, err)
				}
			case !strings.HasPrefix(err.Error(), "expected bool, but got "):
				t.Fatalf("compile error without a place in the expression: %T %v", err, err)
			}
			return
		}
		sr := ends(t, "checking "+src, func() StepResult {
			env := fuzzEnv()
			addResponse(env, resp, a.uses)
			sr := StepResult{Checks: []Check{a.check(env)}}
			fr := &flowRun{red: newRedactor(false, []byte("fuzz"))}
			fr.red.learnBody(resp.body, resp.header.Get("Content-Type"))
			fr.finish(&sr)
			return sr
		})
		c := sr.Checks[0]
		if c.Expr != src || c.Kind != CheckAssert {
			t.Fatalf("check of %q: %s %q", src, c.Kind, c.Expr)
		}
		switch {
		case c.Status == Passed && c.Actual.Text == "true":
		case c.Status == Failed && c.Actual.Text == "false":
		case c.Status == Errored:
		default:
			t.Fatalf("%q: %s with %s", src, c.Status, c.Actual.Text)
		}
		c.Expr = "" // the spec's own text, never masked
		if out, _ := json.Marshal(c); bytes.Contains(out, []byte(fuzzToken)) {
			t.Fatalf("%q: the token shows in the check: %s", src, out)
		}
	})
}

// FuzzCapture takes a value from any body by any path, as a step's
// capture does, and reads the same path with json() in an assertion, then
// learns the body's secrets and masks it, as a flow's result is. A
// captured value equals what json() reads; a body the runner takes for
// JSON parses to a value (nil only for null), any other to nothing; the
// masked excerpt keeps the body's size, stays within bodyKeep and is
// UTF-8 when the body is.
func FuzzCapture(f *testing.F) {
	for _, seed := range []struct{ body, ctype, path string }{
		{`{"credentials": {"token": "abc", "identityId": "eu-west-1:x"}}`, "application/json", "credentials.token"},
		{`{"items": [{"id": 1}, {"id": 2}]}`, "application/json", "items.#.id"},
		{`{"items": [{"id": 1, "n": "a b"}]}`, "application/json", `items.#(n=="a b").id`},
		{`[1, 2, 3]`, "application/json", "@reverse|0"},
		{`{"a": {"b": null}}`, "application/json", "a.b"},
		{`{"a": 1e999}`, "application/json", "a"},
		{"oauth_token=tok-123456&oauth_token_secret=sec-654321", "application/x-www-form-urlencoded", "oauth_token"},
		{"not json", "text/plain", "a"},
		{`{"a": "\u00e9\ud800"}`, "application/json; charset=utf-8", "a"},
		{`{"a.b": 1}`, "", `a\.b`},
		{"", "", "status"},
		{"", "", "header:Content-Type"},
		{"", "", "cookie:sid"},
	} {
		f.Add([]byte(seed.body), seed.ctype, seed.path)
	}
	confs := fuzzConfs()
	sc := fuzzScope(confs, true).with("path", "captured")
	same, err := compileAssertion(`json(path) == captured`, sc)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte, ctype, path string) {
		resp := &response{status: 200, header: http.Header{"Content-Type": {ctype}}, body: body}
		v, ok := capture(resp, path)
		if !special(path) {
			env := helpers(fuzzClock)
			env[varsKey] = map[string]any{"path": path, "captured": v}
			addResponse(env, resp, same.uses)
			if c := same.check(env); c.Status != Passed {
				t.Fatalf("capture %q gave %#v (found %v), json() another value: %s %s", path, v, ok, c.Status, c.Message)
			}
		}
		isJSON, parsed := resp.isJSON(), resp.parsed()
		if !isJSON && parsed != nil || isJSON && parsed == nil && string(bytes.TrimSpace(body)) != "null" {
			t.Fatalf("body %q: JSON %v, parsed as %#v", body, isJSON, parsed)
		}
		red := newRedactor(false, []byte("fuzz"))
		red.learnBody(body, ctype)
		if ok {
			red.learnAny("token", v)
		}
		b := red.body(resp.snapshot().Body)
		if b.Size != len(body) || len(b.Text) > bodyKeep {
			t.Fatalf("body of %d bytes masked to %d bytes, size %d, truncated %v", len(body), len(b.Text), b.Size, b.Truncated)
		}
		if utf8.Valid(body) && !utf8.ValidString(b.Text) {
			t.Fatalf("UTF-8 body %q masked to %q", body, b.Text)
		}
	})
}

// special reports whether a capture source reads something other than
// the body.
func special(source string) bool {
	return source == "status" || strings.HasPrefix(source, "header:") || strings.HasPrefix(source, "cookie:")
}

// ends runs fn, failing t if it takes longer than evalLimit.
func ends[T any](t *testing.T, what string, fn func() T) T {
	t.Helper()
	done := make(chan T, 1)
	go func() { done <- fn() }()
	timer := time.NewTimer(evalLimit)
	defer timer.Stop()
	select {
	case v := <-done:
		return v
	case <-timer.C:
	}
	t.Fatalf("%s did not end within %s", what, evalLimit)
	var none T
	return none
}

// fuzzClock is the clock of every fuzzed evaluation.
func fuzzClock() time.Time { return time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC) }

// fuzzToken is a JWT (HS256, sub alice) the fuzzed expressions see as
// the variable tok and as the response's token; it is a secret, so it
// never shows in a masked check.
const fuzzToken = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjE3MzU3OTA2NDUsInN1YiI6ImFsaWNlIn0." +
	"dClMe2t1_tkKJB2d1MEeOqTKeoDUqb8uhjuzMS8yfZ0"

// fuzzVars are the variables every fuzzed template and assertion sees:
// each kind of value vars, rows and captures give.
func fuzzVars() map[string]any {
	return map[string]any{
		"s": "alice", "empty": "", "n": 42.0, "f": 1.5, "i": 7, "b": true,
		"m":   map[string]any{"a": 1.0, "b": []any{"x", 2.0}, "c": map[string]any{"d": "e"}},
		"l":   []any{1.0, "two", map[string]any{"three": 3.0}},
		"tok": fuzzToken,
	}
}

// fuzzConfs returns the expr configurations a scope builds, built once
// for all of a target's inputs, as they are for all of a spec's steps.
func fuzzConfs() [2]*conf.Config {
	sc := newScope()
	sc.base()
	sc.withResponse().base()
	return sc.confs.confs
}

// fuzzScope returns a scope that sees fuzzVars and, if response is set,
// the response; its compiled programs are its own.
func fuzzScope(confs [2]*conf.Config, response bool) *scope {
	sc := &scope{vars: map[string]bool{}, response: response, confs: &exprConfs{confs: confs}}
	for _, n := range slices.Sorted(maps.Keys(fuzzVars())) {
		sc.vars[n] = true
	}
	return sc
}

// fuzzEnv returns what a step's templates see: the helpers and fuzzVars.
func fuzzEnv() map[string]any {
	env := helpers(fuzzClock)
	env[varsKey] = fuzzVars()
	return env
}

// fuzzResponse is the response every fuzzed assertion checks.
func fuzzResponse() *response {
	body := `{"token": "` + fuzzToken + `", "user": {"id": 7, "name": "alice", "tags": ["a", "b"]},` +
		` "items": [{"id": 1}, {"id": 2}], "n": 1.5, "ok": true, "nil": null}`
	return &response{
		status:   200,
		header:   http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"req-1"}},
		cookies:  []*http.Cookie{{Name: "sid", Value: "c00kie"}},
		body:     []byte(body),
		duration: 12 * time.Millisecond,
	}
}
