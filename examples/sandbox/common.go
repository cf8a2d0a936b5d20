package sandbox

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// maxBody caps what a simulator reads of a request body.
const maxBody = 1 << 20

// writeJSON writes v as the JSON body of a response with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// decodeJSON reads the request body as a JSON object into v. It fails on a
// body that is not JSON or not an object, which simulators answer with 400.
func decodeJSON(r *http.Request, v any) error {
	data, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		return err
	}
	if len(data) == 0 {
		return errors.New("empty body")
	}
	return json.Unmarshal(data, v)
}

// randomToken returns n random bytes as URL-safe base64: an opaque token.
func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// tokenStore keeps opaque tokens with their expiry and owner. It is safe for
// concurrent use.
type tokenStore[T any] struct {
	mu     sync.Mutex
	tokens map[string]storedToken[T]
}

type storedToken[T any] struct {
	value   T
	expires time.Time
}

func newTokenStore[T any]() *tokenStore[T] {
	return &tokenStore[T]{tokens: map[string]storedToken[T]{}}
}

// put stores token with its value until expires.
func (s *tokenStore[T]) put(token string, value T, expires time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[token] = storedToken[T]{value: value, expires: expires}
}

// get returns the token's value. expired reports a known token whose time
// has passed at now.
func (s *tokenStore[T]) get(token string, now time.Time) (value T, ok, expired bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[token]
	if !ok {
		return value, false, false
	}
	return t.value, true, !now.Before(t.expires)
}

// take removes the token and returns its value, as get does.
func (s *tokenStore[T]) take(token string, now time.Time) (value T, ok, expired bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[token]
	if !ok {
		return value, false, false
	}
	delete(s.tokens, token)
	return t.value, true, !now.Before(t.expires)
}

// remove deletes the token; it reports whether it was there.
func (s *tokenStore[T]) remove(token string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.tokens[token]
	delete(s.tokens, token)
	return ok
}

// jwtSigner issues and checks HS256 JWTs with a key made per simulator.
type jwtSigner struct {
	key []byte
	now func() time.Time
}

func newJWTSigner(now func() time.Time) *jwtSigner {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	return &jwtSigner{key: key, now: now}
}

// sign returns a signed token carrying claims; iat and exp are set from the
// clock and lifetime. exp is whole seconds rounded up, so the token lives at
// least lifetime and less than one second more.
func (s *jwtSigner) sign(claims jwt.MapClaims, lifetime time.Duration) string {
	now := s.now()
	claims["iat"] = now.Unix()
	claims["exp"] = ceilUnix(now.Add(lifetime))
	// A random ID keeps two tokens issued in the same second distinct.
	claims["jti"] = randomToken(9)
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(s.key)
	if err != nil {
		panic(err) // HS256 with a byte key cannot fail
	}
	return tok
}

// ceilUnix returns t in whole Unix seconds, rounded up.
func ceilUnix(t time.Time) int64 {
	if t.Nanosecond() > 0 {
		return t.Unix() + 1
	}
	return t.Unix()
}

// parse checks the signature and, unless ignoreExpiry, the expiry of raw.
func (s *jwtSigner) parse(raw string, ignoreExpiry bool) (jwt.MapClaims, error) {
	return s.parseLax(raw, laxity{ignoreExpiry: ignoreExpiry})
}

// laxity is what a faulty simulator fails to check in a token.
type laxity struct {
	ignoreExpiry    bool
	allowNone       bool // an unsigned token (alg none) passes
	ignoreSignature bool // any signature passes
}

// parseLax checks raw as parse does, less what l leaves out.
func (s *jwtSigner) parseLax(raw string, l laxity) (jwt.MapClaims, error) {
	methods := []string{"HS256"}
	if l.allowNone {
		methods = append(methods, "none")
	}
	opts := []jwt.ParserOption{jwt.WithValidMethods(methods), jwt.WithTimeFunc(s.now)}
	if l.ignoreExpiry {
		opts = append(opts, jwt.WithoutClaimsValidation())
	}
	claims := jwt.MapClaims{}
	if l.ignoreSignature {
		_, _, err := jwt.NewParser(opts...).ParseUnverified(raw, claims)
		return claims, err
	}
	_, err := jwt.ParseWithClaims(raw, claims, func(t *jwt.Token) (any, error) {
		if t.Method == jwt.SigningMethodNone {
			return jwt.UnsafeAllowNoneSignatureType, nil
		}
		return s.key, nil
	}, opts...)
	if err != nil {
		return nil, err
	}
	return claims, nil
}
