package main

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/flowrun/flowrun/flows"
)

// starterFiles holds one commented starter spec per style, named STYLE.yaml.
//
//go:embed starters/*.yaml
var starterFiles embed.FS

// starter is one style that `flowrun init` can write.
type starter struct {
	style   string
	summary string
	sandbox string // the embedded simulator it runs against; "" for none
}

// starters lists the styles in the order help shows them; the first is the default.
func starters() []starter {
	return []starter{
		{"bearer-refresh", "Authorization: Bearer <token>, a rotating refresh token", "openloyalty"},
		{"custom-header", "the token in a header of the API's own (token: <token>), logout", "amplifi"},
		{"raw-token-plus-ids", "an API key, the raw token and an identity id in headers, refresh, logout", "mic"},
		{"query-token", "the token in the query string (?access_token=...), refresh, logout", ""},
		{"cookie-session", "a session cookie set by a form login, logout", ""},
		{"oauth2", "an OAuth2 token endpoint: password grant with the client's id and secret, refresh, revoke", ""},
	}
}

// findStarter returns the starter of style, or a usage error that lists
// the styles and the nearest one.
func findStarter(style string) (starter, error) {
	var names []string
	for _, s := range starters() {
		if s.style == style {
			return s, nil
		}
		names = append(names, s.style)
	}
	hint := ""
	if best := nearestStyle(style, names); best != "" {
		hint = fmt.Sprintf(" (did you mean %q?)", best)
	}
	return starter{}, fmt.Errorf("unknown style %q%s; styles: %s", style, hint, strings.Join(names, ", "))
}

// nearestStyle is flows.Nearest, or else the only style that contains word:
// "cookie" and "query" are not misspellings, but they say which one is meant.
func nearestStyle(word string, names []string) string {
	if best := flows.Nearest(word, names); best != "" {
		return best
	}
	var found []string
	for _, n := range names {
		if word != "" && strings.Contains(n, strings.ToLower(word)) {
			found = append(found, n)
		}
	}
	if len(found) == 1 {
		return found[0]
	}
	return ""
}

func newInitCmd(a *app) *cobra.Command {
	var (
		style string
		force bool
	)
	var help strings.Builder
	for _, s := range starters() {
		target := "validates; set API_BASE_URL to run it"
		if s.sandbox != "" {
			target = "runs against the embedded " + s.sandbox + " sandbox"
		}
		fmt.Fprintf(&help, "  %-19s %s\n  %-19s (%s)\n", s.style, s.summary, "", target)
	}
	cmd := &cobra.Command{
		Use:   "init [--style STYLE] [FILE]",
		Short: "Write a commented starter spec",
		Long: `init writes a starter spec to FILE (flowrun.yaml by default; - writes it to stdout).
Every key in it is explained in comments: where your API's URL and credentials go,
secrets, how the token is sent, the login request and what it captures, and flows
that log in, call, check a call without the token is refused, refresh and log out.
It does not overwrite a file unless --force is given.

Styles:
` + help.String(),
		Example: `  flowrun init
  flowrun init --style oauth2 specs/my-api.yaml
  flowrun init --style cookie-session - | less`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := findStarter(style)
			if err != nil {
				return &exitError{code: exitUsage, err: fmt.Errorf("flowrun init: %w", err)}
			}
			file := "flowrun.yaml"
			if len(args) == 1 {
				file = args[0]
			}
			return a.writeStarter(s, file, force)
		},
	}
	cmd.Flags().StringVar(&style, "style", starters()[0].style, "how the API authenticates: "+styleNames())
	cmd.Flags().BoolVar(&force, "force", false, "overwrite FILE if it exists")
	return cmd
}

func styleNames() string {
	var names []string
	for _, s := range starters() {
		names = append(names, s.style)
	}
	return strings.Join(names, ", ")
}

// writeStarter writes s to file, or to stdout for "-", and says what to run next.
func (a *app) writeStarter(s starter, file string, force bool) error {
	data, err := starterFiles.ReadFile("starters/" + s.style + ".yaml")
	if err != nil {
		return fmt.Errorf("flowrun init: %w", err) // a style without its file: a build mistake
	}
	if file == "-" {
		if _, err := a.stdout.Write(data); err != nil {
			return &exitError{code: exitUsage, err: fmt.Errorf("flowrun init: writing to stdout: %w", err)}
		}
		return nil
	}
	data = withSchemaLine(data)
	flag := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if !force {
		flag |= os.O_EXCL // refuse, without a race, to overwrite anything
	}
	f, err := os.OpenFile(file, flag, 0o644)
	if err != nil {
		return &exitError{code: exitUsage, err: fmt.Errorf("flowrun init: %s", openProblem(file, err))}
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return &exitError{code: exitUsage, err: fmt.Errorf("flowrun init: %w", err)}
	}
	if err := f.Close(); err != nil {
		return &exitError{code: exitUsage, err: fmt.Errorf("flowrun init: %w", err)}
	}
	q := shellQuote(file)
	fmt.Fprintf(a.stdout, "wrote %s (style %s: %s)\n", file, s.style, s.summary)
	if wrote, err := a.writeSchemaBeside(file); err != nil {
		return err
	} else if wrote != "" {
		fmt.Fprintf(a.stdout, "wrote %s, the schema your editor checks and completes the spec with\n", wrote)
	}
	fmt.Fprintf(a.stdout, "\nNext:\n")
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 3, ' ', 0)
	fmt.Fprintf(tw, "  flowrun validate %s\tcheck it, sending nothing\n", q)
	if s.sandbox != "" {
		fmt.Fprintf(tw, "  flowrun %s\trun it against the embedded %s sandbox\n", q, s.sandbox)
		tw.Flush()
		fmt.Fprintf(a.stdout, "Then, to test your API, set API_BASE_URL and edit the paths and credentials in %s.\n", file)
		return nil
	}
	fmt.Fprintf(tw, "  API_BASE_URL=https://api.example.com flowrun %s\trun it against your API\n", q)
	tw.Flush()
	fmt.Fprintf(a.stdout, "First edit the paths and credentials in %s to match your API.\n", file)
	return nil
}

// schemaFile is the schema a starter names, beside it.
const schemaFile = "flowrun.schema.json"

// withSchemaLine starts a spec with the line that tells editors (through
// the YAML language server) which schema checks and completes it.
func withSchemaLine(spec []byte) []byte {
	return append([]byte("# yaml-language-server: $schema="+schemaFile+"\n"), spec...)
}

// writeSchemaBeside writes the spec schema next to a new spec, unless a
// file of that name is there already; it returns the path written.
func (a *app) writeSchemaBeside(spec string) (string, error) {
	path := filepath.Join(filepath.Dir(spec), schemaFile)
	b, err := flows.NewGrammar().JSONSchema()
	if err != nil {
		return "", &exitError{code: exitUsage, err: fmt.Errorf("flowrun init: %w", err)}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, os.ErrExist) {
		return "", nil
	}
	if err != nil {
		return "", &exitError{code: exitUsage, err: fmt.Errorf("flowrun init: %w", err)}
	}
	_, err = f.Write(append(b, '\n'))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", &exitError{code: exitUsage, err: fmt.Errorf("flowrun init: %w", err)}
	}
	return path, nil
}

// openProblem says why file could not be created, and what to do instead.
func openProblem(file string, err error) string {
	if st, serr := os.Stat(file); serr == nil && st.IsDir() {
		return fmt.Sprintf("%s is a folder; name a file in it, e.g. %s", file, filepath.Join(file, "flowrun.yaml"))
	}
	if errors.Is(err, fs.ErrExist) {
		return file + " already exists; name another file, or add --force to overwrite it"
	}
	return err.Error()
}

// shellQuote quotes path for a shell command line if it needs it.
func shellQuote(path string) string {
	if path != "" && strings.Trim(path, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./") == "" {
		return path
	}
	return "'" + strings.ReplaceAll(path, "'", `'\''`) + "'"
}
