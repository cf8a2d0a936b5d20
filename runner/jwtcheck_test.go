package runner_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/flowrun/flowrun/flows"
	"github.com/flowrun/flowrun/runner"
)

// keyring is one signing key of each kind, with what verifies it.
type keyring struct {
	hmac        []byte
	rsa         *rsa.PrivateKey
	ec          *ecdsa.PrivateKey
	rsaPEM      string
	ecPEM       string
	otherRSAPEM string
}

func newKeyring(t *testing.T) keyring {
	k := keyring{hmac: []byte("hs256-shared-secret-0123456789")}
	var err error
	if k.rsa, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	if k.ec, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		t.Fatal(err)
	}
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	dir := t.TempDir()
	write := func(name string, pub any) string {
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, name)
		os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o644)
		return path
	}
	k.rsaPEM, k.ecPEM, k.otherRSAPEM = write("rsa.pem", &k.rsa.PublicKey), write("ec.pem", &k.ec.PublicKey), write("other.pem", &other.PublicKey)
	return k
}

// tokenAPI signs a token per method on /login/{method} and serves the
// RSA and EC public keys as a JWK Set on /jwks.
func tokenAPI(t *testing.T, k keyring) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/login/{method}", func(w http.ResponseWriter, r *http.Request) {
		now := time.Now()
		claims := jwt.MapClaims{"sub": "ann", "iss": "https://auth.test", "aud": []string{"members"},
			"iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
		if r.URL.Query().Get("card") != "" {
			claims["pan"], claims["note"] = "4111 1111 1111 1111", "4111111111111111"
		}
		var tok string
		switch r.PathValue("method") {
		case "HS256":
			tok, _ = jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(k.hmac)
		case "RS256":
			t := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
			t.Header["kid"] = "rsa-1"
			tok, _ = t.SignedString(k.rsa)
		case "ES256":
			t := jwt.NewWithClaims(jwt.SigningMethodES256, claims)
			t.Header["kid"] = "ec-1"
			tok, _ = t.SignedString(k.ec)
		}
		fmt.Fprintf(w, `{"access_token":%q,"expires_in":3600}`, tok)
	})
	b64 := func(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"keys": []any{
			map[string]any{"kty": "RSA", "kid": "rsa-1", "alg": "RS256", "use": "sig",
				"n": b64(k.rsa.N.Bytes()), "e": b64(big.NewInt(int64(k.rsa.E)).Bytes())},
			map[string]any{"kty": "EC", "kid": "ec-1", "alg": "ES256", "use": "sig", "crv": "P-256",
				"x": b64(k.ec.X.FillBytes(make([]byte, 32))), "y": b64(k.ec.Y.FillBytes(make([]byte, 32)))},
		}})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func jwtStep(method, extra string) string {
	return fmt.Sprintf(`
provider: jwt
base_url: http://unused
vars: {secret: hs256-shared-secret-0123456789}
secrets: [secret]
flows:
  - name: check
    steps:
      - login:
          path: /login/%s
          capture: {access_token: access_token}
          expect:
            jwt: {lifetime: 1h, expires_in: expires_in, sub: ann, iss: "https://auth.test", aud: members%s}
`, method, extra)
}

func TestJWTChecks(t *testing.T) {
	k := newKeyring(t)
	srv := tokenAPI(t, k)
	for _, tc := range []struct {
		name, method, extra string
		failed              string // the check that must fail; "" for none
	}{
		{"HS256 with the HMAC secret", "HS256", `, hmac: "{{secret}}"`, ""},
		{"HS256 with a wrong secret", "HS256", `, hmac: wrong-secret`, "jwt: HS256 signature verifies with the HMAC secret"},
		{"RS256 with the PEM key", "RS256", ", pem: " + k.rsaPEM, ""},
		{"RS256 with another key", "RS256", ", pem: " + k.otherRSAPEM, "jwt: RS256 signature verifies with " + k.otherRSAPEM},
		{"RS256 with the JWK Set", "RS256", `, jwks: "` + srv.URL + `/jwks"`, ""},
		{"ES256 with the PEM key", "ES256", ", pem: " + k.ecPEM, ""},
		{"ES256 with the JWK Set", "ES256", `, jwks: "` + srv.URL + `/jwks"`, ""},
		{"ES256 with an RSA key", "ES256", ", pem: " + k.rsaPEM, "jwt: ES256 signature verifies with " + k.rsaPEM},
		{"a lifetime that is not", "HS256", ", lifetime: 24h", "jwt: lifetime"},
		{"another subject", "HS256", ", sub: bob", "jwt: sub"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := jwtStep(tc.method, tc.extra)
			if strings.Contains(tc.extra, "lifetime: 24h") || strings.Contains(tc.extra, "sub: bob") {
				src = strings.Replace(strings.Replace(src, "lifetime: 1h, ", "", 1), "sub: ann, ", "", 1)
			}
			res := run(t, plan(t, srv.URL, src), runner.Config{})
			st := res.Specs[0].Flows[0].Steps[0]
			var failed []string
			jwtChecks := 0
			for _, c := range st.Checks {
				if c.Kind == runner.CheckJWT {
					jwtChecks++
					if !c.Passed() {
						failed = append(failed, c.Expr)
					}
				}
			}
			switch {
			case tc.failed == "" && (st.Status != runner.Passed || jwtChecks < 6):
				t.Errorf("got %s with %d jwt checks, failed %v; want every check passed", st.Status, jwtChecks, failed)
			case tc.failed != "" && (st.Status != runner.Failed || !contains(failed, tc.failed)):
				t.Errorf("got %s, failed %v; want %q failed", st.Status, failed, tc.failed)
			}
			if b, _ := json.Marshal(res); strings.Contains(string(b), "eyJ") {
				t.Error("the token shows in the result")
			}
		})
	}
}

func TestJWTSensitiveClaimsAndExpiry(t *testing.T) {
	k := newKeyring(t)
	srv := tokenAPI(t, k)
	p := plan(t, srv.URL, `
provider: jwt
base_url: http://unused
flows:
  - name: card
    steps:
      - login: {path: "/login/HS256?card=1", capture: {access_token: access_token}, expect: {jwt: {no_sensitive_claims: true}}}
`)
	st := run(t, p, runner.Config{}).Specs[0].Flows[0].Steps[0]
	c := st.Checks[len(st.Checks)-1]
	if st.Status != runner.Failed || c.Expr != "jwt: no sensitive claims" || c.Actual.Text != "note, pan" {
		t.Errorf("got %s, %s = %q (%s)", st.Status, c.Expr, c.Actual.Text, c.Message)
	}
	// A token read later than its exp has expired.
	cfg := runner.Config{Now: func() time.Time { return time.Now().Add(2 * time.Hour) }}
	st = run(t, plan(t, srv.URL, jwtStep("HS256", "")), cfg).Specs[0].Flows[0].Steps[0]
	if st.Status != runner.Failed || st.Checks[1].Expr != "jwt: exp is in the future" || st.Checks[1].Passed() {
		t.Errorf("an expired token: got %s, %+v", st.Status, st.Checks[1])
	}
}

func TestJWTBlockProblemsAreSpecErrors(t *testing.T) {
	spec, err := flows.Parse("x.yaml", []byte(`
provider: jwt
base_url: http://h
flows:
  - name: f
    steps:
      - request: {path: /, expect: {jwt: {lifetime: 1h, hmac: k, jwks: "http://h/jwks"}}}
      - request: {path: /, expect: {jwt: {lifetime: 1h}}}
`), func(string) (string, bool) { return "", false })
	if err == nil || !strings.Contains(err.Error(), "give one of hmac, pem and jwks") {
		t.Errorf("got %v", err)
	}
	if _, err := runner.Compile(spec); err == nil || !strings.Contains(err.Error(), "jwt: the step captures nothing") {
		t.Errorf("got %v", err)
	}
}
