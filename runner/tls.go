package runner

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"

	"github.com/flowrun/flowrun/flows"
)

// clients are the HTTP clients of one Run: Config.Client, and for each
// spec with tls: settings a client derived from it, shared by the flows
// of that spec so they reuse their connections.
type clients struct {
	base    *http.Client
	derived map[*Plan]*http.Client
}

// prepareClients derives the client of every spec with tls: among the
// jobs' plans. A spec whose client cannot be derived errs each of its
// jobs, which then do not run; other specs go on.
func prepareClients(jobs []*job, base *http.Client) *clients {
	cs := &clients{base: base, derived: map[*Plan]*http.Client{}}
	errs := map[*Plan]error{}
	for _, j := range jobs {
		p := j.plan
		if p.Spec.TLS == nil {
			continue
		}
		if _, done := cs.derived[p]; !done && errs[p] == nil {
			c, err := tlsClient(base, p.Spec.TLS)
			if err != nil {
				errs[p] = flows.Errorf(p.Spec.TLS.Pos, "tls: %v", err)
			} else {
				cs.derived[p] = c
			}
		}
		if j.err == nil {
			j.err = errs[p]
		}
	}
	return cs
}

// of returns the client that sends the requests of plan p's flows.
func (cs *clients) of(p *Plan) *http.Client {
	if c, ok := cs.derived[p]; ok {
		return c
	}
	return cs.base
}

// close closes the idle connections of the clients Run derived: the
// caller's own client is the caller's to close.
func (cs *clients) close() {
	for _, c := range cs.derived {
		c.CloseIdleConnections()
	}
}

// tlsClient returns a copy of base whose transport is SpecTransport's.
func tlsClient(base *http.Client, t *flows.TLS) (*http.Client, error) {
	tr, err := SpecTransport(base, t)
	if err != nil {
		return nil, err
	}
	c := *base
	c.Transport = tr
	return &c, nil
}

// SpecTransport returns a clone of base's transport that also trusts t's
// CAs, presents t's client certificate and, with t.Insecure, verifies no
// certificate: how a spec's requests are sent. What base's TLS settings
// hold besides (the run's --cacert roots, --insecure) stays. A nil t
// gives a plain clone.
func SpecTransport(base *http.Client, t *flows.TLS) (*http.Transport, error) {
	var tr *http.Transport
	switch x := base.Transport.(type) {
	case nil:
		tr = http.DefaultTransport.(*http.Transport).Clone()
	case *http.Transport:
		tr = x.Clone()
	default:
		return nil, fmt.Errorf("the run's HTTP client sends through a %T, not an *http.Transport, so the spec's TLS settings cannot be applied to it; give Config.Client an *http.Transport", base.Transport)
	}
	if t == nil {
		return tr, nil
	}
	cfg := tr.TLSClientConfig
	if cfg == nil {
		cfg = &tls.Config{}
	}
	if t.CACert != nil {
		pool := cfg.RootCAs
		if pool == nil {
			var err error
			if pool, err = x509.SystemCertPool(); err != nil {
				pool = x509.NewCertPool()
			}
		} else {
			pool = pool.Clone()
		}
		if !pool.AppendCertsFromPEM(t.CACert.Data) {
			return nil, fmt.Errorf("ca_cert: %s holds no PEM certificate", t.CACert.Path)
		}
		cfg.RootCAs = pool
	}
	if t.Cert != nil && t.Key != nil {
		pair, err := tls.X509KeyPair(t.Cert.Data, t.Key.Data)
		if err != nil {
			return nil, fmt.Errorf("cert and key: %v", err)
		}
		// The spec's certificate wins over the run's (--cert) for its requests.
		cfg.Certificates, cfg.GetClientCertificate = []tls.Certificate{pair}, nil
	}
	if t.Insecure {
		cfg.InsecureSkipVerify = true
	}
	tr.TLSClientConfig = cfg
	return tr, nil
}
