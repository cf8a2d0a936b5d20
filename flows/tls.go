package flows

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"
)

// maxCertFile bounds a CA bundle, a client certificate or its key file:
// a system's whole CA bundle is a few hundred KiB.
const maxCertFile = 1 << 20

// TLS is how a spec's requests use TLS: the CAs that verify its
// servers besides the run's roots, the client certificate they present
// (mutual TLS), or no verification at all. Each file is read, and
// checked, when the spec is loaded.
type TLS struct {
	Pos Pos
	// CACert holds PEM CA certificates trusted besides the run's roots.
	CACert *PEMFile
	// Cert holds the client certificate (and its chain), and Key its
	// private key: the same file when the certificate's file holds both.
	Cert, Key *PEMFile
	// Insecure skips the verification of the servers' certificates.
	Insecure bool
}

// PEMFile is a PEM file a spec names, read when the spec is loaded.
type PEMFile struct {
	// Path is the file as the spec names it; Pos is where.
	Path string
	Pos  Pos
	Data []byte
}

// tls decodes `tls: {ca_cert, cert, key, insecure}`.
func (d *decoder) tls(n *yaml.Node) *TLS {
	t := &TLS{Pos: d.pos(n)}
	// The keys named, even when their files could not be read.
	var certNode, keyNode *yaml.Node
	d.object(n, "tls", d.g.Objects["tls"], func(key string, _, v *yaml.Node) {
		switch key {
		case "ca_cert":
			if t.CACert, _ = d.pemFile(v, "tls: ca_cert", "a CA bundle"); t.CACert != nil {
				d.checkCAs(v, t.CACert)
			}
		case "cert":
			var named bool
			if t.Cert, named = d.pemFile(v, "tls: cert", "a client certificate"); named {
				certNode = v
			}
		case "key":
			var named bool
			if t.Key, named = d.pemFile(v, "tls: key", "a private key file"); named {
				keyNode = v
			}
		case "insecure":
			t.Insecure = d.boolean(v, "tls: insecure")
		}
	})
	switch {
	case keyNode != nil && certNode == nil:
		d.errorf(keyNode, "tls: key is given without cert; give the client certificate too, or remove key")
	case t.Cert != nil && keyNode == nil:
		// The certificate's file may hold its key too, as curl's --cert allows.
		if _, err := tls.X509KeyPair(t.Cert.Data, t.Cert.Data); err != nil {
			d.errorf(certNode, "tls: cert: %s holds no private key that matches it; give key: with the key's file", t.Cert.Path)
			return t
		}
		t.Key = t.Cert
	case t.Cert != nil && t.Key != nil:
		if _, err := tls.X509KeyPair(t.Cert.Data, t.Key.Data); err != nil {
			d.errorf(certNode, "tls: cert and key: %s and %s do not make a client certificate: %v", t.Cert.Path, t.Key.Path, err)
		}
	}
	return t
}

// pemFile reads the PEM file that n names, relative to the spec. named
// is false when n is empty, such as an unset ${NAME:-}: the key is then
// as if not given. The file is nil when it cannot be read.
func (d *decoder) pemFile(n *yaml.Node, what, kind string) (f *PEMFile, named bool) {
	name := d.str(n, what)
	if name == "" {
		return nil, false
	}
	path := name
	if !filepath.IsAbs(path) {
		path = filepath.Join(filepath.Dir(d.file), name)
	}
	d.deps = append(d.deps, path)
	data, err := readRegular(path, kind, "", maxCertFile)
	switch {
	case errors.Is(err, os.ErrNotExist):
		d.errorf(n, "%s: %s does not exist", what, path)
		return nil, true
	case err != nil:
		d.errorf(n, "%s: %v", what, err)
		return nil, true
	}
	return &PEMFile{Path: path, Pos: d.pos(n), Data: data}, true
}

// checkCAs reports a CA bundle that holds no certificate, or a
// certificate that does not parse.
func (d *decoder) checkCAs(n *yaml.Node, f *PEMFile) {
	rest, found := f.Data, 0
	for {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		if _, err := x509.ParseCertificate(b.Bytes); err != nil {
			d.errorf(n, "tls: ca_cert: certificate %d of %s: %v", found+1, f.Path, err)
			return
		}
		found++
	}
	if found == 0 {
		d.errorf(n, "tls: ca_cert: %s holds no PEM certificate (-----BEGIN CERTIFICATE-----)", f.Path)
	}
}
