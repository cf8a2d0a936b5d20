package oauthtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/ory/fosite"
)

// The error descriptions of the invalid_token challenges. RFC 6750 §3
// allows only %x20-21 / %x23-5B / %x5D-7E in them: no quote, no backslash.
const (
	describeExpired   = "The access token expired"
	describeInactive  = "The access token is malformed, unknown or revoked"
	describeNotAccess = "The token is not an access token"
)

// me serves UserinfoPath and MePath: the subject of a live access token,
// and its user's name if a user granted it (the password grant; a
// client_credentials token has no username). The token is checked by
// fosite's IntrospectToken against the store, so a revoked token is
// refused as an expired one is.
//
// Refusals follow RFC 6750 §3: without a token, 401 with a bare challenge;
// with a bad token, 401 with error="invalid_token". Only the Authorization
// header is read (§2.1), and a header of another scheme counts as no token.
func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	token, ok := bearerToken(r)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="`+Realm+`"`)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	use, ar, err := s.provider.IntrospectToken(r.Context(), token, fosite.AccessToken, newSession())
	switch {
	case errors.Is(err, fosite.ErrTokenExpired):
		refuse(w, describeExpired)
		return
	case err != nil:
		refuse(w, describeInactive)
		return
	case use != fosite.AccessToken:
		// fosite's IntrospectToken also accepts a refresh token.
		refuse(w, describeNotAccess)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(struct {
		Subject  string `json:"sub"`
		Username string `json:"username,omitempty"`
	}{ar.GetSession().GetSubject(), ar.GetSession().GetUsername()})
}

// bearerToken reads the token of an "Authorization: Bearer" header; the
// scheme is case-insensitive (RFC 9110 §11.1).
func bearerToken(r *http.Request) (string, bool) {
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	token = strings.TrimSpace(token)
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", false
	}
	return token, true
}

// refuse answers 401 with an invalid_token challenge.
func refuse(w http.ResponseWriter, description string) {
	w.Header().Set("WWW-Authenticate", fmt.Sprintf(
		`Bearer realm="%s", error="invalid_token", error_description="%s"`, Realm, description))
	w.WriteHeader(http.StatusUnauthorized)
}
