package runner_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/flowrun/flowrun/runner"
)

// TestLongValuesAreCutInTheResult: a header of 300 KB, holding a secret
// where the cut falls, is kept as its first kilobyte, masked before it
// is cut, and says how long it was; the URL too.
func TestLongValuesAreCutInTheResult(t *testing.T) {
	var got int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = len(r.Header.Get("X-Big"))
		w.WriteHeader(http.StatusTeapot)
	}))
	defer srv.Close()
	pad := strings.Repeat("p", 1000)
	big := strings.Repeat("b", 300_000)
	p := plan(t, srv.URL, `provider: p
base_url: http://x
vars:
  pad: `+pad+`
  key: s3cr3t-k3y-value
  big: `+big+`
secrets: [key]
flows:
  - name: f
    steps: [{request: {path: "/x?q={{big}}", headers: {X-Big: "{{pad}}{{key}}{{big}}"}, expect: {status: 200}}}]
`)
	res := run(t, p, runner.Config{})
	if want := 1000 + len("s3cr3t-k3y-value") + 300_000; got != want {
		t.Fatalf("the server got a header of %d bytes, want %d: the value sent must be whole", got, want)
	}
	q := flow(t, res, "f").Steps[0].Exchanges[0].Request
	for _, h := range q.Headers {
		if h.Name != "X-Big" {
			continue
		}
		if len(h.Value) > 1100 || !strings.HasSuffix(h.Value, " bytes in all)") {
			t.Errorf("got a header value of %d bytes ending %q, want its first KiB and its length", len(h.Value), h.Value[max(0, len(h.Value)-40):])
		}
		if strings.Contains(h.Value, "s3cr3t") {
			t.Errorf("a part of the secret survived the cut: %q", h.Value[990:])
		}
	}
	if len(q.URL) > 4200 || !strings.Contains(q.URL, " bytes in all)") {
		t.Errorf("got a URL of %d bytes, want its first 4 KiB and its length", len(q.URL))
	}
}
