// Package oauthtest runs a real OAuth 2.0 authorization server for tests,
// built on github.com/ory/fosite v0.49: fosite parses the requests,
// authenticates the clients, issues, rotates, revokes and introspects the
// tokens, in its memory store. This package only wires fosite together and
// adds what fosite leaves to its integrator: granting the requested scopes,
// the claims of the access tokens, the discovery document, the JSON Web
// Key Set and two resources protected by bearer tokens (RFC 6750).
//
// The server listens on 127.0.0.1 over plain HTTP and knows a fixed set of
// users and clients, exported as constants so that tests and example specs
// agree on them. It is meant for _test.go files only.
//
//	srv, err := oauthtest.Start(oauthtest.Options{})
//	if err != nil {
//		t.Fatal(err)
//	}
//	defer srv.Close()
//	form := url.Values{
//		"grant_type": {"password"},
//		"username":   {oauthtest.AliceUsername},
//		"password":   {oauthtest.AlicePassword},
//		"scope":      {"read offline"},
//	}
//	req, _ := http.NewRequest("POST", srv.URL+oauthtest.TokenPath, strings.NewReader(form.Encode()))
//	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
//	req.SetBasicAuth(oauthtest.BasicClientID, oauthtest.BasicClientSecret)
//	resp, err := srv.Client().Do(req)
//
// # Tokens
//
// The token endpoint serves the grants client_credentials, password and
// refresh_token. The scopes are read, write, openid, offline and
// offline_access; every requested scope is granted, and an unknown one is
// refused with invalid_scope.
//
// Access tokens are JWTs signed RS256 with the key of the JWK Set, its kid
// in the header, and the claims iss (Server.URL), sub (the user's subject,
// or the client ID for client_credentials), client_id, scope, iat, exp,
// jti and an empty aud.
//
// A refresh token is issued exactly when the granted scopes include offline
// or offline_access (fosite's default RefreshTokenScopes): by the password
// grant, and then by every refresh_token grant, which keeps the first
// grant's scopes. The client_credentials grant never issues one.
//
// Refresh tokens rotate. A refresh makes the presented refresh token
// inactive and, in fosite's memory store, revokes the grant's previous
// access token as well. Presenting a used refresh token again is refused
// with 400 invalid_grant ("The refresh token was already used."), and
// fosite then revokes the whole grant: the reused token is deleted, and the
// grant's current refresh token and access token are revoked, so that they
// too are refused from then on.
//
// Revocation (RFC 7009) of either token of a grant revokes both.
//
// No id_token is ever issued: fosite issues one only from the
// authorization endpoint's flows and from the refresh of their tokens, and
// this server has no authorization endpoint.
package oauthtest
