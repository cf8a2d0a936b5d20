package runner

import "strings"

// challenge is one challenge of a WWW-Authenticate header (RFC 9110
// §11.6.1): a scheme with a token68 or auth-params.
type challenge struct {
	scheme, token68 string
	// params are the auth-params, by lower-case name; the first of a name wins.
	params map[string]string
}

// tchars are the characters of an RFC 9110 token besides letters and
// digits, and t68chars those of a token68.
const (
	tchars   = "!#$%&'*+-.^_`|~"
	t68chars = "-._~+/"
)

// parseChallenges parses WWW-Authenticate headers, each a list of
// challenges: `Basic realm="a", Bearer realm="b", error="invalid_token"`
// is two, the second with two auth-params. What cannot be parsed is
// skipped up to the next comma.
func parseChallenges(values []string) []challenge {
	var out []challenge
	for _, v := range values {
		p := &headerScan{s: v}
		for p.skip(", \t"); p.i < len(p.s); p.skip(", \t") {
			ch := challenge{scheme: p.token(tchars), params: map[string]string{}}
			if ch.scheme == "" {
				p.element()
				continue
			}
			p.skip(" \t")
			if t, ok := p.token68(); ok {
				ch.token68 = t
			} else {
				p.params(&ch)
			}
			out = append(out, ch)
		}
	}
	return out
}

// headerScan reads a header value from i on.
type headerScan struct {
	s string
	i int
}

func (p *headerScan) at(c byte) bool { return p.i < len(p.s) && p.s[p.i] == c }

// skip moves past the characters in set.
func (p *headerScan) skip(set string) {
	for p.i < len(p.s) && strings.IndexByte(set, p.s[p.i]) >= 0 {
		p.i++
	}
}

// token reads letters, digits and the characters in set.
func (p *headerScan) token(set string) string {
	start := p.i
	for ; p.i < len(p.s); p.i++ {
		if c := p.s[p.i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(set, c) >= 0) {
			break
		}
	}
	return p.s[start:p.i]
}

// token68 reads a token68 that stands alone up to a comma or the end;
// else it reads nothing.
func (p *headerScan) token68() (string, bool) {
	start := p.i
	p.token(t68chars)
	p.skip("=")
	t := p.s[start:p.i]
	p.skip(" \t")
	if t != "" && (p.i == len(p.s) || p.at(',')) {
		return t, true
	}
	p.i = start
	return "", false
}

// params reads a challenge's auth-params, name = (token / quoted-string),
// separated by commas, until what follows a comma is not an auth-param
// but the next challenge.
func (p *headerScan) params(ch *challenge) {
	for {
		name := strings.ToLower(p.token(tchars))
		p.skip(" \t")
		if name == "" || !p.at('=') {
			p.element()
			return
		}
		p.i++
		p.skip(" \t")
		val := ""
		if p.at('"') {
			val = p.quoted()
		} else {
			val = p.token(tchars)
		}
		if _, ok := ch.params[name]; !ok {
			ch.params[name] = val
		}
		p.element()
		next := headerScan{s: p.s, i: p.i}
		next.skip(", \t")
		start := next.i
		if next.token(tchars) == "" {
			return
		}
		if next.skip(" \t"); !next.at('=') {
			return // a scheme: the next challenge
		}
		p.i = start
	}
}

// quoted reads a quoted-string, unescaping its quoted-pairs.
func (p *headerScan) quoted() string {
	var b strings.Builder
	for p.i++; p.i < len(p.s); p.i++ {
		switch c := p.s[p.i]; {
		case c == '\\' && p.i+1 < len(p.s):
			p.i++
			b.WriteByte(p.s[p.i])
		case c == '"':
			p.i++
			return b.String()
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// element moves on to the next comma outside a quoted-string.
func (p *headerScan) element() {
	for p.i < len(p.s) && !p.at(',') {
		if p.at('"') {
			p.quoted()
		} else {
			p.i++
		}
	}
}
