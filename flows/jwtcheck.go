package flows

import (
	"path/filepath"

	"gopkg.in/yaml.v3"
)

// maxPEM bounds a public key file.
const maxPEM = 64 << 10

// jwtCheck decodes `expect: {jwt: {...}}`.
func (d *decoder) jwtCheck(n *yaml.Node, what string) *JWTCheck {
	c := &JWTCheck{Pos: d.pos(n)}
	text := func(v *yaml.Node, at string) *Text { return &Text{S: d.str(v, at), Pos: d.pos(v)} }
	d.object(n, what, d.g.Objects["jwt check"], func(key string, _, v *yaml.Node) {
		at := what + ": " + key
		switch key {
		case "token":
			c.Token = text(v, at)
		case "lifetime":
			c.Lifetime = d.duration(v, at)
		case "tolerance":
			c.Tolerance = d.duration(v, at)
		case "iss":
			c.Iss = text(v, at)
		case "aud":
			c.Aud = text(v, at)
		case "sub":
			c.Sub = text(v, at)
		case "expires_in":
			c.ExpiresIn = d.str(v, at)
			if err := CheckPath(c.ExpiresIn); err != nil {
				d.errorf(v, "%s: %v", at, err)
			}
		case "hmac":
			c.HMAC = text(v, at)
		case "pem":
			c.PEMPath = d.str(v, at)
			path := c.PEMPath
			if !filepath.IsAbs(path) {
				path = filepath.Join(filepath.Dir(d.file), path)
			}
			pem, err := readRegular(path, "a key file", "", maxPEM)
			if err != nil {
				d.errorf(v, "%s: cannot read the public key: %v", at, err)
			}
			c.PEM = pem
			d.deps = append(d.deps, path)
		case "jwks":
			c.JWKS = text(v, at)
		case "no_sensitive_claims":
			c.NoSensitiveClaims = d.boolean(v, at)
		}
	})
	keys := 0
	for _, set := range []bool{c.HMAC != nil, c.PEMPath != "", c.JWKS != nil} {
		if set {
			keys++
		}
	}
	if keys > 1 {
		d.errorf(n, "%s: give one of hmac, pem and jwks to verify the signature with, not several", what)
	}
	return c
}
