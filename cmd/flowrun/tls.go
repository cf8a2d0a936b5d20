package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"

	"github.com/spf13/cobra"

	"github.com/flowrun/flowrun/runner"
)

// maxPEMFile bounds a file given to --cacert, --cert or --key: a
// system's whole CA bundle is a few hundred KiB.
const maxPEMFile = 1 << 20

// insecureWarning is printed once when --insecure is given.
const insecureWarning = "flowrun: warning: --insecure: TLS certificates are not verified"

// clientFlags are how a run's requests reach the API: through which
// proxy, with which TLS settings, and whether redirects are followed.
type clientFlags struct {
	proxy, cacert, cert, key string
	insecure, follow         bool

	// What prepare made of the flags, for every run of the command.
	tls      *tls.Config
	proxyURL string
}

func (c *clientFlags) flags(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&c.proxy, "proxy", "", "send requests through the proxy at `URL` (http://, https:// or socks5://) instead of HTTP_PROXY and HTTPS_PROXY's; NO_PROXY still applies")
	fl.StringVar(&c.cacert, "cacert", "", "trust the CA certificates of the PEM `FILE` instead of the system's (a spec's tls: ca_cert adds to them)")
	fl.StringVar(&c.cert, "cert", "", "present the client certificate of the PEM `FILE` (mutual TLS); give --key too, unless the file holds the key")
	fl.StringVar(&c.key, "key", "", "the PEM `FILE` of the --cert certificate's private key, unencrypted")
	fl.BoolVar(&c.insecure, "insecure", false, "do not verify the servers' TLS certificates (a test server with a self-signed one); a warning says so")
	fl.BoolVar(&c.follow, "follow-redirects", false, "follow up to 10 redirects, each shown as an exchange of its step; a hop to another host carries no credential. By default a step sees the redirect itself")
}

// prepare checks the flags and reads their files, once for every run of
// the command; an error is a usage error that names the flag. It prints
// the --insecure warning.
func (c *clientFlags) prepare(stderr io.Writer) error {
	if c.proxy != "" {
		u, err := proxyURL(c.proxy)
		if err != nil {
			return usageError(err)
		}
		c.proxyURL = u.String()
	}
	cfg, err := c.tlsConfig()
	if err != nil {
		return usageError(err)
	}
	c.tls = cfg
	if c.insecure {
		fmt.Fprintln(stderr, insecureWarning)
	}
	return nil
}

func usageError(err error) error {
	return &exitError{code: exitUsage, err: fmt.Errorf("flowrun: %w", err)}
}

// tlsConfig returns the TLS settings the flags give, or nil for none.
func (c *clientFlags) tlsConfig() (*tls.Config, error) {
	if c.cacert == "" && c.cert == "" && c.key == "" && !c.insecure {
		return nil, nil
	}
	cfg := &tls.Config{InsecureSkipVerify: c.insecure}
	if c.cacert != "" {
		pool, err := caPool(c.cacert)
		if err != nil {
			return nil, err
		}
		cfg.RootCAs = pool
	}
	if c.cert != "" || c.key != "" {
		pair, err := c.clientCert()
		if err != nil {
			return nil, err
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}

// caPool reads the CA bundle of --cacert: it replaces the system's
// roots, as curl's --cacert does.
func caPool(path string) (*x509.CertPool, error) {
	data, err := readPEM("--cacert", path)
	if err != nil {
		return nil, err
	}
	pool, rest, n := x509.NewCertPool(), data, 0
	for {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("--cacert %s: certificate %d: %v", path, n+1, err)
		}
		pool.AddCert(cert)
		n++
	}
	if n == 0 {
		return nil, fmt.Errorf("--cacert %s: no PEM certificate in it (-----BEGIN CERTIFICATE-----)", path)
	}
	return pool, nil
}

// clientCert reads --cert and --key. Without --key, the --cert file must
// hold the key too.
func (c *clientFlags) clientCert() (tls.Certificate, error) {
	if c.cert == "" {
		return tls.Certificate{}, fmt.Errorf("--key %s is given without --cert; give the client certificate too", c.key)
	}
	cert, err := readPEM("--cert", c.cert)
	if err != nil {
		return tls.Certificate{}, err
	}
	if c.key == "" {
		pair, err := tls.X509KeyPair(cert, cert)
		if err != nil {
			return tls.Certificate{}, fmt.Errorf("--cert %s holds no private key that matches it; give --key FILE", c.cert)
		}
		return pair, nil
	}
	key, err := readPEM("--key", c.key)
	if err != nil {
		return tls.Certificate{}, err
	}
	pair, err := tls.X509KeyPair(cert, key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("--cert %s, --key %s: %v", c.cert, c.key, err)
	}
	return pair, nil
}

// readPEM reads the file a flag names: a regular file (never a FIFO or
// a device, whose reading could block) of at most maxPEMFile bytes.
func readPEM(flag, path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", flag, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("%s: %v", flag, err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s %s: not a regular file", flag, path)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxPEMFile+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %v", flag, err)
	}
	if len(data) > maxPEMFile {
		return nil, fmt.Errorf("%s %s: larger than %d bytes, more than a PEM file of certificates holds", flag, path, maxPEMFile)
	}
	return data, nil
}

// apply sets the client of a run and whether it follows redirects.
func (c *clientFlags) apply(cfg *runner.Config, concurrency int, getenv func(string) (string, bool)) {
	cfg.Client = c.newClient(concurrency, getenv)
	cfg.FollowRedirects = c.follow
}

// newClient returns the client of a run: one pooled keep-alive transport,
// with idle connections enough for every flow at once, the proxy of
// --proxy or of the environment, and the TLS settings of the flags. It
// follows no redirect: the runner does, per request, with
// --follow-redirects.
func (c *clientFlags) newClient(concurrency int, getenv func(string) (string, bool)) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = max(100, 4*concurrency)
	t.MaxIdleConnsPerHost = 2 * concurrency
	t.ForceAttemptHTTP2 = true
	t.Proxy = proxyFunc(c.proxyURL, getenv)
	if c.tls != nil {
		t.TLSClientConfig = c.tls.Clone()
	}
	return &http.Client{
		// A test must see a redirect as it is, not where it leads.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport:     t,
	}
}

// proxyURL checks the URL of --proxy. A bare host:port is an http proxy,
// as curl takes it.
func proxyURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		if u2, err2 := url.Parse("http://" + raw); err2 == nil && u2.Host != "" && u2.Port() != "" {
			return u2, nil
		}
		// The value is not echoed: it may hold the proxy's password.
		return nil, fmt.Errorf("--proxy: want a URL such as http://proxy.example.com:3128")
	}
	switch u.Scheme {
	case "http", "https", "socks5", "socks5h":
		return u, nil
	}
	return nil, fmt.Errorf("--proxy %s: want an http://, https:// or socks5:// URL", u.Redacted())
}
