package oauthtest

import (
	"net/http"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/oauth2"
	"github.com/ory/fosite/token/jwt"
)

// token serves RFC 6749 §3.2 through fosite, which authenticates the
// client, runs the grant, and writes the answer or the error with
// Cache-Control: no-store.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ar, err := s.provider.NewAccessRequest(ctx, r, newSession())
	if err != nil {
		s.provider.WriteAccessError(ctx, w, ar, err)
		return
	}
	s.prepare(ar)
	resp, err := s.provider.NewAccessResponse(ctx, ar)
	if err != nil {
		s.provider.WriteAccessError(ctx, w, ar, err)
		return
	}
	s.provider.WriteAccessResponse(ctx, w, ar, resp)
}

// prepare does what fosite leaves to its integrator between checking a
// token request and issuing its tokens: grant the requested scopes, which
// fosite has already checked against the client's, and fill the claims of
// the access token.
func (s *Server) prepare(ar fosite.AccessRequester) {
	// The refresh_token grant swaps in a copy of the first session, so
	// the session is read from ar, not kept from newSession.
	sess, ok := ar.GetSession().(*oauth2.JWTSession)
	if !ok {
		return // not one of newSession's: fosite's JWT strategy will refuse it
	}
	grants := ar.GetGrantTypes()
	if grants.ExactOne("client_credentials") || grants.ExactOne("password") {
		// The refresh_token grant grants the first request's scopes itself.
		for _, scope := range ar.GetRequestedScopes() {
			ar.GrantScope(scope)
		}
	}
	switch {
	case grants.ExactOne("client_credentials"):
		sess.Subject = ar.GetClient().GetID()
	case grants.ExactOne("password"):
		// fosite's password grant sets the subject Authenticate answered.
		sess.Username = s.usernames[sess.Subject]
	}
	if sess.JWTClaims == nil {
		sess.JWTClaims = &jwt.JWTClaims{}
	}
	sess.JWTClaims.Subject = sess.Subject
	// fosite fills iat only when it is zero, and a refreshed session
	// carries the iat of the first token.
	sess.JWTClaims.IssuedAt = time.Time{}
	// RFC 9068 §2.2.
	sess.JWTClaims.Add("client_id", ar.GetClient().GetID())
}

// revoke serves RFC 7009 through fosite, which authenticates the client as
// the token endpoint does and revokes every token of the grant the given
// token belongs to: the access token and the refresh token alike.
func (s *Server) revoke(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	err := s.provider.NewRevocationRequest(ctx, r)
	s.provider.WriteRevocationResponse(ctx, w, err)
}

// introspect serves RFC 7662 through fosite. fosite authenticates the
// caller by HTTP Basic for every client, whatever its token endpoint
// method, or by a bearer access token; an unknown, revoked or expired
// token answers 200 {"active": false}.
func (s *Server) introspect(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ir, err := s.provider.NewIntrospectionRequest(ctx, r, newSession())
	if err != nil {
		s.provider.WriteIntrospectionError(ctx, w, err)
		return
	}
	s.provider.WriteIntrospectionResponse(ctx, w, ir)
}
