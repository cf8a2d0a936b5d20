package oauthtest

import (
	"net/http"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	bareChallenge     = `Bearer realm="oauthtest"`
	inactiveChallenge = `Bearer realm="oauthtest", error="invalid_token", error_description="` + describeInactive + `"`
)

// wantRefused checks a 401 of a protected resource and its challenge.
func wantRefused(t *testing.T, a answer, challenge string) {
	t.Helper()
	if a.status != http.StatusUnauthorized {
		t.Errorf("got status %d, want 401; body %s", a.status, a.raw)
	}
	if got := a.header.Values("WWW-Authenticate"); len(got) != 1 || got[0] != challenge {
		t.Errorf("got WWW-Authenticate %q, want %q", got, challenge)
	}
}

func TestMe(t *testing.T) {
	srv := start(t, Options{})
	alice, _ := wantTokens(t, passwordGrant(t, srv, basicClient(), AliceUsername, AlicePassword, "read"), "read", false)
	bob, _ := wantTokens(t, passwordGrant(t, srv, postClient(), BobUsername, BobPassword, "openid"), "openid", false)
	client, _ := wantTokens(t, clientCredentials(t, srv, postClient(), "read"), "read", false)
	tests := []struct {
		name         string
		token        string
		wantSubject  string
		wantUsername string
	}{
		{"alice", alice, AliceSubject, AliceUsername},
		{"bob", bob, BobSubject, BobUsername},
		{"client_credentials", client, PostClientID, ""},
	}
	for _, tt := range tests {
		for _, path := range []string{MePath, UserinfoPath} {
			t.Run(tt.name+path, func(t *testing.T) {
				a := get(t, srv, path, "Bearer "+tt.token)
				if a.status != http.StatusOK {
					t.Fatalf("got status %d, want 200; body %s", a.status, a.raw)
				}
				if a.str("sub") != tt.wantSubject || a.str("username") != tt.wantUsername {
					t.Errorf("got sub %q username %q, want %q %q", a.str("sub"), a.str("username"), tt.wantSubject, tt.wantUsername)
				}
			})
		}
	}
}

func TestBearerChallenges(t *testing.T) {
	srv := start(t, Options{})
	at, rt := wantTokens(t, passwordGrant(t, srv, basicClient(), AliceUsername, AlicePassword, "offline"), "offline", true)
	revoked, _ := wantTokens(t, passwordGrant(t, srv, basicClient(), BobUsername, BobPassword, "read"), "read", false)
	if a := post(t, srv, RevokePath, url.Values{"token": {revoked}}, basicClient()); a.status != http.StatusOK {
		t.Fatalf("revoke: got status %d, want 200; body %s", a.status, a.raw)
	}
	other := start(t, Options{})
	foreign, _ := wantTokens(t, clientCredentials(t, other, basicClient(), "read"), "read", false)
	tests := []struct {
		name          string
		authorization string
		challenge     string
	}{
		{"no Authorization header", "", bareChallenge},
		{"another scheme", "Token " + at, bareChallenge},
		{"HTTP Basic", "Basic YWxpY2U6YWxpY2UtcGFzc3dvcmQ=", bareChallenge},
		{"Bearer without a token", "Bearer", bareChallenge},
		{"not a token", "Bearer not-a-token", inactiveChallenge},
		{"revoked token", "Bearer " + revoked, inactiveChallenge},
		{"token of another server", "Bearer " + foreign, inactiveChallenge},
		{"refresh token", "Bearer " + rt,
			`Bearer realm="oauthtest", error="invalid_token", error_description="` + describeNotAccess + `"`},
	}
	for _, tt := range tests {
		for _, path := range []string{MePath, UserinfoPath} {
			t.Run(tt.name+path, func(t *testing.T) {
				wantRefused(t, get(t, srv, path, tt.authorization), tt.challenge)
			})
		}
	}
	t.Run("the scheme is case-insensitive", func(t *testing.T) {
		if a := get(t, srv, MePath, "bEARER "+at); a.status != http.StatusOK {
			t.Errorf("got status %d, want 200", a.status)
		}
	})
	t.Run("descriptions are RFC 6750 quoted-string safe", func(t *testing.T) {
		safe := regexp.MustCompile(`^[\x20-\x21\x23-\x5B\x5D-\x7E]*$`)
		for _, d := range []string{describeExpired, describeInactive, describeNotAccess} {
			if !safe.MatchString(d) {
				t.Errorf("description %q has a character RFC 6750 §3 forbids", d)
			}
		}
	})
}

func TestRevocation(t *testing.T) {
	srv := start(t, Options{})
	tests := []struct {
		name   string
		auth   clientAuth
		revoke string // which token is revoked: "access" or "refresh"
	}{
		{"access token by client_secret_basic", basicClient(), "access"},
		{"access token by client_secret_post", postClient(), "access"},
		{"refresh token by client_secret_basic", basicClient(), "refresh"},
		{"refresh token by client_secret_post", postClient(), "refresh"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at, rt := wantTokens(t, passwordGrant(t, srv, tt.auth, AliceUsername, AlicePassword, "read offline"), "read offline", true)
			token := map[string]string{"access": at, "refresh": rt}[tt.revoke]
			a := post(t, srv, RevokePath, url.Values{"token": {token}, "token_type_hint": {tt.revoke + "_token"}}, tt.auth)
			if a.status != http.StatusOK {
				t.Fatalf("revoke: got status %d, want 200; body %s", a.status, a.raw)
			}
			// fosite revokes every token of the grant, whichever was given.
			if introspect(t, srv, at) || introspect(t, srv, rt) {
				t.Errorf("after revocation: got a token active, want both inactive")
			}
			wantRefused(t, get(t, srv, MePath, "Bearer "+at), inactiveChallenge)
			wantError(t, refresh(t, srv, tt.auth, rt), 400, "invalid_grant")
		})
	}
	t.Run("the wrong client authentication method is refused", func(t *testing.T) {
		at, _ := wantTokens(t, passwordGrant(t, srv, basicClient(), AliceUsername, AlicePassword, "read"), "read", false)
		basicAsPost := clientAuth{viaPOST: true, id: BasicClientID, secret: BasicClientSecret}
		wantError(t, post(t, srv, RevokePath, url.Values{"token": {at}}, basicAsPost), 401, "invalid_client")
		if !introspect(t, srv, at) {
			t.Errorf("after a refused revocation: got the token inactive, want active")
		}
	})
}

func TestIntrospection(t *testing.T) {
	srv := start(t, Options{})
	at, rt := wantTokens(t, passwordGrant(t, srv, postClient(), AliceUsername, AlicePassword, "read offline"), "read offline", true)
	t.Run("a live access token", func(t *testing.T) {
		// fosite takes HTTP Basic from every client at introspection,
		// post-client included.
		a := post(t, srv, IntrospectPath, url.Values{"token": {at}}, clientAuth{id: PostClientID, secret: PostClientSecret})
		want := map[string]any{
			"active": true, "sub": AliceSubject, "username": AliceUsername,
			"client_id": PostClientID, "scope": "read offline", "iss": srv.URL,
		}
		for k, v := range want {
			if a.body[k] != v {
				t.Errorf("got %s %v, want %v; body %s", k, a.body[k], v, a.raw)
			}
		}
		if exp, _ := a.body["exp"].(float64); exp < float64(time.Now().Add(59*time.Minute).Unix()) {
			t.Errorf("got exp %v, want about an hour from now", a.body["exp"])
		}
	})
	t.Run("a live refresh token", func(t *testing.T) {
		if !introspect(t, srv, rt) {
			t.Errorf("got inactive, want active")
		}
	})
	t.Run("an unknown token", func(t *testing.T) {
		if introspect(t, srv, "not-a-token") {
			t.Errorf("got active, want inactive")
		}
	})
	t.Run("without client credentials", func(t *testing.T) {
		a := post(t, srv, IntrospectPath, url.Values{"token": {at}}, clientAuth{viaPOST: true})
		if a.status != http.StatusUnauthorized || a.body["active"] == true {
			t.Errorf("got %d %s, want 401 and no answer on the token", a.status, a.raw)
		}
	})
}

// unverifiedClaims reads the claims of a JWT without checking it.
func unverifiedClaims(t *testing.T, token string) jwt.MapClaims {
	t.Helper()
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(token, claims); err != nil {
		t.Fatalf("token %q: %v", token, err)
	}
	return claims
}

func TestExpiredAccessToken(t *testing.T) {
	srv := start(t, Options{AccessTokenLifespan: time.Millisecond})
	// The password grant's token comes first, so that the wait below
	// passes a second boundary after its iat.
	a := passwordGrant(t, srv, basicClient(), AliceUsername, AlicePassword, "read offline")
	if a.status != http.StatusOK {
		t.Fatalf("password grant: got status %d, want 200; body %s", a.status, a.raw)
	}
	first, rt := a.str("access_token"), a.str("refresh_token")
	a = clientCredentials(t, srv, basicClient(), "read")
	if a.status != http.StatusOK {
		t.Fatalf("client_credentials: got status %d, want 200; body %s", a.status, a.raw)
	}
	at := a.str("access_token")
	exp, err := unverifiedClaims(t, at).GetExpirationTime()
	if err != nil || exp == nil {
		t.Fatalf("got exp %v (%v), want one", exp, err)
	}
	// fosite accepts a token during all of its exp second: wait for the
	// next one, at most a second.
	time.Sleep(time.Until(exp.Add(time.Second)) + 20*time.Millisecond)
	for _, path := range []string{MePath, UserinfoPath} {
		wantRefused(t, get(t, srv, path, "Bearer "+at),
			`Bearer realm="oauthtest", error="invalid_token", error_description="`+describeExpired+`"`)
	}
	if introspect(t, srv, at) {
		t.Errorf("introspect: got active, want inactive")
	}

	t.Run("the refresh token outlives it, and a new token has its own iat", func(t *testing.T) {
		a := refresh(t, srv, basicClient(), rt)
		if a.status != http.StatusOK {
			t.Fatalf("refresh: got status %d, want 200; body %s", a.status, a.raw)
		}
		before, _ := unverifiedClaims(t, first).GetIssuedAt()
		after, _ := unverifiedClaims(t, a.str("access_token")).GetIssuedAt()
		if before == nil || after == nil || !after.After(before.Time) {
			t.Errorf("got iat %v after the refresh, want later than %v", after, before)
		}
	})
}
