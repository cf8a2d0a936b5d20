package flows

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
)

// ReadEnvFile reads a dotenv file: NAME=value lines, `export` allowed
// before a name, # comments, blank lines, values in single quotes (as
// written) or double quotes (\n, \t, \", \\ escapes). A problem is an
// *Error at its line; no value is echoed in it.
func ReadEnvFile(path string) (map[string]string, error) {
	data, err := readRegular(path, "an env file", "", maxEnvFile)
	if err != nil {
		return nil, err
	}
	return ParseEnvFile(path, data)
}

// ParseEnvFile parses the text of a dotenv file named file.
func ParseEnvFile(file string, data []byte) (map[string]string, error) {
	out := map[string]string{}
	var errs []error
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, maxEnvFile)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		text = strings.TrimSpace(strings.TrimPrefix(text, "export "))
		name, raw, ok := strings.Cut(text, "=")
		name = strings.TrimSpace(name)
		at := Pos{File: file, Line: line, Col: 1}
		if !ok || !validEnvName(name) {
			errs = append(errs, Errorf(at, "env file: want NAME=value, such as API_TOKEN=abc123"))
			continue
		}
		v, err := envValue(strings.TrimSpace(raw))
		if err != nil {
			errs = append(errs, Errorf(at, "env file: %s: %v", name, err))
			continue
		}
		out[name] = v
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", file, err))
	}
	return out, JoinErrors(errs)
}

// envValue unquotes a value: 'as written', "with escapes", or bare up to
// a # comment.
func envValue(raw string) (string, error) {
	switch {
	case strings.HasPrefix(raw, "'"):
		end := strings.IndexByte(raw[1:], '\'')
		if end < 0 {
			return "", fmt.Errorf("the value's ' is not closed")
		}
		return raw[1 : end+1], nil
	case strings.HasPrefix(raw, `"`):
		var b strings.Builder
		for i := 1; i < len(raw); i++ {
			c := raw[i]
			switch {
			case c == '"':
				return b.String(), nil
			case c == '\\' && i+1 < len(raw):
				i++
				if e, ok := map[byte]byte{'n': '\n', 't': '\t', 'r': '\r'}[raw[i]]; ok {
					b.WriteByte(e)
				} else {
					b.WriteByte(raw[i])
				}
			default:
				b.WriteByte(c)
			}
		}
		return "", fmt.Errorf(`the value's " is not closed`)
	}
	if i := strings.Index(raw, " #"); i >= 0 {
		raw = raw[:i]
	}
	return strings.TrimSpace(raw), nil
}
