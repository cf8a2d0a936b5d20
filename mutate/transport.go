package mutate

import (
	"encoding/base64"
	"encoding/json"
	"net/http"

	"github.com/flowrun/flowrun/flows"
	"github.com/flowrun/flowrun/runner"
)

// stepHeader carries a request's step from the run's client to the
// proxy, which removes it before forwarding: the API never sees it, and
// no report shows it (the runner records a request before its client
// sends it).
const stepHeader = "X-Flowrun-Mutate-Step"

// tag is what stepHeader holds.
type tag struct {
	runner.StepInfo
	// AcceptEncoding is set when the request itself asked for an
	// encoding. Else the run's transport adds gzip, and unzips the
	// answer itself; the proxy drops the header so that its own
	// transport does the same, and it reads the answers unzipped.
	AcceptEncoding bool `json:"accept_encoding,omitempty"`
}

func (t tag) encode() string {
	b, _ := json.Marshal(t) // strings and a bool: always encodes
	return base64.RawURLEncoding.EncodeToString(b)
}

func readTag(v string) (tag, bool) {
	var t tag
	b, err := base64.RawURLEncoding.DecodeString(v)
	if v == "" || err != nil || json.Unmarshal(b, &t) != nil {
		return tag{}, false
	}
	return t, true
}

// stepTransport sends a run's requests: to one of the run's proxies
// (by host) with the request's step in stepHeader, anywhere else as
// they are.
type stepTransport struct {
	base  *http.Transport
	hosts map[string]bool
}

// RoundTrip sends req, tagged with its step when it goes to a proxy.
func (t *stepTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !t.hosts[req.URL.Host] {
		return t.base.RoundTrip(req)
	}
	si, _ := runner.StepOf(req.Context())
	// A RoundTripper must not change the request: the runner keeps it.
	out := req.Clone(req.Context())
	out.Header.Set(stepHeader, tag{StepInfo: si, AcceptEncoding: req.Header.Get("Accept-Encoding") != ""}.encode())
	return t.base.RoundTrip(out)
}

// CloseIdleConnections closes the base transport's idle connections.
func (t *stepTransport) CloseIdleConnections() { t.base.CloseIdleConnections() }

// specTransport returns the transport of one spec's requests: a clone
// of the client's, which also applies the spec's tls: settings. The
// proxies send through it too.
func specTransport(c *http.Client, t *flows.TLS) (*http.Transport, error) {
	tr, err := runner.SpecTransport(c, t)
	if err != nil && t != nil {
		return nil, flows.Errorf(t.Pos, "tls: %v", err)
	}
	return tr, err
}
