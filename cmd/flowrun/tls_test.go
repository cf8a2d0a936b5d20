package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowrun/flowrun/internal/testcerts"
)

// writeFile writes data to name in dir and returns its path.
func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// testHost is the name the TLS and proxy tests give the API: it resolves
// nowhere, so only a proxy that maps it reaches the server.
const testHost = "api.flowrun.test"

// tlsServer starts an HTTPS server with a certificate of ca for
// 127.0.0.1 and testHost. With clients set, it requires a client
// certificate that clients signed, and answers 200 only to the client
// named "flowrun-client".
func tlsServer(t *testing.T, ca, clients *testcerts.CA) *httptest.Server {
	t.Helper()
	certPEM, keyPEM := ca.Issue(t, "server", "127.0.0.1", testHost)
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if clients != nil && (r.TLS == nil || len(r.TLS.PeerCertificates) == 0 || r.TLS.PeerCertificates[0].Subject.CommonName != "flowrun-client") {
			http.Error(w, "who are you?", http.StatusForbidden)
			return
		}
		w.Write([]byte(`{"ok": true}`))
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // failed handshakes are the point of some tests
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{pair}}
	if clients != nil {
		pool := x509.NewCertPool()
		pool.AddCert(clients.Cert)
		srv.TLS.ClientAuth, srv.TLS.ClientCAs = tls.RequireAndVerifyClientCert, pool
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// helloSpec is a spec of one flow that GETs /hello from ${API_URL}, with
// extra lines at the top level.
func helloSpec(extra string) string {
	return "provider: demo\nbase_url: ${API_URL}\n" + extra + `flows:
  - name: hello
    steps:
      - request: {path: /hello, expect: {status: 200}}
`
}

// tlsFiles are a test's CA and client certificate files.
type tlsFiles struct {
	dir                             string
	ca, cert, key, combined, badPEM string
}

func newTLSFiles(t *testing.T, ca, clients *testcerts.CA) tlsFiles {
	t.Helper()
	dir := t.TempDir()
	certPEM, keyPEM := clients.Issue(t, "flowrun-client")
	return tlsFiles{
		dir:      dir,
		ca:       writeFile(t, dir, "certs/ca.pem", ca.PEM),
		cert:     writeFile(t, dir, "certs/client.pem", certPEM),
		key:      writeFile(t, dir, "certs/client-key.pem", keyPEM),
		combined: writeFile(t, dir, "certs/client-and-key.pem", append(append([]byte{}, certPEM...), keyPEM...)),
		badPEM:   writeFile(t, dir, "certs/bad.pem", []byte("not a certificate\n")),
	}
}

func TestTLSFlags(t *testing.T) {
	ca, clients := testcerts.NewCA(t, "server CA"), testcerts.NewCA(t, "client CA")
	files := newTLSFiles(t, ca, clients)
	plain, mutual := tlsServer(t, ca, nil), tlsServer(t, ca, clients)
	spec := writeFile(t, files.dir, "spec.yaml", []byte(helloSpec("")))
	for _, tc := range []struct {
		name     string
		srv      *httptest.Server
		args     []string
		wantCode int
		want     string // in stdout and stderr
	}{
		{"unknown authority without --cacert", plain, nil, exitFailed, "certificate signed by unknown authority"},
		{"--cacert trusts the CA", plain, []string{"--cacert", files.ca}, exitPassed, "1 passed"},
		{"--cacert of another CA", plain, []string{"--cacert", files.cert}, exitFailed, "certificate signed by unknown authority"},
		{"--insecure", plain, []string{"--insecure"}, exitPassed, insecureWarning + "\n"},
		{"mutual TLS without --cert", mutual, []string{"--cacert", files.ca}, exitFailed, "certificate required"},
		{"--cert and --key", mutual, []string{"--cacert", files.ca, "--cert", files.cert, "--key", files.key}, exitPassed, "1 passed"},
		{"--cert holding its key", mutual, []string{"--cacert", files.ca, "--cert", files.combined}, exitPassed, "1 passed"},
		{"on the root command", mutual, []string{"--insecure", "--cert", files.cert, "--key", files.key}, exitPassed, "1 passed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"run", spec, "--no-color"}, tc.args...)
			if tc.name == "on the root command" {
				args = append([]string{spec}, tc.args...)
			}
			code, stdout, stderr := cli(t, context.Background(), map[string]string{"API_URL": tc.srv.URL}, args...)
			if code != tc.wantCode {
				t.Fatalf("exit code: got %d, want %d\n%s%s", code, tc.wantCode, stdout, stderr)
			}
			if !strings.Contains(stdout+stderr, tc.want) {
				t.Errorf("got output:\n%s%s\nwant it to hold %q", stdout, stderr, tc.want)
			}
			if n := strings.Count(stderr, "warning: --insecure"); n != min(1, strings.Count(strings.Join(tc.args, " "), "--insecure")) {
				t.Errorf("got the --insecure warning %d times, want it once with --insecure and never without:\n%s", n, stderr)
			}
		})
	}
}

func TestTLSFlagErrors(t *testing.T) {
	ca, clients := testcerts.NewCA(t, "server CA"), testcerts.NewCA(t, "client CA")
	files := newTLSFiles(t, ca, clients)
	spec := writeFile(t, files.dir, "spec.yaml", []byte(helloSpec("")))
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"--cert without its key", []string{"--cert", files.cert}, "flowrun: --cert " + files.cert + " holds no private key that matches it; give --key FILE"},
		{"--key without --cert", []string{"--key", files.key}, "flowrun: --key " + files.key + " is given without --cert"},
		{"--cert and a wrong --key", []string{"--cert", files.cert, "--key", files.ca}, "flowrun: --cert " + files.cert + ", --key " + files.ca + ": tls:"},
		{"--cacert missing", []string{"--cacert", filepath.Join(files.dir, "none.pem")}, "flowrun: --cacert: open " + filepath.Join(files.dir, "none.pem") + ": no such file"},
		{"--cacert not PEM", []string{"--cacert", files.badPEM}, "flowrun: --cacert " + files.badPEM + ": no PEM certificate in it"},
		{"--cacert a folder", []string{"--cacert", files.dir}, "flowrun: --cacert " + files.dir + ": not a regular file"},
		{"--proxy of another scheme", []string{"--proxy", "ftp://user:pw@proxy:21"}, "flowrun: --proxy ftp://user:xxxxx@proxy:21: want an http://, https:// or socks5:// URL"},
		{"--proxy not a URL", []string{"--proxy", "http://[::1"}, "flowrun: --proxy: want a URL such as http://proxy.example.com:3128"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"run", spec}, tc.args...)
			code, stdout, stderr := cli(t, context.Background(), map[string]string{"API_URL": "https://127.0.0.1:1"}, args...)
			if code != exitUsage {
				t.Fatalf("exit code: got %d, want %d\n%s%s", code, exitUsage, stdout, stderr)
			}
			if !strings.HasPrefix(stderr, tc.want) {
				t.Errorf("got stderr:\n%s\nwant it to begin with %q", stderr, tc.want)
			}
			if strings.Contains(stderr, ":pw@") {
				t.Errorf("stderr shows the proxy's password:\n%s", stderr)
			}
		})
	}
}

// TestSpecTLS checks a spec's tls: applies to its own requests only: the
// spec that names the client certificate passes, the same flow in a
// spec without it is refused, in one run.
func TestSpecTLS(t *testing.T) {
	ca, clients := testcerts.NewCA(t, "server CA"), testcerts.NewCA(t, "client CA")
	files := newTLSFiles(t, ca, clients)
	mutual := tlsServer(t, ca, clients)
	with := writeFile(t, files.dir, "with.yaml", []byte(helloSpec(`tls:
  ca_cert: certs/ca.pem
  cert: certs/client.pem
  key: ${CLIENT_KEY:-certs/client-key.pem}
`)))
	insecure := writeFile(t, files.dir, "insecure.yaml", []byte(helloSpec("tls: {insecure: true, cert: certs/client-and-key.pem}\n")))
	without := writeFile(t, files.dir, "without.yaml", []byte(strings.Replace(helloSpec("tls: {ca_cert: certs/ca.pem}\n"), "demo", "other", 1)))
	report := filepath.Join(files.dir, "report.json")
	code, stdout, stderr := cli(t, context.Background(), map[string]string{"API_URL": mutual.URL}, "run", with, insecure, without, "--no-color", "--report-json", report)
	if code != exitFailed {
		t.Fatalf("exit code: got %d, want %d\n%s%s", code, exitFailed, stdout, stderr)
	}
	res := readJSONReport(t, report)
	for _, tc := range []struct {
		file, want string
	}{
		{with, "passed"},
		{insecure, "passed"},
		{without, "error"},
	} {
		if got := res.flowStatus(tc.file, "hello"); got != tc.want {
			t.Errorf("%s: got %s, want %s\n%s", tc.file, got, tc.want, stdout)
		}
	}
	if strings.Contains(stderr, "warning") {
		t.Errorf("a spec's insecure: printed a warning meant for --insecure:\n%s", stderr)
	}
}
