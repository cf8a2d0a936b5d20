package flows_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/flowrun/flowrun/flows"
	"github.com/flowrun/flowrun/internal/testcerts"
)

// selfSigned returns a certificate and its key, as PEM.
func selfSigned(t *testing.T) (certPEM, keyPEM []byte) {
	t.Helper()
	return testcerts.NewCA(t, "test").Issue(t, "test")
}

func TestTLS(t *testing.T) {
	dir := t.TempDir()
	cert, key := selfSigned(t)
	_, otherKey := selfSigned(t)
	for name, data := range map[string][]byte{
		"ca.pem": cert, "client.pem": cert, "client-key.pem": key, "other-key.pem": otherKey,
		"both.pem": append(append([]byte{}, cert...), key...), "bad.pem": []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
		"text.pem": []byte("hello\n"),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join(dir, "spec.yaml")
	at := func(pos, msg string) string { return file + ":" + pos + ": " + msg }
	for _, tc := range []struct {
		name, tls string
		want      string // the error, "" for none
		check     func(*flows.TLS) bool
	}{
		{"every key", "{ca_cert: ca.pem, cert: client.pem, key: client-key.pem, insecure: true}", "",
			func(x *flows.TLS) bool {
				return x.CACert.Path == filepath.Join(dir, "ca.pem") && x.Cert.Pos.Line == 3 && x.Key.Data != nil && x.Insecure
			}},
		{"the key in the certificate's file", "{cert: both.pem}", "", func(x *flows.TLS) bool { return x.Key == x.Cert }},
		{"an empty path is no file", "{ca_cert: '${CA:-}'}", "", func(x *flows.TLS) bool { return x.CACert == nil }},
		{"missing file", "{ca_cert: none.pem}", at("3:16", "tls: ca_cert: "+filepath.Join(dir, "none.pem")+" does not exist"), nil},
		{"a folder", "{ca_cert: .}", at("3:16", "tls: ca_cert: "+dir+" is a folder, not a regular file"), nil},
		{"not PEM", "{ca_cert: text.pem}", at("3:16", "tls: ca_cert: "+filepath.Join(dir, "text.pem")+" holds no PEM certificate"), nil},
		{"a bad certificate", "{ca_cert: bad.pem}", at("3:16", "tls: ca_cert: certificate 1 of "+filepath.Join(dir, "bad.pem")+": x509:"), nil},
		{"key without cert", "{key: client-key.pem}", at("3:12", "tls: key is given without cert"), nil},
		{"cert without its key", "{cert: client.pem}", at("3:13", "tls: cert: "+filepath.Join(dir, "client.pem")+" holds no private key that matches it; give key:"), nil},
		{"a key of another certificate", "{cert: client.pem, key: other-key.pem}", at("3:13", "tls: cert and key: "), nil},
		{"insecure not a boolean", "{insecure: yes please}", at("3:17", "tls: insecure: want true or false"), nil},
		{"a misspelt key", "{ca_certs: ca.pem}", at("3:7", `tls: unknown key "ca_certs" (did you mean "ca_cert"?)`), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := "provider: demo\nbase_url: https://api.example.com\ntls: " + tc.tls + "\nflows: [{name: a, steps: [{request: {path: /}}]}]\n"
			s, err := flows.Parse(file, []byte(src), func(string) (string, bool) { return "", false })
			if tc.want != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
					t.Fatalf("got error %v, want one beginning %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.TLS == nil || !tc.check(s.TLS) {
				t.Errorf("got %+v, not what the spec says", s.TLS)
			}
			if s.TLS.CACert != nil && !slices.Contains(s.Deps, s.TLS.CACert.Path) {
				t.Errorf("got deps %v, want them to hold %s (--watch runs again when it changes)", s.Deps, s.TLS.CACert.Path)
			}
		})
	}
}
