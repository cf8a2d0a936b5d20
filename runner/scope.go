package runner

import (
	"errors"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/checker"
	exprcompiler "github.com/expr-lang/expr/compiler"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/optimizer"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"
	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/flowrun/flowrun/flows"
)

// scope is the set of names an expression may use at one point of a spec:
// the variables defined so far and, in assertions, the response.
type scope struct {
	vars     map[string]bool
	response bool
	// elsewhere names the session whose login captured a name this
	// scope cannot see, for the error that says so.
	elsewhere map[string]string
	// confs are shared by every scope of a spec.
	confs *exprConfs
}

// exprConfs are the expr configurations of a spec's expressions, built
// once: building one (expr's table of built-ins, the types of the env)
// costs more than checking an expression. They are indexed by whether
// the scope sees the response. check declares json and jwt with their
// signatures, which expressions are held to; run declares them as the
// variadic functions expr calls without reflection, which programs are
// compiled against once checked.
type exprConfs struct{ check, run [2]*conf.Config }

func newScope() *scope { return &scope{vars: map[string]bool{}, confs: &exprConfs{}} }

// with returns a copy of the scope with names added.
func (s *scope) with(names ...string) *scope {
	out := &scope{vars: maps.Clone(s.vars), response: s.response, elsewhere: s.elsewhere, confs: s.confs}
	for _, n := range names {
		out.vars[n] = true
	}
	return out
}

// inSession returns the scope of a step in session: the flow's names and
// the credentials its session's login and refreshes captured.
func (s *scope) inSession(session string, sessions map[string]*flows.Session) *scope {
	out := s.with(slices.Collect(maps.Keys(sessions[session].Creds))...)
	out.elsewhere = map[string]string{}
	for other, ss := range sessions {
		for n := range ss.Creds {
			if other != session && !out.vars[n] {
				out.elsewhere[n] = other
			}
		}
	}
	return out
}

// withResponse returns a copy of the scope that also sees the response.
func (s *scope) withResponse() *scope {
	out := s.with()
	out.response = true
	return out
}

// varsKey holds the variables in an expression's environment. A variable's
// type is only known at run time; as elements of a map[string]any the
// checker treats them as unknown, so every operator and built-in takes them.
const varsKey = "__vars"

// respKey holds the parsed body and the response time the same way: so
// `body` may be any JSON value (`body == "jwt malformed"` and
// `body[0].id == 1` compile), and `duration`, the response time, leaves
// the name free for the built-in `duration("500ms")`.
const respKey = "__resp"

// respNames are the response values read through respKey.
var respNames = map[string]bool{"body": true, "duration": true}

// config returns the expr configuration of an expression in the scope:
// the spec's, with the patch that rewrites the scope's variables. It is
// what expr.Compile builds from expr.Env and expr.Patch options.
func (s *scope) config(run bool) *conf.Config {
	if s.confs == nil {
		s.confs = &exprConfs{}
	}
	confs, i := &s.confs.check, 0
	if run {
		confs = &s.confs.run
	}
	if s.response {
		i = 1
	}
	if confs[i] == nil {
		c := conf.CreateNew()
		expr.Env(compileEnv(s.response, run))(c)
		confs[i] = c
	}
	c := *confs[i]
	c.Visitors = []ast.Visitor{varPatch{vars: s.vars, response: s.response}}
	return &c
}

// compile parses, checks and compiles src in the scope, as expr.Compile
// does with the scope's options.
func (s *scope) compile(src string) (*vm.Program, error) {
	tree, c, err := s.parse(src, false)
	if err != nil {
		return nil, err
	}
	return program(tree, c, true)
}

// parse parses and checks src in the scope, as a boolean if asBool is
// set: then what is known not to be boolean is an error. It returns the
// tree to compile and the configuration to compile it with, which casts
// nothing: a result only known at run time is the caller's to judge.
func (s *scope) parse(src string, asBool bool) (*parser.Tree, *conf.Config, error) {
	c := s.config(false)
	if asBool {
		c.Expect, c.ExpectAny = reflect.Bool, true
	}
	tree, err := checker.ParseCheck(src, c)
	if err != nil {
		return nil, nil, err
	}
	c.Expect, c.ExpectAny = reflect.Invalid, false
	if readsVariadic(tree.Node) {
		// Checked against the signatures, so the run forms take it too.
		c = s.config(true)
		if tree, err = checker.ParseCheck(src, c); err != nil {
			return nil, nil, err
		}
	}
	return tree, c, nil
}

// readsVariadic reports whether a tree names json or jwt, whose run forms
// differ from the forms it was checked against.
func readsVariadic(n ast.Node) bool {
	return ast.Find(n, func(n ast.Node) bool {
		id, ok := n.(*ast.IdentifierNode)
		return ok && (id.Value == "json" || id.Value == "jwt")
	}) != nil
}

// program compiles a checked tree, optimizing it first if optimize is set,
// as expr.Compile does.
func program(tree *parser.Tree, c *conf.Config, optimize bool) (*vm.Program, error) {
	if optimize && c.Optimize {
		if err := optimizer.Optimize(&tree.Node, c); err != nil {
			var fe *file.Error
			if errors.As(err, &fe) {
				return nil, fe.Bind(tree.Source)
			}
			return nil, err
		}
	}
	return exprcompiler.Compile(tree, c)
}

// compileEnv declares the names every expression may use, with their
// types: the helpers, the variables and, in assertions, the response. run
// declares json and jwt as the env holds them at run time; otherwise
// with the signatures expressions are checked against.
func compileEnv(withResponse, run bool) map[string]any {
	env := helpers(time.Now)
	env[varsKey] = map[string]any{}
	if withResponse {
		addResponse(env, &response{}, allUses())
	}
	if !run {
		env["jwt"] = jwtClaims
		if withResponse {
			env["json"] = (&response{}).json
		}
	}
	return env
}

// varPatch rewrites references to variables, and to the body, into map lookups.
type varPatch struct {
	vars     map[string]bool
	response bool
}

func (p varPatch) Visit(node *ast.Node) {
	id, ok := (*node).(*ast.IdentifierNode)
	switch {
	case !ok:
	case p.vars[id.Value]:
		ast.Patch(node, &ast.MemberNode{Node: &ast.IdentifierNode{Value: varsKey}, Property: &ast.StringNode{Value: id.Value}})
	case p.response && respNames[id.Value]:
		ast.Patch(node, &ast.MemberNode{Node: &ast.IdentifierNode{Value: respKey}, Property: &ast.StringNode{Value: id.Value}})
	}
	// Children are visited first: a call duration("1s") is the built-in,
	// so its callee goes back to the plain name.
	if c, ok := (*node).(*ast.CallNode); ok && p.response {
		if m, ok := c.Callee.(*ast.MemberNode); ok && isResp(m, "duration") {
			c.Callee = &ast.IdentifierNode{Value: "duration"}
		}
	}
}

func isResp(m *ast.MemberNode, name string) bool {
	id, ok1 := m.Node.(*ast.IdentifierNode)
	prop, ok2 := m.Property.(*ast.StringNode)
	return ok1 && ok2 && id.Value == respKey && prop.Value == name
}

// names returns the scope's variables, sorted.
func (s *scope) names() []string { return slices.Sorted(maps.Keys(s.vars)) }

// all returns every name an expression in the scope may use: variables,
// helpers and, in assertions, the response.
func (s *scope) all() []string {
	env := helpers(time.Now)
	if s.response {
		addResponse(env, &response{}, allUses())
		delete(env, respKey)
		env["body"], env["duration"] = nil, nil
	}
	return append(s.names(), slices.Sorted(maps.Keys(env))...)
}

// helpers returns the functions every template and assertion may call.
func helpers(now func() time.Time) map[string]any {
	env := make(map[string]any, 5)
	addHelpers(env, now)
	return env
}

// addHelpers adds the helpers to env.
func addHelpers(env map[string]any, now func() time.Time) {
	env["uuid"] = uuid.NewString
	env["now"] = now
	env["unix"] = func() int64 { return now().Unix() }
	env["timestamp"] = func() string { return now().UTC().Format(time.RFC3339) }
	env["jwt"] = jwtAny
}

// jwtAny is jwtClaims as programs call it: expr calls a func(...any) any
// without reflection. The checker has held the call to jwtClaims's
// signature; an error stops the program as jwtClaims's does.
func jwtAny(args ...any) any {
	claims, err := jwtClaims(args[0])
	if err != nil {
		panic(err)
	}
	return claims
}

// jwtClaims decodes a JWT's claims without checking its signature: a test
// reads what the token says (exp, sub, ...), the API checks the signature.
func jwtClaims(token any) (map[string]any, error) {
	s, ok := token.(string)
	if !ok {
		return nil, errors.New("jwt() takes a token string")
	}
	s = strings.TrimSpace(strings.TrimPrefix(s, "Bearer "))
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(s, claims); err != nil {
		return nil, errors.New("jwt(): the value is not a JWT")
	}
	return claims, nil
}

// responseEnv returns what assertions see of a response, as addResponse
// adds it.
func responseEnv(r *response, use uses) map[string]any {
	env := make(map[string]any, responseNames)
	addResponse(env, r, use)
	return env
}

// responseNames is how many names addResponse adds.
const responseNames = 7

// addResponse adds to env what assertions see of a response. The costly
// parts (the parsed body, the header map, the body as text) are built
// only if an expression reads them; the others are never read.
func addResponse(env map[string]any, r *response, use uses) {
	var headers map[string]string
	if use.headers {
		headers = make(map[string]string, len(r.header))
		for k, v := range r.header {
			headers[k] = strings.Join(v, ", ")
		}
	}
	var resp map[string]any
	if use.body || use.duration {
		var body any = map[string]any{}
		if use.body {
			if p := r.parsed(); p != nil {
				body = p
			}
		}
		resp = map[string]any{"body": body, "duration": r.duration}
	}
	text := ""
	if use.text {
		text = string(r.body)
	}
	env["status"] = r.status
	env["headers"] = headers
	env[respKey] = resp
	env["text"] = text
	env["json"] = r.jsonAny
	env["header"] = r.headerValue
	env["cookie"] = r.cookie
}

// uses records which costly parts of a response expressions read.
type uses struct{ body, headers, text, duration bool }

// allUses reads every part: for a step whose checks cannot be looked into.
func allUses() uses { return uses{body: true, headers: true, text: true, duration: true} }

func (u uses) or(v uses) uses {
	return uses{body: u.body || v.body, headers: u.headers || v.headers, text: u.text || v.text, duration: u.duration || v.duration}
}

// usesOf finds the response names read in compiled expressions. One that
// reads $env, the whole env, reads every part.
func usesOf(progs ...*vm.Program) uses {
	var u uses
	for _, p := range progs {
		ast.Find(p.Node(), func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.IdentifierNode:
				if x.Value == "$env" {
					u = allUses()
				}
				u.body = u.body || x.Value == "body"
				u.headers = u.headers || x.Value == "headers"
				u.text = u.text || x.Value == "text"
			case *ast.MemberNode:
				u.body = u.body || isResp(x, "body")
				u.duration = u.duration || isResp(x, "duration")
			}
			return false
		})
	}
	return u
}

// stepUses returns what of a response a step's checks read: its
// assertions' parts, or every part when it checks a JWT, whose templates
// may read any.
func stepUses(sp *stepPlan) uses {
	if sp.jwt != nil {
		return allUses()
	}
	u := sp.uses
	for _, a := range sp.asserts {
		u = u.or(a.uses)
	}
	return u
}
