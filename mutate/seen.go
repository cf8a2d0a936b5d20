package mutate

import (
	"maps"
	"net/http"
	"slices"
)

// seen is what one proxy has learnt from the exchanges it forwarded:
// the values the API issued, the credentials it accepted, its refresh
// endpoints. It holds the API's real answers, never a mutant's.
type seen struct {
	creds []credential
	// issued maps each value a login or refresh answer held to its path
	// in the JSON body: nil for a header's, or a body that is not JSON.
	issued map[string]jsonPath
	// good is the last value of each credential on a request answered
	// 2xx; flowGood the same for each flow.
	good     map[string]string
	flowGood map[string]map[string]string
	// flowIssued is, for each flow, the last value issued at each
	// source (sourceKey).
	flowIssued map[string]map[string]string
	// refreshes are the endpoints ("METHOD /path") refresh steps sent to.
	refreshes map[string]bool
}

func newSeen(creds []credential) *seen {
	return &seen{creds: creds, issued: map[string]jsonPath{}, good: map[string]string{},
		flowGood: map[string]map[string]string{}, flowIssued: map[string]map[string]string{}, refreshes: map[string]bool{}}
}

// request learns from a request before it is forwarded.
func (s *seen) request(x *exchange) {
	if x.step.Kind == "refresh" {
		s.refreshes[x.endpoint()] = true
	}
}

// response learns from the API's answer to x, as forwarded.
func (s *seen) response(x *exchange) {
	if !x.ok() {
		return
	}
	for _, c := range s.creds {
		if v := x.carries(c); v != "" {
			s.good[c.name] = v
			if s.flowGood[x.step.Flow] == nil {
				s.flowGood[x.step.Flow] = map[string]string{}
			}
			s.flowGood[x.step.Flow][c.name] = v
		}
	}
	// A re-login after a 401 (reauth) is a login too, whatever its step.
	if (x.step.Kind == "login" || x.step.Kind == "refresh" || x.step.Part == "reauth") && x.respWhole {
		s.learnIssued(x)
	}
}

// learnIssued notes every value a login or refresh answer holds, and
// where, for the flow that logged in.
func (s *seen) learnIssued(x *exchange) {
	flow := s.flowIssued[x.step.Flow]
	if flow == nil {
		flow = map[string]string{}
		s.flowIssued[x.step.Flow] = flow
	}
	note := func(v string, p jsonPath, key string) {
		if v != "" {
			s.issued[v] = p
			flow[key] = v
		}
	}
	if v, ok := decodeJSON(x.respBody); ok {
		scalars(v, nil, func(p jsonPath, v string) { note(v, p, sourceKey(p, "", "")) })
	} else {
		bodyValues(x.respBody, x.respHeader.Get("Content-Type"), func(_ jsonPath, v string) { note(v, nil, "") })
	}
	for _, name := range slices.Sorted(maps.Keys(x.respHeader)) {
		if name == "Date" || name == "Content-Length" || name == "Content-Type" {
			continue
		}
		for _, v := range x.respHeader[name] {
			if name == "Set-Cookie" {
				if c, err := http.ParseSetCookie(v); err == nil {
					note(c.Value, nil, sourceKey(nil, "", c.Name))
				}
				continue
			}
			note(v, nil, sourceKey(nil, name, ""))
			if rest := scheme(v); rest != v {
				s.issued[rest] = nil
			}
		}
	}
}

// wasIssued reports whether a credential's value, or what follows its
// scheme word, is a value the API issued.
func (s *seen) wasIssued(v string) bool {
	_, whole := s.issued[v]
	_, rest := s.issued[scheme(v)]
	return whole || rest
}

// lastGood returns the credential c that the API would take: the last
// value of it that the API accepted in the same flow; else, made by its
// recipe, from what a login or refresh of the flow issued; else the last
// value the API accepted in any flow.
func (s *seen) lastGood(flow string, c credential) (string, bool) {
	if v, ok := s.flowGood[flow][c.name]; ok {
		return v, true
	}
	if r := c.recipe; r != nil {
		if v, ok := s.flowIssued[flow][r.source]; ok {
			return r.prefix + v + r.suffix, true
		}
	}
	v, ok := s.good[c.name]
	return v, ok
}

// isRefresh reports whether x goes to an endpoint refresh steps use, or
// is a refresh step's.
func (s *seen) isRefresh(x *exchange) bool {
	return x.step.Kind == "refresh" || s.refreshes[x.endpoint()]
}

// presentedIssued finds a value issued at a JSON path that the request
// presented (as sent, or as forwarded), and where it was issued: the
// first for which accept holds.
func (s *seen) presentedIssued(x *exchange, forwarded bool, accept func(v string, p jsonPath) bool) (string, jsonPath, bool) {
	var val string
	var path jsonPath
	x.presented(forwarded, s.creds, func(v string) bool {
		if p := s.issued[v]; p != nil && accept(v, p) {
			val, path = v, p
			return true
		}
		return false
	})
	return val, path, path != nil
}
