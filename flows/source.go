package flows

import (
	"errors"
	"fmt"
	"strings"

	"github.com/tidwall/gjson"
)

// checkSource checks a capture source: "status", "header:NAME",
// "cookie:NAME" or a gjson path into the JSON body.
func checkSource(s string) error {
	if s == "status" {
		return nil
	}
	for _, prefix := range []string{"header:", "cookie:"} {
		if rest, ok := strings.CutPrefix(s, prefix); ok {
			if strings.TrimSpace(rest) == "" {
				return fmt.Errorf("%q names no %s; write %sNAME", s, strings.TrimSuffix(prefix, ":"), prefix)
			}
			return nil
		}
	}
	if err := CheckPath(s); err != nil {
		return fmt.Errorf("%w; a capture takes a gjson path such as credentials.token, or status, header:NAME or cookie:NAME", err)
	}
	return nil
}

// CheckPath reports a gjson path that cannot be right: empty, an empty
// component, unbalanced brackets or quotes, or an unknown @modifier.
func CheckPath(path string) error {
	if strings.TrimSpace(path) == "" {
		return errors.New("empty gjson path")
	}
	var stack []byte
	inQuote, compStart := false, 0
	for i := 0; i < len(path); i++ {
		c := path[i]
		switch {
		case c == '\\':
			i++
			continue
		case inQuote:
			inQuote = c != '"'
			continue
		case c == '"':
			inQuote = true
		case c == '(' || c == '[' || c == '{':
			stack = append(stack, c)
		case c == ')' || c == ']' || c == '}':
			open := map[byte]byte{')': '(', ']': '[', '}': '{'}[c]
			if len(stack) == 0 || stack[len(stack)-1] != open {
				return fmt.Errorf("gjson path %q: unbalanced %q at offset %d", path, c, i)
			}
			stack = stack[:len(stack)-1]
		case (c == '.' || c == '|') && len(stack) == 0:
			if err := checkComponent(path, path[compStart:i], i); err != nil {
				return err
			}
			compStart = i + 1
		}
	}
	if inQuote || len(stack) > 0 {
		return fmt.Errorf("gjson path %q: unclosed %s", path, map[bool]string{true: "quote", false: "bracket"}[inQuote])
	}
	return checkComponent(path, path[compStart:], len(path))
}

func checkComponent(path, comp string, at int) error {
	if comp == "" {
		return fmt.Errorf("gjson path %q: empty component at offset %d", path, at)
	}
	if name, ok := strings.CutPrefix(comp, "@"); ok {
		name, _, _ = strings.Cut(name, ":")
		if !gjson.ModifierExists(name, nil) {
			return fmt.Errorf("gjson path %q: unknown modifier @%s", path, name)
		}
	}
	return nil
}
