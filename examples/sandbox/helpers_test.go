package sandbox_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flowrun/flowrun/examples/sandbox"
)

// fakeClock is a settable clock, safe for the simulators' goroutines.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock(start time.Time) *fakeClock { return &fakeClock{now: start} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// start serves the named provider, closed at cleanup, and returns its URL.
func start(t *testing.T, name string, o sandbox.Options) string {
	t.Helper()
	srv, err := sandbox.Start(name, o)
	if err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	t.Cleanup(srv.Close)
	return srv.URL
}

// reply is a simulator's answer with its JSON object body.
type reply struct {
	status int
	header http.Header
	body   map[string]any
}

// str returns the body's string field key, or "" when there is none.
func (r reply) str(key string) string { s, _ := r.body[key].(string); return s }

// message returns the body's "message" field, or "" when there is none.
func (r reply) message() string { return r.str("message") }

// call sends one JSON request with the given headers, leaving out those with
// an empty value, and decodes the answer. It reports failures with t.Errorf,
// so goroutines may call it too.
func call(t *testing.T, method, url string, header map[string]string, body string) reply {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	if err != nil {
		t.Errorf("%s %s: %v", method, url, err)
		return reply{}
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		if v != "" {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Errorf("%s %s: %v", method, url, err)
		return reply{}
	}
	defer resp.Body.Close()
	out := reply{status: resp.StatusCode, header: resp.Header}
	if err := json.NewDecoder(resp.Body).Decode(&out.body); err != nil {
		t.Errorf("%s %s: got a body that is not a JSON object (%v), want one", method, url, err)
	}
	return out
}

// jwtClaims decodes a JWT's payload without checking it.
func jwtClaims(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("got token %q, want a JWT of three parts", token)
	}
	data, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(data, &claims); err != nil {
		t.Fatal(err)
	}
	return claims
}
