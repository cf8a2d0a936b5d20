package runner_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/flowrun/flowrun/runner"
)

var probeKey = []byte("probe-test-hmac-key")

// jwtAPI issues HS256 tokens and checks them on /me with an API key. lax
// names the one check it skips, as a broken server would: "missing" (no
// token is fine), "signature" (claims read unverified), "alg-none" (an
// unsigned token is fine), "scheme" (the token without Bearer is fine).
func jwtAPI(t *testing.T, lax string) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		tok, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "ann", "exp": time.Now().Add(time.Hour).Unix()}).SignedString(probeKey)
		fmt.Fprintf(w, `{"token":%q}`, tok)
	})
	mux.HandleFunc("/me", func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		token, bearer := strings.CutPrefix(auth, "Bearer ")
		ok := r.Header.Get("X-Api-Key") == "k-1"
		switch {
		case auth == "":
			ok = ok && lax == "missing"
		case !bearer && lax != "scheme":
			ok = false
		default:
			ok = ok && validToken(token, lax)
		}
		if !ok {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, `{"sub":"ann"}`)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func validToken(token, lax string) bool {
	claims := jwt.MapClaims{}
	switch lax {
	case "signature":
		_, _, err := jwt.NewParser().ParseUnverified(token, claims)
		return err == nil && claims["sub"] != nil
	case "alg-none":
		_, err := jwt.NewParser().ParseWithClaims(token, claims, func(t *jwt.Token) (any, error) {
			if t.Method == jwt.SigningMethodNone {
				return jwt.UnsafeAllowNoneSignatureType, nil
			}
			return probeKey, nil
		})
		return err == nil
	}
	_, err := jwt.NewParser(jwt.WithValidMethods([]string{"HS256"})).ParseWithClaims(token, claims, func(*jwt.Token) (any, error) { return probeKey, nil })
	return err == nil
}

const probeSpec = `
provider: jwt
base_url: http://unused
headers: {X-Api-Key: k-1}
vars: {}
auth: {headers: {Authorization: "Bearer {{token}}"}}
probe: [missing, tampered, alg-none, wrong-scheme]
requests:
  login: {method: POST, path: /login, capture: {token: token}}
flows:
  - name: every call is probed
    steps:
      - login: {}
      - call: {path: /me, expect: {assert: ['json("sub") == "ann"']}}
  - name: a refusal with probes of its own
    probe: []
    steps:
      - login: {}
      - call: {path: /me}
      - expect-401: {path: /me, omit: [Authorization], probes: [tampered]}
`

func TestProbes(t *testing.T) {
	for _, tc := range []struct {
		lax    string
		caught string // the probe that must fail; "" for none
	}{
		{"", ""},
		{"missing", "probe Authorization left out"},
		{"signature", "probe Authorization with its JWT signature altered"},
		{"alg-none", "probe Authorization re-encoded with alg none and no signature"},
		{"scheme", "probe Authorization without its Bearer scheme"},
	} {
		t.Run("lax "+tc.lax, func(t *testing.T) {
			srv := jwtAPI(t, tc.lax)
			res := run(t, plan(t, srv.URL, probeSpec), runner.Config{})
			f := flow(t, res, "every call is probed")
			call := f.Steps[1]
			var probes, failed []string
			for _, c := range call.Checks {
				if c.Kind == runner.CheckProbe {
					probes = append(probes, c.Expr)
					if !c.Passed() {
						failed = append(failed, c.Expr)
					}
				}
			}
			if len(probes) != 10 || len(call.Exchanges) != 11 {
				t.Errorf("got %d probes and %d exchanges, want 10 and 11: %v", len(probes), len(call.Exchanges), probes)
			}
			switch {
			case tc.caught == "" && (f.Status != runner.Passed || len(failed) > 0):
				t.Errorf("a strict API: got %s, failed probes %v", f.Status, failed)
			case tc.caught != "" && (f.Status != runner.Failed || !contains(failed, tc.caught)):
				t.Errorf("got %s with failed probes %v; want %q among them", f.Status, failed, tc.caught)
			}
			own := flow(t, res, "a refusal with probes of its own")
			if n := len(own.Steps[1].Exchanges); n != 1 {
				t.Errorf("probe: [] on the flow: the call sent %d requests, want 1", n)
			}
			// Against a server that takes a missing token, the refusal itself
			// fails first and its probes are not sent.
			if n := len(own.Steps[2].Exchanges); tc.lax != "missing" && n != 4 {
				t.Errorf("expect-401 with probes: [tampered]: got %d exchanges, want 4 (its request and three probes)", n)
			}
			b, _ := json.Marshal(res)
			if strings.Contains(string(b), "eyJ") {
				t.Errorf("a token or a probe's altered token shows in the result")
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
