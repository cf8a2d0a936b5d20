package flows

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// spec returns a one-flow spec with extra top-level YAML before flows.
func boundSpec(extra, step string) string {
	return "provider: p\nbase_url: http://x\n" + extra + "flows:\n  - name: f\n    steps:\n      - " + step + "\n"
}

func TestBoundedSpecs(t *testing.T) {
	big := strings.Repeat("a", 1<<20)
	aliases := strings.TrimSuffix(strings.Repeat("*b,", 20), ",")
	for _, tc := range []struct {
		name, src string
		lim       Limits
		want      string
	}{
		{"a large scalar aliased in a JSON body", boundSpec("vars:\n  big: &b "+big+"\n", "request: {path: /, json: {xs: ["+aliases+"]}}"),
			Limits{}, "a.yaml:8:39: the spec expands to more than 16 MiB of text through its aliases; use fewer aliases, or raise the bound with --limit expanded=SIZE"},
		{"raised by its limit", boundSpec("vars:\n  big: &b "+big+"\n", "request: {path: /, json: {xs: ["+aliases+"]}}"),
			Limits{Expanded: 64 << 20}, ""},
		{"a large spec without aliases", boundSpec("vars:\n  big: "+big+"\n", "request: {path: /}"),
			Limits{Expanded: 1 << 19}, "the spec holds more than 512 KiB of text; split it into several spec files"},
		{"a value over the string limit", boundSpec("vars:\n  big: "+big+"x\n", "request: {path: /}"),
			Limits{}, "a.yaml:4:8: vars: big: the value is 1.0 MiB; a value may be at most 1 MiB (--limit string=SIZE raises it)"},
		{"too many rows", boundSpec("", "request: {path: /}\n    rows: [{a: 1}, {a: 2}, {a: 3}]"),
			Limits{Rows: 2}, "rows: 3 rows; a flow may have at most 2 (--limit rows=N raises it)"},
		{"an expression YAML reads as a mapping", boundSpec("", "request: {path: /, expect: {assert: [json(\"a\") == \"x: y\"]}}"),
			Limits{}, `YAML read this expression as a mapping because of the ": " in it; quote the whole expression: - 'json("a") == "x: y"'`},
		{"a system file given as a spec", "root:$6$Zx9$s3cr3tHash:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n",
			Limits{}, "a.yaml:1:1: this file is not a flowrun spec: none of its top-level keys is one of provider, description"},
		{"invalid UTF-8 on line 7", "provider: p\nbase_url: http://x\nflows:\n  - name: f\n    steps:\n      - request: {path: /}\n  # caf\xe9\n",
			Limits{}, "a.yaml:7:8: the file is not UTF-8: byte 0xe9 cannot start a character here"},
		{"an unclosed flow mapping", "provider: p\nflows:\n  - name: f\n    steps:\n      - request: {path: /x\n      - wait: 1s\n",
			Limits{}, "a.yaml:6:7: YAML syntax: ',' or '}' must be specified; the { on line 5 is not closed"},
		{"a tab", "provider: p\nflows:\n  - name: f\n\tsteps: []\n",
			Limits{}, `a.yaml:4:1: YAML syntax: found character '\t' that cannot start any token; indent with spaces, not tabs`},
		{"a colon in a plain value", "provider: p\nbase_url: a: b\n",
			Limits{}, `a.yaml:2:11: YAML syntax: mapping value is not allowed in this context; a value that holds ": " must be quoted`},
		{"a line indented too far", "provider: p\nflows:\n  - name: f\n    steps:\n      - call: {path: /x}\n     - call: {path: /y}\n",
			Limits{}, "a.yaml:6:6: YAML syntax: value is not allowed in this context; check this line's indentation"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseWith("a.yaml", []byte(tc.src), Options{Getenv: noEnv, Limits: tc.lim})
			if tc.want == "" {
				if err != nil {
					t.Fatalf("got %v, want no error", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("the error shows the file's content: %v", err)
			}
			if n := strings.Count(err.Error(), "\n") + 1; tc.name == "an expression YAML reads as a mapping" && n != 1 {
				t.Errorf("got %d problems, want 1: %v", n, err)
			}
		})
	}
}

func TestRowsFilesAreBounded(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("secret.csv", "root:$6$salt$hash:19000:0:99999:7:::\nbin:*:19000:0:99999:7:::\n")
	write("ok.csv", "name,user\none,alice\ntwo,bob\nthree,carol\n")
	write("big.csv", "a\n"+strings.Repeat("x\n", 600))
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo.csv"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/dev/zero", filepath.Join(dir, "zero.csv")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, file string
		lim        Limits
		want       string
		not        string
	}{
		{"a FIFO is not read", "fifo.csv", Limits{}, "fifo.csv is a named pipe (FIFO), not a regular file; a rows file must be a regular file", ""},
		{"a device is not read", "zero.csv", Limits{}, "zero.csv is a device, not a regular file", ""},
		{"a file over its size", "big.csv", Limits{RowsFile: 1 << 10}, "big.csv is 1.2 KiB; a rows file may be at most 1 KiB (--limit rows-file=SIZE raises it)", ""},
		{"more rows than the limit", "ok.csv", Limits{Rows: 2}, "ok.csv: more than 2 rows; a flow may have at most 2", ""},
		{"a file that is not rows is not echoed", "secret.csv", Limits{}, "secret.csv:1: column 1 of the header line is not a variable name", "19000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := boundSpec("", "request: {path: /}\n    rows_file: "+tc.file)
			_, err := ParseWith(filepath.Join(dir, "a.yaml"), []byte(src), Options{Getenv: noEnv, Limits: tc.lim})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
			if tc.not != "" && strings.Contains(err.Error(), tc.not) {
				t.Errorf("the error shows the file's content: %v", err)
			}
		})
	}
	s, err := ParseWith(filepath.Join(dir, "a.yaml"), []byte(boundSpec("", "request: {path: /}\n    rows_file: ok.csv")), Options{Getenv: noEnv})
	if err != nil {
		t.Fatal(err)
	}
	if rows := s.Flows[0].Rows; len(rows) != 3 || rows[2].Name != "three" || rows[2].Pos.Line != 4 {
		t.Errorf("got rows %+v, want three rows, the last named three at line 4", rows)
	}
}

func TestLimitsSet(t *testing.T) {
	var l Limits
	for _, tc := range []struct{ name, value, err string }{
		{"body", "50MiB", ""},
		{"rows", "1_000", ""},
		{"string", "512K", ""},
		{"rows", "10MiB", `limit rows: want a positive whole number, got "10MiB"`},
		{"body", "-1", `limit body: want a positive size such as 1048576, 512KiB, 10MiB or 1GB, got "-1"`},
		{"bdoy", "1", `unknown limit "bdoy"; limits are spec-file, nodes, expanded, string, rows, rows-file, body, expr-memory`},
	} {
		err := l.Set(tc.name, tc.value)
		if got := ""; err != nil {
			got = err.Error()
			if got != tc.err {
				t.Errorf("Set(%q, %q): got %q, want %q", tc.name, tc.value, got, tc.err)
			}
		} else if tc.err != "" {
			t.Errorf("Set(%q, %q): got no error, want %q", tc.name, tc.value, tc.err)
		}
	}
	r := l.Resolved()
	if r.Body != 50<<20 || r.Rows != 1000 || r.String != 512<<10 || r.SpecFile != 4<<20 {
		t.Errorf("got %+v, want body 50 MiB, rows 1000, string 512 KiB and the default spec-file", r)
	}
}
