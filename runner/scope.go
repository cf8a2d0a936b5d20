package runner

import (
	"errors"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
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
}

func newScope() *scope { return &scope{vars: map[string]bool{}} }

// with returns a copy of the scope with names added.
func (s *scope) with(names ...string) *scope {
	out := &scope{vars: maps.Clone(s.vars), response: s.response, elsewhere: s.elsewhere}
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

// options returns the expr options that declare the scope's names. Each
// reference to a variable is rewritten to __vars["name"].
func (s *scope) options() []expr.Option {
	env := helpers(time.Now)
	env[varsKey] = map[string]any{}
	if s.response {
		maps.Copy(env, responseEnv(&response{}, uses{}))
	}
	return []expr.Option{expr.Env(env), expr.Patch(varPatch{vars: s.vars, response: s.response})}
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
		maps.Copy(env, responseEnv(&response{}, uses{}))
		delete(env, respKey)
		env["body"], env["duration"] = nil, nil
	}
	return append(s.names(), slices.Sorted(maps.Keys(env))...)
}

// helpers returns the functions every template and assertion may call.
func helpers(now func() time.Time) map[string]any {
	return map[string]any{
		"uuid":      func() string { return uuid.NewString() },
		"now":       func() time.Time { return now() },
		"unix":      func() int64 { return now().Unix() },
		"timestamp": func() string { return now().UTC().Format(time.RFC3339) },
		"jwt":       jwtClaims,
	}
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

// responseEnv returns what assertions see of a response. The parsed body
// and the header map are built only if an assertion uses them.
func responseEnv(r *response, use uses) map[string]any {
	headers := map[string]string{}
	if use.headers {
		for k, v := range r.header {
			headers[k] = strings.Join(v, ", ")
		}
	}
	var body any = map[string]any{}
	if p := r.parsed(); use.body && p != nil {
		body = p
	}
	return map[string]any{
		"status":  r.status,
		"headers": headers,
		respKey:   map[string]any{"body": body, "duration": r.duration},
		"text":    string(r.body),
		"json":    r.json,
		"header":  func(name string) string { return http.Header(r.header).Get(name) },
		"cookie":  r.cookie,
	}
}

// uses records which costly parts of a response a step's assertions read.
type uses struct{ body, headers bool }

// usesOf finds the names body and headers in compiled expressions.
func usesOf(progs ...*vm.Program) uses {
	var u uses
	for _, p := range progs {
		node := p.Node()
		ast.Find(node, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.IdentifierNode:
				u.body = u.body || x.Value == "body"
				u.headers = u.headers || x.Value == "headers"
			case *ast.MemberNode:
				u.body = u.body || isResp(x, "body")
			}
			return false
		})
	}
	return u
}
