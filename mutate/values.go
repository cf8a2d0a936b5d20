package mutate

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// rewriter maps one value a message carries to what replaces it; ok is
// false to leave it as it is.
type rewriter func(v string) (string, bool)

// jsonPath is where a value sits in a JSON document: object keys
// (string) and array indexes (int), from the root.
type jsonPath []any

// decodeJSON decodes a JSON document, numbers kept as written; ok is
// false when body is not one object or array.
func decodeJSON(body []byte) (any, bool) {
	t := bytes.TrimSpace(body)
	if len(t) == 0 || (t[0] != '{' && t[0] != '[') {
		return nil, false
	}
	d := json.NewDecoder(bytes.NewReader(t))
	d.UseNumber()
	var v any
	if d.Decode(&v) != nil || d.More() {
		return nil, false
	}
	return v, true
}

// encodeJSON encodes v as compact JSON, without escaping <, > and &.
func encodeJSON(v any) []byte {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	if err := e.Encode(v); err != nil {
		return nil // v came from decodeJSON: it always encodes
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// scalars calls fn with every string and number of v and its path, keys
// in sorted order.
func scalars(v any, path jsonPath, fn func(p jsonPath, s string)) {
	switch x := v.(type) {
	case string:
		fn(path, x)
	case json.Number:
		fn(path, x.String())
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(x)) {
			scalars(x[k], append(slices.Clip(path), k), fn)
		}
	case []any:
		for i, e := range x {
			scalars(e, append(slices.Clip(path), i), fn)
		}
	}
}

// rewriteStrings replaces, in place, every string of v that rw rewrites;
// it reports whether one was.
func rewriteStrings(v any, rw rewriter) (any, bool) {
	switch x := v.(type) {
	case string:
		if s, ok := rw(x); ok && s != x {
			return s, true
		}
	case map[string]any:
		changed := false
		for _, k := range slices.Sorted(maps.Keys(x)) {
			nv, ok := rewriteStrings(x[k], rw)
			x[k], changed = nv, changed || ok
		}
		return x, changed
	case []any:
		changed := false
		for i := range x {
			nv, ok := rewriteStrings(x[i], rw)
			x[i], changed = nv, changed || ok
		}
		return x, changed
	}
	return v, false
}

// at returns the scalar at path p of v.
func at(v any, p jsonPath) (string, bool) {
	for _, k := range p {
		switch key := k.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return "", false
			}
			if v, ok = m[key]; !ok {
				return "", false
			}
		case int:
			a, ok := v.([]any)
			if !ok || key >= len(a) {
				return "", false
			}
			v = a[key]
		}
	}
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	}
	return "", false
}

// setAt sets the string at path p of v to s; it reports whether there
// was a scalar there to replace.
func setAt(v any, p jsonPath, s string) bool {
	if len(p) == 0 {
		return false
	}
	parent := v
	for _, k := range p[:len(p)-1] {
		switch key := k.(type) {
		case string:
			m, ok := parent.(map[string]any)
			if !ok {
				return false
			}
			parent = m[key]
		case int:
			a, ok := parent.([]any)
			if !ok || key >= len(a) {
				return false
			}
			parent = a[key]
		}
	}
	switch key := p[len(p)-1].(type) {
	case string:
		if m, ok := parent.(map[string]any); ok {
			if _, ok := m[key]; ok {
				m[key] = s
				return true
			}
		}
	case int:
		if a, ok := parent.([]any); ok && key < len(a) {
			a[key] = s
			return true
		}
	}
	return false
}

// String writes a path as gjson would: keys joined by dots.
func (p jsonPath) String() string {
	parts := make([]string, len(p))
	for i, k := range p {
		switch key := k.(type) {
		case string:
			parts[i] = key
		case int:
			parts[i] = strconv.Itoa(key)
		}
	}
	return strings.Join(parts, ".")
}

// headerValues calls fn with each value a header carries: the whole
// value, and after a scheme word (Bearer x) the rest; a Cookie header's
// cookies one by one.
func headerValues(name, value string, fn func(v string)) {
	if http.CanonicalHeaderKey(name) == "Cookie" {
		for c := range strings.SplitSeq(value, ";") {
			if _, v, ok := strings.Cut(strings.TrimSpace(c), "="); ok {
				fn(v)
			}
		}
		return
	}
	fn(value)
	if _, rest, ok := strings.Cut(value, " "); ok && rest != "" {
		fn(rest)
	}
}

// rewriteHeader rewrites what a header value carries, as headerValues
// finds it.
func rewriteHeader(name, value string, rw rewriter) (string, bool) {
	if http.CanonicalHeaderKey(name) == "Cookie" {
		parts := strings.Split(value, ";")
		changed := false
		for i, c := range parts {
			k, v, ok := strings.Cut(strings.TrimSpace(c), "=")
			if !ok {
				continue
			}
			if nv, ok := rw(v); ok && nv != v {
				parts[i] = strings.Repeat(" ", min(i, 1)) + k + "=" + nv
				changed = true
			}
		}
		return strings.Join(parts, ";"), changed
	}
	if nv, ok := rw(value); ok && nv != value {
		return nv, true
	}
	if scheme, rest, ok := strings.Cut(value, " "); ok && rest != "" {
		if nv, ok := rw(rest); ok && nv != rest {
			return scheme + " " + nv, true
		}
	}
	return value, false
}

// isForm reports whether a content type is an HTML form's.
func isForm(contentType string) bool {
	return strings.HasPrefix(strings.ToLower(strings.TrimSpace(contentType)), "application/x-www-form-urlencoded")
}

// bodyValues calls fn with each value a body carries: a JSON document's
// strings and numbers, a form's values, or else the whole body trimmed.
func bodyValues(body []byte, contentType string, fn func(p jsonPath, v string)) {
	if len(bytes.TrimSpace(body)) == 0 {
		return
	}
	if v, ok := decodeJSON(body); ok {
		scalars(v, nil, fn)
		return
	}
	if isForm(contentType) {
		if q, err := url.ParseQuery(string(body)); err == nil {
			for _, k := range slices.Sorted(maps.Keys(q)) {
				for _, v := range q[k] {
					fn(nil, v)
				}
			}
			return
		}
	}
	if t := bytes.TrimSpace(body); len(t) <= maxRawValue {
		fn(nil, string(t))
	}
}

// maxRawValue bounds a body taken whole as one value: a raw token, not a page.
const maxRawValue = 4096

// rewriteBody rewrites the values a body carries, as bodyValues finds
// them; it returns the new body and whether it changed.
func rewriteBody(body []byte, contentType string, rw rewriter) ([]byte, bool) {
	if len(bytes.TrimSpace(body)) == 0 {
		return body, false
	}
	if v, ok := decodeJSON(body); ok {
		nv, changed := rewriteStrings(v, rw)
		if !changed {
			return body, false
		}
		return encodeJSON(nv), true
	}
	if isForm(contentType) {
		if q, err := url.ParseQuery(string(body)); err == nil {
			if rewriteQuery(q, rw) {
				return []byte(q.Encode()), true
			}
			return body, false
		}
	}
	t := bytes.TrimSpace(body)
	if len(t) > maxRawValue {
		return body, false
	}
	if nv, ok := rw(string(t)); ok && nv != string(t) {
		return []byte(nv), true
	}
	return body, false
}

// rewriteQuery rewrites query or form values in place.
func rewriteQuery(q url.Values, rw rewriter) bool {
	changed := false
	for _, k := range slices.Sorted(maps.Keys(q)) {
		for i, v := range q[k] {
			if nv, ok := rw(v); ok && nv != v {
				q[k][i], changed = nv, true
			}
		}
	}
	return changed
}
