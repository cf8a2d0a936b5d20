package runner

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// bodyKeep is how much of a request or response body a result keeps.
const bodyKeep = 4 << 10

// valueKeep is how much of a check's value a result shows.
const valueKeep = 200

// jsonKeep is the largest check value a result keeps as JSON.
const jsonKeep = 4 << 10

// headerKeep is how much of a header's value, and urlKeep of a URL, a
// result keeps: a value may be a megabyte, a report line should not.
const (
	headerKeep = 1 << 10
	urlKeep    = 4 << 10
)

// finish masks a step's result with every secret the flow has learnt,
// then cuts its excerpts: masking sees whole values, so no part of a
// secret survives a cut.
func (f *flowRun) finish(sr *StepResult) {
	r := f.red
	sr.Error = r.mask(sr.Error)
	for i := range sr.Exchanges {
		x := &sr.Exchanges[i]
		x.Error = r.mask(x.Error)
		if q := x.Request; q != nil {
			q.URL = cutLong(r.maskSentURL(q.URL), urlKeep)
			r.maskHeaders(q.Headers)
			q.Body = r.body(q.Body)
		}
		if p := x.Response; p != nil {
			r.maskHeaders(p.Headers)
			p.Body = r.body(p.Body)
		}
	}
	for i := range sr.Checks {
		c := &sr.Checks[i]
		c.Actual = r.value(c.Actual)
		if c.explain != "" {
			args := make([]any, len(c.operands))
			for j, o := range c.operands {
				args[j] = cutText(r.maskShown(o), valueKeep)
			}
			c.Message, c.explain, c.operands = fmt.Sprintf(c.explain, args...), "", nil
		} else {
			c.Message = cutText(r.mask(c.Message), 2*valueKeep)
		}
	}
}

// maskHeaders masks each header's value, then cuts it to headerKeep.
func (r *redactor) maskHeaders(hs []Header) {
	for i := range hs {
		hs[i].Value = cutLong(r.maskWhole(hs[i].Value), headerKeep)
	}
}

// cutLong keeps the first n bytes of a long s, a copy so that the result
// does not hold the whole, and says how long it was.
func cutLong(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.Clone(cutAt(s, n)) + fmt.Sprintf("… (%d bytes in all)", len(s))
}

// body masks a whole body, then keeps its first bodyKeep bytes.
func (r *redactor) body(b Body) Body {
	if b.raw == nil {
		return b
	}
	s := string(b.raw)
	if b.form {
		s = r.maskPairs(s)
	} else {
		s = r.mask(s)
	}
	out := Body{Size: len(b.raw), Text: cutAt(s, bodyKeep)}
	if out.Truncated = len(out.Text) < len(s); out.Truncated {
		// A copy, so the result does not hold the whole body.
		out.Text = strings.Clone(out.Text)
	}
	return out
}

// value masks a check's value, then cuts its text; JSON too large to
// keep, or that masking made invalid, is dropped.
func (r *redactor) value(v Value) Value {
	v.Text = cutText(r.maskShown(v.Text), valueKeep)
	if v.JSON != nil {
		raw := string(v.JSON)
		masked, js := r.mask(raw), v.JSON
		if masked != raw {
			js = json.RawMessage(masked)
		}
		v.JSON = nil
		if len(js) <= jsonKeep && json.Valid(js) {
			v.JSON = js
		}
	}
	return v
}

// maskShown masks a value as a report shows it: a string that is a
// secret whole shows as its marker alone, without quotes.
func (r *redactor) maskShown(s string) string {
	m := r.mask(s)
	if len(m) > 2 && m[0] == '"' && m[len(m)-1] == '"' && m != s {
		if inner := m[1 : len(m)-1]; strings.Count(inner, "<") == 1 && strings.HasPrefix(inner, "<") && strings.HasSuffix(inner, ">") {
			return inner
		}
	}
	return m
}

// cutText keeps at most n bytes of s, cut at a character's start, with
// "…" added when anything was cut.
func cutText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return cutAt(s, n) + "…"
}

// cutAt keeps at most n bytes of s, cut at a character's start.
func cutAt(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
