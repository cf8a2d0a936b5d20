package runner

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm"
	"github.com/tidwall/gjson"
)

// response is a received response, with its body read whole.
type response struct {
	status   int
	header   http.Header
	cookies  []*http.Cookie
	body     []byte
	duration time.Duration

	once sync.Once
	val  any
}

// parsed returns the body decoded as JSON, or nil if it is not JSON.
func (r *response) parsed() any {
	r.once.Do(func() {
		if len(r.body) > 0 && gjson.ValidBytes(r.body) {
			_ = json.Unmarshal(r.body, &r.val)
		}
	})
	return r.val
}

// json returns the value at a gjson path of the body, or nil: read in
// the raw body, which is never decoded for it.
func (r *response) json(path string) any {
	res := gjson.GetBytes(r.body, path)
	if !res.Exists() {
		return nil
	}
	return res.Value()
}

// snapshot records the response for a result; the flow masks it when it ends.
func (r *response) snapshot() *Response {
	return &Response{Status: r.status, Headers: headerList(r.header),
		Body: Body{raw: r.body, form: isFormType(r.header.Get("Content-Type"))}}
}

// jsonAny is json as programs call it: expr calls a func(...any) any
// without reflection. The checker has held the call to json's signature,
// one string; a value only known at run time that is not one stops the
// program as a call through reflection would.
func (r *response) jsonAny(args ...any) any {
	path, ok := args[0].(string)
	if !ok && args[0] != nil {
		panic("reflect: Call using " + reflect.TypeOf(args[0]).String() + " as type string")
	}
	return r.json(path)
}

// headerValue returns the first value of a response header, or "".
func (r *response) headerValue(name string) string { return r.header.Get(name) }

// cookie returns the value of a cookie the response sets, or "".
func (r *response) cookie(name string) string {
	for _, c := range r.cookies {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
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

// or returns the parts that u or v reads.
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
