package runner

import (
	"cmp"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/tidwall/gjson"
)

// minSecret is the shortest value masked wherever it appears; shorter
// secrets are masked where they stand whole: a header's value or a JSON
// string.
const minSecret = 3

// alwaysMasked are headers whose values are credentials whatever the spec says.
var alwaysMasked = []string{"Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie", "X-Api-Key"}

// secrets collects a flow's secret values and masks them in its results.
type secrets struct {
	show    bool
	headers []string
	values  map[string]string // value → name
}

func newSecrets(authNames []string, show bool) *secrets {
	hs := append(append([]string{}, alwaysMasked...), authNames...)
	for i := range hs {
		hs[i] = http.CanonicalHeaderKey(hs[i])
	}
	return &secrets{show: show, headers: hs, values: map[string]string{}}
}

// add records a secret value under a name, which the mask shows.
func (s *secrets) add(name string, v any) {
	str := stringify(v)
	if str == "" || v == nil {
		return
	}
	if _, ok := s.values[str]; !ok {
		s.values[str] = name
	}
}

func (s *secrets) addAll(m map[string]any) {
	for k, v := range m {
		if _, isStr := v.(string); isStr {
			s.add(k, v)
		}
	}
}

// mask hides every secret in a flow's step results.
func (s *secrets) mask(steps []StepResult) {
	if s.show {
		return
	}
	type swap struct{ from, to string }
	swaps := make([]swap, 0, len(s.values))
	for v, name := range s.values {
		if len(v) >= minSecret {
			swaps = append(swaps, swap{v, fmt.Sprintf("<masked:%s>", name)})
		} else {
			// Too short to mask everywhere: mask it as a JSON string,
			// also inside an escaped JSON document.
			swaps = append(swaps, swap{`"` + v + `"`, fmt.Sprintf(`"<masked:%s>"`, name)},
				swap{`\"` + v + `\"`, fmt.Sprintf(`\"<masked:%s>\"`, name)})
		}
	}
	// Longest first, so a token inside a longer secret is not half-masked.
	slices.SortFunc(swaps, func(a, b swap) int {
		return cmp.Or(cmp.Compare(len(b.from), len(a.from)), strings.Compare(a.from, b.from))
	})
	pairs := make([]string, 0, 2*len(swaps))
	for _, sw := range swaps {
		pairs = append(pairs, sw.from, sw.to)
	}
	r := strings.NewReplacer(pairs...)
	for i := range steps {
		sr := &steps[i]
		if sr.Request != nil {
			sr.Request.URL, sr.Request.Body = r.Replace(sr.Request.URL), r.Replace(sr.Request.Body)
			s.maskHeaders(sr.Request.Headers, r)
		}
		if sr.Response != nil {
			sr.Response.Body = r.Replace(sr.Response.Body)
			s.maskHeaders(sr.Response.Headers, r)
		}
		for i := range sr.Checks {
			sr.Checks[i].Actual = r.Replace(sr.Checks[i].Actual)
			sr.Checks[i].Expected = r.Replace(sr.Checks[i].Expected)
		}
		sr.Error = r.Replace(sr.Error)
	}
}

// credentialKey matches JSON keys whose values are credentials, whether or
// not the spec captured them: a login answer used to check an error case
// still carries a live token.
var credentialKey = regexp.MustCompile(`(?i)(token|secret|passw(or)?d|api_?key|credential|signature|cryptotext|authorization)`)

// addFromBodies records the string values under credential keys in the
// JSON bodies of a step's request and response.
func (s *secrets) addFromBodies(st StepResult) {
	for _, body := range []string{bodyOf(st.Request), bodyOfResponse(st.Response)} {
		if body != "" && gjson.Valid(body) {
			s.walk("", gjson.Parse(body))
		}
	}
}

func (s *secrets) walk(key string, v gjson.Result) {
	switch {
	case v.IsObject() || v.IsArray():
		v.ForEach(func(k, e gjson.Result) bool {
			if v.IsObject() {
				s.walk(k.String(), e)
			} else {
				s.walk(key, e)
			}
			return true
		})
	case v.Type == gjson.String && credentialKey.MatchString(key):
		s.add(key, v.String())
	}
}

func bodyOf(r *Request) string {
	if r == nil {
		return ""
	}
	return r.Body
}

func bodyOfResponse(r *Response) string {
	if r == nil {
		return ""
	}
	return r.Body
}

func (s *secrets) maskHeaders(hs []Header, r *strings.Replacer) {
	for i := range hs {
		if hs[i].Value == "" {
			continue
		}
		hs[i].Value = r.Replace(hs[i].Value)
		if _, whole := s.values[hs[i].Value]; whole || slices.Contains(s.headers, http.CanonicalHeaderKey(hs[i].Name)) && !strings.Contains(hs[i].Value, "<masked") {
			hs[i].Value = "<masked>"
		}
	}
}
