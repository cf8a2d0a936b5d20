package oauthtest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

// start starts a server that the test closes.
func start(t *testing.T, opts Options) *Server {
	t.Helper()
	srv, err := Start(opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(srv.Close)
	return srv
}

// clientAuth puts a client's credentials on a token, revocation or
// introspection request.
type clientAuth struct {
	name    string
	viaPOST bool
	id      string
	secret  string
}

func (a clientAuth) apply(req *http.Request, form url.Values) {
	if a.viaPOST {
		form.Set("client_id", a.id)
		form.Set("client_secret", a.secret)
		return
	}
	// RFC 6749 §2.3.1: the id and the secret are form-encoded first.
	req.SetBasicAuth(url.QueryEscape(a.id), url.QueryEscape(a.secret))
}

func basicClient() clientAuth {
	return clientAuth{name: "client_secret_basic", id: BasicClientID, secret: BasicClientSecret}
}

func postClient() clientAuth {
	return clientAuth{name: "client_secret_post", viaPOST: true, id: PostClientID, secret: PostClientSecret}
}

// answer is an HTTP answer with its JSON body decoded, if it has one.
type answer struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

// str is the string member key of the body, "" if there is none.
func (a answer) str(key string) string {
	s, _ := a.body[key].(string)
	return s
}

// send sends req and reads its answer.
func send(t *testing.T, srv *Server, req *http.Request) answer {
	t.Helper()
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", req.Method, req.URL.Path, err)
	}
	a := answer{status: resp.StatusCode, header: resp.Header, raw: raw}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &a.body); err != nil {
			t.Fatalf("%s %s: body %q: %v", req.Method, req.URL.Path, raw, err)
		}
	}
	return a
}

// post posts form to path, authenticated by auth.
func post(t *testing.T, srv *Server, path string, form url.Values, auth clientAuth) answer {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	auth.apply(req, form)
	req.Body = io.NopCloser(strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return send(t, srv, req)
}

// get gets path with the given Authorization header, none if "".
func get(t *testing.T, srv *Server, path, authorization string) answer {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	return send(t, srv, req)
}

func passwordGrant(t *testing.T, srv *Server, auth clientAuth, username, password, scope string) answer {
	t.Helper()
	return post(t, srv, TokenPath, url.Values{
		"grant_type": {"password"}, "username": {username}, "password": {password}, "scope": {scope},
	}, auth)
}

func clientCredentials(t *testing.T, srv *Server, auth clientAuth, scope string) answer {
	t.Helper()
	return post(t, srv, TokenPath, url.Values{"grant_type": {"client_credentials"}, "scope": {scope}}, auth)
}

func refresh(t *testing.T, srv *Server, auth clientAuth, refreshToken string) answer {
	t.Helper()
	return post(t, srv, TokenPath, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}}, auth)
}

// introspect asks whether token is active, as basic-client.
func introspect(t *testing.T, srv *Server, token string) bool {
	t.Helper()
	a := post(t, srv, IntrospectPath, url.Values{"token": {token}}, basicClient())
	if a.status != http.StatusOK {
		t.Fatalf("introspect: got status %d, want 200; body %s", a.status, a.raw)
	}
	active, ok := a.body["active"].(bool)
	if !ok {
		t.Fatalf("introspect: got body %s, want an active member", a.raw)
	}
	return active
}

// wantTokens checks a successful token answer (RFC 6749 §5.1) and returns
// its access token and refresh token.
func wantTokens(t *testing.T, a answer, scope string, withRefresh bool) (access, refresh string) {
	t.Helper()
	if a.status != http.StatusOK {
		t.Fatalf("got status %d, want 200; body %s", a.status, a.raw)
	}
	if got := a.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("got Cache-Control %q, want no-store", got)
	}
	if got := a.str("token_type"); !strings.EqualFold(got, "bearer") {
		t.Errorf("got token_type %q, want bearer", got)
	}
	if got, _ := a.body["expires_in"].(float64); got < 3590 || got > 3600 {
		t.Errorf("got expires_in %v, want about 3600", a.body["expires_in"])
	}
	if got := a.str("scope"); got != scope {
		t.Errorf("got scope %q, want %q", got, scope)
	}
	access, refresh = a.str("access_token"), a.str("refresh_token")
	if strings.Count(access, ".") != 2 {
		t.Errorf("got access_token %q, want a JWT", access)
	}
	if withRefresh != (refresh != "") {
		t.Errorf("got refresh_token %q, want one: %v", refresh, withRefresh)
	}
	return access, refresh
}

// wantError checks an error answer (RFC 6749 §5.2).
func wantError(t *testing.T, a answer, status int, code string) {
	t.Helper()
	if a.status != status || a.str("error") != code {
		t.Errorf("got %d %q, want %d %q; body %s", a.status, a.str("error"), status, code, a.raw)
	}
	if got := a.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("got Cache-Control %q, want no-store", got)
	}
}

func TestGrants(t *testing.T) {
	srv := start(t, Options{})
	for _, auth := range []clientAuth{basicClient(), postClient()} {
		t.Run("client_credentials/"+auth.name, func(t *testing.T) {
			wantTokens(t, clientCredentials(t, srv, auth, "read write"), "read write", false)
		})
		t.Run("password/"+auth.name, func(t *testing.T) {
			a := passwordGrant(t, srv, auth, AliceUsername, AlicePassword, "read write")
			wantTokens(t, a, "read write", false)
		})
		t.Run("refresh_token/"+auth.name, func(t *testing.T) {
			a := passwordGrant(t, srv, auth, BobUsername, BobPassword, "read offline_access")
			_, rt := wantTokens(t, a, "read offline_access", true)
			wantTokens(t, refresh(t, srv, auth, rt), "read offline_access", true)
		})
	}
}

func TestRefreshTokenIssuedWithOfflineScope(t *testing.T) {
	srv := start(t, Options{})
	tests := []struct {
		name              string
		clientCredentials bool
		scope             string
		wantRefresh       bool
	}{
		{"password without offline", false, "read openid", false},
		{"password with offline", false, "read offline", true},
		{"password with offline_access", false, "offline_access", true},
		{"password without scope", false, "", false},
		{"client_credentials with offline", true, "read offline", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var a answer
			if tt.clientCredentials {
				a = clientCredentials(t, srv, basicClient(), tt.scope)
			} else {
				a = passwordGrant(t, srv, basicClient(), AliceUsername, AlicePassword, tt.scope)
			}
			wantTokens(t, a, tt.scope, tt.wantRefresh)
		})
	}
}

func TestTokenRefusals(t *testing.T) {
	srv := start(t, Options{})
	basicAsPost := clientAuth{viaPOST: true, id: BasicClientID, secret: BasicClientSecret}
	postAsBasic := clientAuth{id: PostClientID, secret: PostClientSecret}
	wrongSecret := clientAuth{id: BasicClientID, secret: "wrong"}
	tests := []struct {
		name   string
		auth   clientAuth
		user   string
		pass   string
		scope  string
		status int
		code   string
	}{
		{"basic-client in the form body", basicAsPost, AliceUsername, AlicePassword, "read", 401, "invalid_client"},
		{"post-client by HTTP Basic", postAsBasic, AliceUsername, AlicePassword, "read", 401, "invalid_client"},
		{"wrong client secret", wrongSecret, AliceUsername, AlicePassword, "read", 401, "invalid_client"},
		{"unknown client", clientAuth{id: "nobody", secret: "x"}, AliceUsername, AlicePassword, "read", 401, "invalid_client"},
		{"wrong password", basicClient(), AliceUsername, BobPassword, "read", 400, "invalid_grant"},
		{"unknown user", postClient(), "carol", "carol-password", "read", 400, "invalid_grant"},
		{"unknown scope", basicClient(), AliceUsername, AlicePassword, "read admin", 400, "invalid_scope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, passwordGrant(t, srv, tt.auth, tt.user, tt.pass, tt.scope), tt.status, tt.code)
		})
	}
	t.Run("client_credentials by the wrong method", func(t *testing.T) {
		wantError(t, clientCredentials(t, srv, basicAsPost, "read"), 401, "invalid_client")
		wantError(t, clientCredentials(t, srv, postAsBasic, "read"), 401, "invalid_client")
	})
	t.Run("Basic credentials are form-decoded", func(t *testing.T) {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+TokenPath,
			strings.NewReader("grant_type=client_credentials&scope=read"))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		// "%2D" is "-" once form-decoded (RFC 6749 §2.3.1).
		req.SetBasicAuth("basic%2Dclient", "basic%2Dsecret")
		wantTokens(t, send(t, srv, req), "read", false)
	})
}

func TestRefreshRotationAndReuse(t *testing.T) {
	srv := start(t, Options{})
	at1, rt1 := wantTokens(t, passwordGrant(t, srv, basicClient(), AliceUsername, AlicePassword, "read offline"), "read offline", true)

	at2, rt2 := wantTokens(t, refresh(t, srv, basicClient(), rt1), "read offline", true)
	if rt2 == rt1 || at2 == at1 {
		t.Fatalf("refresh: got the same tokens again, want new ones")
	}
	// fosite's memory store revokes the grant's previous access token
	// when it rotates the refresh token.
	if introspect(t, srv, at1) {
		t.Errorf("the access token before the refresh: got active, want inactive")
	}
	if !introspect(t, srv, at2) || !introspect(t, srv, rt2) {
		t.Fatalf("the tokens of the refresh: got inactive, want active")
	}
	if a := get(t, srv, MePath, "Bearer "+at2); a.status != 200 || a.str("username") != AliceUsername {
		t.Errorf("%s with the refreshed token: got %d %s, want 200 and alice", MePath, a.status, a.raw)
	}
	if introspect(t, srv, rt1) {
		t.Errorf("the used refresh token: got active, want inactive")
	}

	t.Run("another client may not use the refresh token", func(t *testing.T) {
		wantError(t, refresh(t, srv, postClient(), rt2), 400, "invalid_grant")
	})

	// Reuse of a used refresh token is refused, and fosite then revokes
	// the whole grant: the current refresh token and access token too.
	wantError(t, refresh(t, srv, basicClient(), rt1), 400, "invalid_grant")
	if introspect(t, srv, at2) || introspect(t, srv, rt2) {
		t.Errorf("the tokens of the grant after the reuse: got active, want inactive")
	}
	wantError(t, refresh(t, srv, basicClient(), rt2), 400, "invalid_grant")
	if a := get(t, srv, MePath, "Bearer "+at2); a.status != 401 {
		t.Errorf("%s after the reuse: got %d, want 401", MePath, a.status)
	}
	// The reused token itself is forgotten.
	wantError(t, refresh(t, srv, basicClient(), rt1), 400, "invalid_grant")
}

func TestCloseLeavesNoGoroutine(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	srv, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	wantTokens(t, passwordGrant(t, srv, basicClient(), AliceUsername, AlicePassword, "read offline"), "read offline", true)
	srv.Close()
}
