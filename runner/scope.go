package runner

import (
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"time"
	"unicode"

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
// costs more than checking an expression. They are indexed by whether the
// scope sees the response.
type exprConfs struct {
	confs [2]*conf.Config
	// programs and assertions are what was compiled, by key: the same
	// expression in another step, where its names mean the same, is the
	// same program. Programs are only read, so flows share them.
	programs   map[string]*vm.Program
	assertions map[string]*assertion
	// limits bound what the spec's expressions and templates spend
	// while they run (bounds); unset fields take their defaults.
	limits flows.Limits
}

// bounds returns what each of the spec's expressions and templates may
// spend while it runs.
func (c *exprConfs) bounds() bounds { return boundsOf(c.limits) }

func newScope() *scope { return &scope{vars: map[string]bool{}, confs: &exprConfs{}} }

// with returns a copy of the scope with names added. A scope's vars are
// never changed once it is made, so a copy that adds nothing shares them.
func (s *scope) with(names ...string) *scope {
	out := &scope{vars: s.vars, response: s.response, elsewhere: s.elsewhere, confs: s.confs}
	if slices.ContainsFunc(names, func(n string) bool { return !s.vars[n] }) {
		out.vars = maps.Clone(s.vars)
		for _, n := range names {
			out.vars[n] = true
		}
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

// shared returns the configurations and compiled programs of the spec.
func (s *scope) shared() *exprConfs {
	if s.confs == nil {
		s.confs = &exprConfs{}
	}
	return s.confs
}

// base returns the spec's expr configuration for the scope; it is only read.
func (s *scope) base() *conf.Config {
	i := 0
	if s.response {
		i = 1
	}
	confs := &s.shared().confs
	if confs[i] == nil {
		c := conf.CreateNew()
		expr.Env(compileEnv(s.response))(c)
		addMetered(c)
		confs[i] = c
	}
	return confs[i]
}

// config returns the expr configuration of an expression in the scope:
// the spec's, with the patch that rewrites the scope's variables. It is
// what expr.Compile builds from expr.Env and expr.Patch options.
func (s *scope) config() *conf.Config {
	c := *s.base()
	c.Visitors = []ast.Visitor{varPatch{vars: s.vars, response: s.response}}
	return &c
}

// key returns what compiling src in the scope depends on: kind (what src
// is compiled as), src, whether the scope sees the response, and which
// of the words of src are variables here: every name src uses is one of
// its words.
func (s *scope) key(kind, src string) string {
	var b strings.Builder
	b.WriteString(kind)
	if s.response {
		b.WriteString(" response")
	}
	for w := range words(src) {
		if s.vars[w] {
			b.WriteString(" " + w)
		}
	}
	b.WriteString("\x00" + src)
	return b.String()
}

// words yields the longest runs of letters, digits, _ and $ in src: a
// superset of the identifiers expr reads in it.
func words(src string) func(yield func(string) bool) {
	return func(yield func(string) bool) {
		start := -1
		for i, c := range src {
			if c == '_' || c == '$' || unicode.IsLetter(c) || unicode.IsDigit(c) {
				if start < 0 {
					start = i
				}
				continue
			}
			if start >= 0 && !yield(src[start:i]) {
				return
			}
			start = -1
		}
		if start >= 0 {
			yield(src[start:])
		}
	}
}

// compile parses, checks and compiles src in the scope, as expr.Compile
// does with the scope's options, unless it was compiled already.
func (s *scope) compile(src string) (*vm.Program, error) {
	key, confs := s.key("template", src), s.shared()
	if p, ok := confs.programs[key]; ok {
		return p, nil
	}
	tree, c, err := s.parse(src, false)
	if err != nil {
		return nil, err
	}
	p, err := program(tree, c, true)
	if err == nil {
		if confs.programs == nil {
			confs.programs = map[string]*vm.Program{}
		}
		confs.programs[key] = p
	}
	return p, err
}

// parse parses and checks src in the scope, as a boolean if asBool is
// set: then what is known not to be boolean is an error. It returns the
// tree to compile and the configuration to compile it with, which casts
// nothing: a result only known at run time is the caller's to judge.
func (s *scope) parse(src string, asBool bool) (*parser.Tree, *conf.Config, error) {
	c := s.config()
	if asBool {
		c.Expect, c.ExpectAny = reflect.Bool, true
	}
	tree, err := checker.ParseCheck(src, c)
	if err != nil {
		return nil, nil, err
	}
	if err := checkBounds(tree, s.shared().bounds().memory); err != nil {
		return nil, nil, err
	}
	c.Expect, c.ExpectAny = reflect.Invalid, false
	runForms(tree.Node)
	return tree, c, nil
}

// runForms retypes, in a checked tree, each call of json and jwt to the
// variadic form the env holds at run time (jsonAny, jwtAny), which expr
// calls without reflection. The checker has held each call to the
// function's own signature, which compileEnv declares.
func runForms(n ast.Node) {
	jsonType, jwtType := reflect.TypeOf((&response{}).json), reflect.TypeOf(jwtClaims)
	ast.Find(n, func(n ast.Node) bool {
		if c, ok := n.(*ast.CallNode); ok {
			if id, ok := c.Callee.(*ast.IdentifierNode); ok &&
				(id.Value == "json" && id.Type() == jsonType || id.Value == "jwt" && id.Type() == jwtType) {
				id.SetType(reflect.TypeOf(jwtAny))
			}
		}
		return false
	})
}

// program compiles a checked tree, optimizing it first if optimize is set,
// as expr.Compile does, and metering it (meterTree): the program must be
// evaluated by run.
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
	meterTree(&tree.Node)
	return exprcompiler.Compile(tree, c)
}

// compileEnv declares the names every expression may use, with their
// types: the helpers, the variables and, in assertions, the response.
// json and jwt are declared with their own signatures, which expressions
// are checked against; programs call their run forms (runForms).
func compileEnv(withResponse bool) map[string]any {
	env := helpers(time.Now)
	env[varsKey] = map[string]any{}
	env["jwt"] = jwtClaims
	if withResponse {
		addResponse(env, &response{}, allUses())
		env["json"] = (&response{}).json
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

// helperCount is how many helpers addHelpers adds.
const helperCount = 7

// helpers returns the functions every template and assertion may call.
func helpers(now func() time.Time) map[string]any {
	env := make(map[string]any, helperCount)
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
	env["basicAuth"] = basicAuth
	env["formEncode"] = formEncode
}

// basicAuth is the credential of HTTP Basic authentication (RFC 7617):
// base64 of user:password.
func basicAuth(user, password any) string {
	return base64.StdEncoding.EncodeToString([]byte(fmt.Sprint(user) + ":" + fmt.Sprint(password)))
}

// formEncode encodes a value as a form does (application/x-www-form-
// urlencoded), as OAuth 2.0 client authentication wants (RFC 6749 §2.3.1).
func formEncode(v any) string { return url.QueryEscape(fmt.Sprint(v)) }

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
