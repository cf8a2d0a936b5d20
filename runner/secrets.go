package runner

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// minSecret is the shortest value masked wherever it appears; shorter
// secrets are masked only where they stand whole (a header's value).
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

// mask hides every secret in a step's result.
func (s *secrets) mask(sr *StepResult) {
	if s.show {
		return
	}
	var pairs []string
	vals := make([]string, 0, len(s.values))
	for v := range s.values {
		if len(v) >= minSecret {
			vals = append(vals, v)
		}
	}
	// Longest first, so a token inside a longer secret is not half-masked.
	slices.SortFunc(vals, func(a, b string) int { return cmp.Or(cmp.Compare(len(b), len(a)), strings.Compare(a, b)) })
	for _, v := range vals {
		pairs = append(pairs, v, fmt.Sprintf("<masked:%s>", s.values[v]))
	}
	r := strings.NewReplacer(pairs...)
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

func (s *secrets) maskHeaders(hs []Header, r *strings.Replacer) {
	for i := range hs {
		hs[i].Value = r.Replace(hs[i].Value)
		if _, whole := s.values[hs[i].Value]; whole || slices.Contains(s.headers, http.CanonicalHeaderKey(hs[i].Name)) && !strings.Contains(hs[i].Value, "<masked") {
			hs[i].Value = "<masked>"
		}
	}
}
