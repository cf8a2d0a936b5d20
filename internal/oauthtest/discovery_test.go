package oauthtest

import (
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
)

func TestDiscovery(t *testing.T) {
	srv := start(t, Options{})
	a := get(t, srv, DiscoveryPath, "")
	if a.status != http.StatusOK {
		t.Fatalf("got status %d, want 200; body %s", a.status, a.raw)
	}
	endpoints := map[string]string{
		"issuer":                 srv.URL,
		"token_endpoint":         srv.URL + TokenPath,
		"revocation_endpoint":    srv.URL + RevokePath,
		"introspection_endpoint": srv.URL + IntrospectPath,
		"userinfo_endpoint":      srv.URL + UserinfoPath,
		"jwks_uri":               srv.URL + JWKSPath,
	}
	for k, want := range endpoints {
		got := a.str(k)
		if got != want {
			t.Errorf("got %s %q, want %q", k, got, want)
		}
		if u, err := url.Parse(got); err != nil || !u.IsAbs() || !strings.HasPrefix(got, srv.URL) {
			t.Errorf("got %s %q, want an absolute URL under the issuer", k, got)
		}
	}
	lists := map[string][]any{
		"grant_types_supported":                         {"client_credentials", "password", "refresh_token"},
		"token_endpoint_auth_methods_supported":         {"client_secret_basic", "client_secret_post"},
		"revocation_endpoint_auth_methods_supported":    {"client_secret_basic", "client_secret_post"},
		"introspection_endpoint_auth_methods_supported": {"client_secret_basic"},
		"scopes_supported":                              {"read", "write", "openid", "offline", "offline_access"},
		"response_types_supported":                      {},
		"subject_types_supported":                       {"public"},
		"id_token_signing_alg_values_supported":         {"RS256"},
	}
	for k, want := range lists {
		if got := a.body[k]; !reflect.DeepEqual(got, want) {
			t.Errorf("got %s %v, want %v", k, got, want)
		}
	}
	if len(a.body) != len(endpoints)+len(lists) {
		t.Errorf("got %d members, want %d; body %s", len(a.body), len(endpoints)+len(lists), a.raw)
	}
}

func TestAccessTokenVerifiesWithJWKS(t *testing.T) {
	srv := start(t, Options{})
	set := get(t, srv, JWKSPath, "")
	if set.status != http.StatusOK {
		t.Fatalf("jwks: got status %d, want 200; body %s", set.status, set.raw)
	}
	k, err := keyfunc.NewJWKSetJSON(set.raw)
	if err != nil {
		t.Fatalf("jwks %s: %v", set.raw, err)
	}
	tests := []struct {
		name        string
		answer      func() answer
		wantSubject string
	}{
		{"password", func() answer {
			return passwordGrant(t, srv, basicClient(), AliceUsername, AlicePassword, "read write")
		}, AliceSubject},
		{"client_credentials", func() answer {
			return clientCredentials(t, srv, postClient(), "read write")
		}, PostClientID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at, _ := wantTokens(t, tt.answer(), "read write", false)
			claims := jwt.MapClaims{}
			tok, err := jwt.ParseWithClaims(at, claims, k.Keyfunc,
				jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer(srv.URL), jwt.WithSubject(tt.wantSubject),
				jwt.WithIssuedAt(), jwt.WithExpirationRequired())
			if err != nil {
				t.Fatalf("got %v, want a valid token; claims %v", err, claims)
			}
			keys, _ := set.body["keys"].([]any)
			key, _ := keys[0].(map[string]any)
			if tok.Header["kid"] == nil || tok.Header["kid"] != key["kid"] {
				t.Errorf("got kid %v, want the JWKS's %v", tok.Header["kid"], key["kid"])
			}
			iat, _ := claims.GetIssuedAt()
			exp, _ := claims.GetExpirationTime()
			if life := exp.Sub(iat.Time).Seconds(); life < 3599 || life > 3601 {
				t.Errorf("got exp - iat %vs, want 3600s", life)
			}
			if claims["scope"] != "read write" {
				t.Errorf("got scope claim %v, want \"read write\"", claims["scope"])
			}
		})
	}
	t.Run("a token of another key is refused", func(t *testing.T) {
		other := start(t, Options{})
		at, _ := wantTokens(t, clientCredentials(t, other, basicClient(), "read"), "read", false)
		if _, err := jwt.Parse(at, k.Keyfunc); err == nil {
			t.Errorf("got a valid token, want it refused")
		}
	})
}

func TestNoRevocation(t *testing.T) {
	srv := start(t, Options{NoRevocation: true})
	at, _ := wantTokens(t, passwordGrant(t, srv, basicClient(), AliceUsername, AlicePassword, "read"), "read", false)
	if a := post(t, srv, RevokePath, url.Values{"token": {at}}, basicClient()); a.status != http.StatusNotFound {
		t.Errorf("revoke: got status %d, want 404", a.status)
	}
	if !introspect(t, srv, at) {
		t.Errorf("introspect: got inactive, want active")
	}
	d := get(t, srv, DiscoveryPath, "")
	for _, k := range []string{"revocation_endpoint", "revocation_endpoint_auth_methods_supported"} {
		if v, ok := d.body[k]; ok {
			t.Errorf("got %s %v, want none", k, v)
		}
	}
	if d.str("token_endpoint") != srv.URL+TokenPath {
		t.Errorf("got token_endpoint %q, want %q", d.str("token_endpoint"), srv.URL+TokenPath)
	}
}
