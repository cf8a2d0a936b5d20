package reports

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/flowrun/flowrun/runner"
)

// masked matches a masked secret in a result: <name#3f2a>.
var masked = regexp.MustCompile(`<([A-Za-z0-9_.:-]+)#([0-9a-f]{4})>`)

// Curl returns a shell command that sends a request again. A masked
// secret becomes a reference to an environment variable, FLOWRUN_NAME,
// which the command's first line lists: the command never holds a
// secret's value, so it can be pasted into a ticket.
func Curl(q runner.Request) string {
	vars := curlVars(q)
	var b strings.Builder
	if len(vars) > 0 {
		var names []string
		for _, v := range vars {
			names = append(names, v)
		}
		slices.Sort(names)
		names = slices.Compact(names)
		fmt.Fprintf(&b, "# set %s first (masked in this report)\n", strings.Join(names, ", "))
	}
	b.WriteString("curl -sS -i -X " + q.Method + " " + shellWord(q.URL, vars))
	for _, h := range q.Headers {
		if strings.EqualFold(h.Name, "Content-Length") {
			continue
		}
		b.WriteString(" \\\n  -H " + shellWord(h.Name+": "+h.Value, vars))
	}
	if q.Body.Text != "" {
		b.WriteString(" \\\n  --data-binary " + shellWord(q.Body.Text, vars))
	}
	if q.Body.Truncated {
		fmt.Fprintf(&b, "\n# the body was cut to its first %d of %d bytes in the report; this sends the excerpt", len(q.Body.Text), q.Body.Size)
	}
	return b.String()
}

// curlVars names an environment variable for each masked secret in a
// request: FLOWRUN_TOKEN, or FLOWRUN_TOKEN_3F2A where two secrets share
// a name.
func curlVars(q runner.Request) map[string]string {
	texts := []string{q.URL, q.Body.Text}
	for _, h := range q.Headers {
		texts = append(texts, h.Value)
	}
	byName := map[string][]string{}
	for _, t := range texts {
		for _, m := range masked.FindAllStringSubmatch(t, -1) {
			if !slices.Contains(byName[m[1]], m[0]) {
				byName[m[1]] = append(byName[m[1]], m[0])
			}
		}
	}
	out := map[string]string{}
	for name, markers := range byName {
		base := "FLOWRUN_" + envName(name)
		for _, m := range markers {
			if len(markers) == 1 {
				out[m] = base
			} else {
				out[m] = base + "_" + strings.ToUpper(masked.FindStringSubmatch(m)[2])
			}
		}
	}
	return out
}

func envName(name string) string {
	b := []byte(strings.ToUpper(name))
	for i, c := range b {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			b[i] = '_'
		}
	}
	return string(b)
}

// shellWord quotes s for a POSIX shell: literal text in single quotes,
// each masked secret as "$FLOWRUN_NAME".
func shellWord(s string, vars map[string]string) string {
	var b strings.Builder
	last := 0
	for _, loc := range masked.FindAllStringIndex(s, -1) {
		if env, ok := vars[s[loc[0]:loc[1]]]; ok {
			b.WriteString(singleQuote(s[last:loc[0]]))
			b.WriteString(`"$` + env + `"`)
			last = loc[1]
		}
	}
	b.WriteString(singleQuote(s[last:]))
	if b.Len() == 0 {
		return "''"
	}
	return b.String()
}

func singleQuote(s string) string {
	if s == "" {
		return ""
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
