package runner

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm"
	"github.com/tidwall/gjson"

	"github.com/flowrun/flowrun/flows"
)

// response is a received response, with its body read whole.
type response struct {
	status   int
	header   http.Header
	cookies  []*http.Cookie
	body     []byte
	duration time.Duration
	// over is the limit the body was read with when it was larger: body
	// holds its first over bytes. 0 when the body was read whole.
	over int64

	once, checked sync.Once
	val           any
	valid         bool
}

// isJSON reports whether the body is one JSON value. gjson reads what it
// can of a body that is not (the start of a cut document), so every read
// of the body as JSON asks this first.
func (r *response) isJSON() bool {
	r.checked.Do(func() { r.valid = len(r.body) > 0 && gjson.ValidBytes(r.body) })
	return r.valid
}

// parsed returns the body decoded as JSON, or nil if it is not JSON.
func (r *response) parsed() any {
	r.once.Do(func() {
		if r.isJSON() {
			r.val = gjson.ParseBytes(r.body).Value() // as json() reads it: 1e999 is +Inf, not an error
		}
	})
	return r.val
}

// json returns the value at a gjson path of the body, or nil: read in
// the raw body, which is never decoded for it. A body that is not JSON
// has nothing at any path; notJSON says why.
func (r *response) json(path string) any {
	if !r.isJSON() {
		return nil
	}
	res := gjson.GetBytes(r.body, path)
	if !res.Exists() {
		return nil
	}
	return res.Value()
}

// snapshot records the response for a result; the flow masks it when it ends.
func (r *response) snapshot() *Response {
	return &Response{Status: r.status, Headers: headerList(r.header),
		Body: Body{raw: r.body, form: isFormType(r.header.Get("Content-Type"))}, BodyLimit: r.over}
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

// uses records which costly parts of a response expressions read, and
// whether they read the body as JSON by a path (json), which costs
// nothing ahead but explains a failure.
type uses struct{ body, headers, text, duration, json bool }

// allUses reads every part: for a step whose checks cannot be looked into.
func allUses() uses { return uses{body: true, headers: true, text: true, duration: true, json: true} }

// or returns the parts that u or v reads.
func (u uses) or(v uses) uses {
	return uses{body: u.body || v.body, headers: u.headers || v.headers, text: u.text || v.text,
		duration: u.duration || v.duration, json: u.json || v.json}
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
				u.json = u.json || x.Value == "json"
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

// overLimit errs the step when resp's body was larger than the limit on
// what is read of one. The step's exchange shows the status, the headers
// and the part read; what the rest would say cannot be judged.
func (f *flowRun) overLimit(resp *response, sr *StepResult) bool {
	if resp.over == 0 {
		return false
	}
	size := flows.FormatSize(resp.over)
	sr.Status = Errored
	sr.Error = fmt.Sprintf("the response body is larger than %s (--max-body); its first %s were read", size, size)
	return true
}

// bodyError is a response whose status and headers came, and whose body
// then broke off: the connection failed, or the time ran out. It wraps
// the cause, so fault still tells a reset from a timeout.
type bodyError struct {
	status int
	// read is how many bytes of the body came; size is how many its
	// Content-Length announced, -1 if none.
	read int
	size int64
	err  error
}

func (e *bodyError) Error() string {
	return fmt.Sprintf("the body of the %d response broke off after %s: %v", e.status, e.came(), e.err)
}

func (e *bodyError) Unwrap() error { return e.err }

// came says how much of the body came: "12 bytes", or "12 of 24 bytes".
func (e *bodyError) came() string {
	if e.size >= 0 {
		return fmt.Sprintf("%d of %d bytes", e.read, e.size)
	}
	return fmt.Sprintf("%d bytes", e.read)
}

// explainBody explains a check that read the body as JSON and did not
// pass: when the body is not JSON, that is what failed, whatever the
// expression's operands were (nil, or an error comparing nil).
func (f *flowRun) explainBody(c *Check, u uses, resp *response) {
	if c.Status == Passed || !u.body && !u.json {
		return
	}
	why := resp.notJSON(f.maskedBody(resp))
	if why == "" {
		return
	}
	if c.Status == Errored {
		c.Actual = textValue("body is not JSON")
	}
	c.Status, c.Message, c.explain, c.operands = Failed, why, "", nil
}

// maskedBody returns resp's whole body masked, as finish masks the body
// it shows, so that an excerpt cut from it shows no part of a secret.
// It masks the secrets the flow knows when the check is judged: a check
// that does not pass ends its flow, so none is learnt after it, and
// finish masks the message again with every one.
func (f *flowRun) maskedBody(resp *response) func() string {
	return func() string {
		if isFormType(resp.header.Get("Content-Type")) {
			return f.red.maskPairs(string(resp.body))
		}
		return f.red.mask(string(resp.body))
	}
}

// bodySource reports whether a capture source is a path into the body.
func bodySource(source string) bool {
	return source != "status" && !strings.HasPrefix(source, "header:") && !strings.HasPrefix(source, "cookie:")
}

// excerptKeep is how many characters of a body a not-JSON message shows.
const excerptKeep = 80

// notJSON says why the body is not JSON, for a check or a capture that
// read it as JSON: its content type and size, then where a cut document
// ends, or how the body begins. "" when it is JSON. masked is the whole
// body with its secrets masked: the excerpt is cut from it.
func (r *response) notJSON(masked func() string) string {
	if r.isJSON() {
		return ""
	}
	ctype := r.header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ctype); err == nil {
		ctype = mt
	} else if ctype == "" {
		ctype = "no Content-Type"
	}
	head := fmt.Sprintf("body is not JSON (%s, %d bytes)", ctype, len(r.body))
	switch {
	case len(r.body) == 0:
		return head + ": the body is empty"
	case len(bytes.TrimSpace(r.body)) == 0:
		return head + ": the body is only white space"
	}
	var raw json.RawMessage
	var syn *json.SyntaxError
	if err := json.Unmarshal(r.body, &raw); errors.As(err, &syn) {
		if syn.Error() == "unexpected end of JSON input" {
			// A document cut short: where it ends says more than its start.
			return fmt.Sprintf("%s: %s after byte %d", head, syn, syn.Offset)
		}
		if c := bytes.TrimSpace(r.body)[0]; c == '{' || c == '[' {
			return fmt.Sprintf("%s: %s after byte %d: %s", head, syn, syn.Offset, oneLine(masked(), excerptKeep))
		}
	}
	return head + ": " + oneLine(masked(), excerptKeep)
}

// oneLine is the first n characters of s, trimmed, on one line: control
// characters, invalid bytes and characters a terminal would not print
// as themselves are escaped, and "…" ends it if anything was cut.
func oneLine(s string, n int) string {
	s = strings.TrimSpace(s)
	var b strings.Builder
	for i, c := range s {
		if n == 0 {
			b.WriteString("…")
			break
		}
		n--
		switch {
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case c == utf8.RuneError:
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				fmt.Fprintf(&b, `\x%02x`, s[i])
			} else {
				b.WriteRune(c)
			}
		case c < 0x80 && (c < 0x20 || c == 0x7f):
			fmt.Fprintf(&b, `\x%02x`, c)
		case c >= 0x80 && !unicode.IsPrint(c):
			fmt.Fprintf(&b, `\u%04x`, c)
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}
