package runner

import (
	"encoding/json"
	"net/http"
	"reflect"
	"sync"
	"time"

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
