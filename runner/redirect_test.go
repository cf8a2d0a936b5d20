package runner

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/flowrun/flowrun/flows"
)

func TestCrossed(t *testing.T) {
	for _, tc := range []struct {
		name  string
		chain []string // the first request, then each redirect's
		want  bool
	}{
		{"same origin", []string{"https://api.example.com/a", "https://api.example.com/b"}, false},
		{"default port spelt out", []string{"https://api.example.com/a", "https://API.example.com:443/b"}, false},
		{"another port", []string{"http://127.0.0.1:8080/a", "http://127.0.0.1:8081/b"}, true},
		{"another scheme", []string{"http://api.example.com/a", "https://api.example.com/b"}, true},
		{"a subdomain", []string{"https://example.com/a", "https://api.example.com/b"}, true},
		{"back home stays crossed", []string{"https://a.example.com/", "https://b.example.com/", "https://a.example.com/"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var via []*http.Request
			for _, u := range tc.chain {
				pu, err := url.Parse(u)
				if err != nil {
					t.Fatal(err)
				}
				via = append(via, &http.Request{URL: pu})
			}
			if got := crossed(via[:len(via)-1], via[len(via)-1]); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestRedactorHolds(t *testing.T) {
	r := newRedactor(true, []byte("k")) // shown or not, a secret is one
	r.learn("token", "tok/0123456789")
	r.learn("pin", "42")
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"tok/0123456789", true},
		{"Bearer tok/0123456789", true},
		{"https://x/?t=tok%2F0123456789", true},
		{`{"pin":"42"}`, true},
		{"42", true},
		{"page 42", false},
		{"application/json", false},
	} {
		if got := r.holds(tc.in); got != tc.want {
			t.Errorf("holds(%q): got %v, want %v", tc.in, got, tc.want)
		}
	}
}

// opaque is a transport that is not an *http.Transport.
type opaque struct{ http.RoundTripper }

func TestSpecTLSNeedsATransport(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	src := "provider: demo\nbase_url: " + srv.URL + "\ntls:\n  insecure: true\nflows: [{name: a, steps: [{request: {path: /}}]}]\n"
	spec, err := flows.Parse("s.yaml", []byte(src), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	plan, err := Compile(spec)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name       string
		transport  http.RoundTripper
		wantStatus Status
		wantReason string
	}{
		{"an *http.Transport", srv.Client().Transport, Passed, ""},
		{"the default transport", nil, Passed, ""},
		{"another transport", opaque{http.DefaultTransport}, Errored, "s.yaml:4:3: tls: the run's HTTP client sends through a runner.opaque, not an *http.Transport"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := Run(context.Background(), []*Plan{plan}, Config{Client: &http.Client{Transport: tc.transport}})
			f := res.Specs[0].Flows[0]
			if f.Status != tc.wantStatus || !strings.HasPrefix(f.Reason, tc.wantReason) {
				t.Errorf("got %s (%q), want %s (%q)", f.Status, f.Reason, tc.wantStatus, tc.wantReason)
			}
		})
	}
}
