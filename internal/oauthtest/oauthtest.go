package oauthtest

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v3"
	"github.com/ory/fosite"
	"github.com/ory/fosite/compose"
	"github.com/ory/fosite/handler/oauth2"
	"github.com/ory/fosite/storage"
	"github.com/ory/fosite/token/jwt"
)

// The users known to the server, for the password grant. A user's subject
// (the "sub" of its tokens) differs from its username on purpose, as it
// does at most providers.
const (
	AliceUsername = "alice"
	AlicePassword = "alice-password"
	AliceSubject  = "248289761001"
	BobUsername   = "bob"
	BobPassword   = "bob-password"
	BobSubject    = "248289761002"
)

// The clients known to the server. Both may use every grant and every
// scope. BasicClientID authenticates only by HTTP Basic
// (client_secret_basic), PostClientID only by client_id and client_secret
// in the form body (client_secret_post); fosite refuses the other method
// with invalid_client. A client_credentials token's subject is its client
// ID.
const (
	BasicClientID     = "basic-client"
	BasicClientSecret = "basic-secret"
	PostClientID      = "post-client"
	PostClientSecret  = "post-secret"
)

// The paths of the server's endpoints, under Server.URL.
const (
	TokenPath      = "/oauth2/token"
	RevokePath     = "/oauth2/revoke"
	IntrospectPath = "/oauth2/introspect"
	DiscoveryPath  = "/.well-known/openid-configuration"
	JWKSPath       = "/.well-known/jwks.json"
	UserinfoPath   = "/userinfo"
	MePath         = "/api/me"
)

// Realm is the realm of the bearer challenges of UserinfoPath and MePath.
const Realm = "oauthtest"

// scopes lists the scopes a client may request.
func scopes() []string { return []string{"read", "write", "openid", "offline", "offline_access"} }

// Options configures a Server. The zero value is a server with revocation,
// one-hour access tokens and one-day refresh tokens.
type Options struct {
	// AccessTokenLifespan is how long an access token lives; 1h if zero.
	// Access tokens are JWTs whose exp is a whole second, and fosite
	// accepts a token during all of its exp second.
	AccessTokenLifespan time.Duration
	// RefreshTokenLifespan is how long a refresh token lives; 24h if zero.
	RefreshTokenLifespan time.Duration
	// NoRevocation makes a typical OpenID Connect provider without
	// logout: RevokePath answers 404 and the discovery document has no
	// revocation_endpoint.
	NoRevocation bool
}

// Server is a running authorization server.
type Server struct {
	// URL is the issuer, http://127.0.0.1:PORT; the endpoints are the
	// *Path constants under it.
	URL string

	srv       *httptest.Server
	provider  fosite.OAuth2Provider
	usernames map[string]string // subject → username
	discovery []byte
	jwks      []byte
}

// Start starts a server on a free port of 127.0.0.1.
func Start(opts Options) (*Server, error) {
	if opts.AccessTokenLifespan == 0 {
		opts.AccessTokenLifespan = time.Hour
	}
	if opts.RefreshTokenLifespan == 0 {
		opts.RefreshTokenLifespan = 24 * time.Hour
	}
	key, err := newSigningKey()
	if err != nil {
		return nil, err
	}
	s := &Server{usernames: map[string]string{AliceSubject: AliceUsername, BobSubject: BobUsername}}
	mux := http.NewServeMux()
	// Every field of s is set before the server starts: the issuer is
	// known as soon as the listener exists, and no request comes in before.
	// One request at a time: fosite's memory store writes some of its maps
	// without holding its lock (revoking a refresh token), which the race
	// detector reports when two flows refresh or revoke at once.
	var one sync.Mutex
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		one.Lock()
		defer one.Unlock()
		mux.ServeHTTP(w, r)
	}))
	s.URL = "http://" + s.srv.Listener.Addr().String()
	if err := s.build(key, opts); err != nil {
		s.srv.Close()
		return nil, err
	}
	s.routes(mux, opts)
	s.srv.Start()
	return s, nil
}

// build makes what the handlers serve, for the issuer s.URL.
func (s *Server) build(key *jose.JSONWebKey, opts Options) error {
	var err error
	if s.provider, err = newProvider(s.URL, key, opts); err != nil {
		return err
	}
	if s.discovery, err = discoveryDocument(s.URL, opts); err != nil {
		return err
	}
	s.jwks, err = keySet(key)
	return err
}

// Close shuts the server down and closes the idle connections of Client.
func (s *Server) Close() { s.srv.Close() }

// Client returns an HTTP client for the server, whose idle connections
// Close closes.
func (s *Server) Client() *http.Client { return s.srv.Client() }

func (s *Server) routes(mux *http.ServeMux, opts Options) {
	mux.HandleFunc("POST "+TokenPath, s.token)
	if !opts.NoRevocation {
		mux.HandleFunc("POST "+RevokePath, s.revoke)
	}
	mux.HandleFunc("POST "+IntrospectPath, s.introspect)
	mux.HandleFunc("GET "+DiscoveryPath, serveJSON(s.discovery))
	mux.HandleFunc("GET "+JWKSPath, serveJSON(s.jwks))
	// OpenID Connect Core §5.3.1: the userinfo endpoint takes GET and POST.
	mux.HandleFunc("GET "+UserinfoPath, s.me)
	mux.HandleFunc("POST "+UserinfoPath, s.me)
	mux.HandleFunc("GET "+MePath, s.me)
}

// newSigningKey makes the RSA key that signs the access tokens, named by
// its RFC 7638 thumbprint.
func newSigningKey() (*jose.JSONWebKey, error) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	key := &jose.JSONWebKey{Key: rsaKey, Algorithm: string(jose.RS256), Use: "sig"}
	thumb, err := key.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	key.KeyID = base64.RawURLEncoding.EncodeToString(thumb)
	return key, nil
}

// newProvider composes fosite: JWT access tokens signed with key (go-jose
// writes the key's ID as the kid header), HMAC refresh tokens, the three
// grants, introspection and, unless opts.NoRevocation, revocation.
func newProvider(issuer string, key *jose.JSONWebKey, opts Options) (fosite.OAuth2Provider, error) {
	cfg := &fosite.Config{
		AccessTokenLifespan:  opts.AccessTokenLifespan,
		RefreshTokenLifespan: opts.RefreshTokenLifespan,
		AccessTokenIssuer:    issuer,
		IDTokenIssuer:        issuer,
		TokenURL:             issuer + TokenPath,
		// RFC 9068 §2.2.3: a space-separated "scope" claim.
		JWTScopeClaimKey: jwt.JWTScopeFieldString,
		// bcrypt's minimum cost keeps client authentication fast.
		HashCost:      4,
		ScopeStrategy: fosite.ExactScopeStrategy,
		// fosite's getters fill these on first use, which would be a data
		// race between concurrent requests: set them here.
		AudienceMatchingStrategy: fosite.DefaultAudienceMatchingStrategy,
		GlobalSecret:             make([]byte, 32),
	}
	cfg.ClientSecretsHasher = &fosite.BCrypt{Config: cfg}
	if _, err := rand.Read(cfg.GlobalSecret); err != nil {
		return nil, fmt.Errorf("global secret: %w", err)
	}
	st, err := newStore(cfg)
	if err != nil {
		return nil, err
	}
	getKey := func(context.Context) (any, error) { return key, nil }
	strategy := compose.NewOAuth2JWTStrategy(getKey, compose.NewOAuth2HMACStrategy(cfg), cfg)
	factories := []compose.Factory{
		compose.OAuth2ClientCredentialsGrantFactory,
		//lint:ignore SA1019 the password grant is one that flowrun's specs exercise
		compose.OAuth2ResourceOwnerPasswordCredentialsFactory,
		compose.OAuth2RefreshTokenGrantFactory,
		compose.OAuth2TokenIntrospectionFactory,
	}
	if !opts.NoRevocation {
		factories = append(factories, compose.OAuth2TokenRevocationFactory)
	}
	return compose.Compose(cfg, st, strategy, factories...), nil
}

// store is fosite's memory store, whose users keep one subject: the memory
// store's own Authenticate makes up a new random subject at every login.
type store struct {
	*storage.MemoryStore
	subjects map[string]string // username → subject
}

func newStore(cfg *fosite.Config) (*store, error) {
	st := &store{
		MemoryStore: storage.NewMemoryStore(),
		subjects:    map[string]string{AliceUsername: AliceSubject, BobUsername: BobSubject},
	}
	st.Users[AliceUsername] = storage.MemoryUserRelation{Username: AliceUsername, Password: AlicePassword}
	st.Users[BobUsername] = storage.MemoryUserRelation{Username: BobUsername, Password: BobPassword}
	clients := []struct{ id, secret, method string }{
		{BasicClientID, BasicClientSecret, "client_secret_basic"},
		{PostClientID, PostClientSecret, "client_secret_post"},
	}
	for _, c := range clients {
		hash, err := cfg.ClientSecretsHasher.Hash(context.Background(), []byte(c.secret))
		if err != nil {
			return nil, fmt.Errorf("client %q: %w", c.id, err)
		}
		st.Clients[c.id] = &fosite.DefaultOpenIDConnectClient{
			DefaultClient: &fosite.DefaultClient{
				ID:         c.id,
				Secret:     hash,
				GrantTypes: []string{"client_credentials", "password", "refresh_token"},
				Scopes:     scopes(),
			},
			TokenEndpointAuthMethod: c.method,
		}
	}
	return st, nil
}

// Authenticate checks the password with the memory store and answers the
// user's fixed subject.
func (s *store) Authenticate(ctx context.Context, name, secret string) (string, error) {
	if _, err := s.MemoryStore.Authenticate(ctx, name, secret); err != nil {
		return "", err
	}
	return s.subjects[name], nil
}

// newSession is the session fosite fills in for one request.
func newSession() *oauth2.JWTSession {
	return &oauth2.JWTSession{JWTClaims: &jwt.JWTClaims{}, JWTHeader: &jwt.Headers{}}
}

func serveJSON(body []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}
}
