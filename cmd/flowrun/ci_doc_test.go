package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

const (
	ciDoc = "../../docs/ci.md"
	ciJob = "../../docs/ci/flowrun-job.yaml"
)

// mdBlock is a fenced block of a Markdown page.
type mdBlock struct {
	lang, text string
	line       int
}

// mdBlocks returns the fenced blocks of a Markdown page, and the inline
// code of the text between them.
func mdBlocks(page string) (blocks []mdBlock, inline []string) {
	var cur *mdBlock
	for i, line := range strings.SplitAfter(page, "\n") {
		fence := strings.HasPrefix(line, "```")
		switch {
		case fence && cur == nil:
			cur = &mdBlock{lang: strings.TrimSpace(line[3:]), line: i + 1}
		case fence:
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil:
			cur.text += line
		default:
			for _, m := range regexp.MustCompile("`([^`]+)`").FindAllStringSubmatch(line, -1) {
				inline = append(inline, m[1])
			}
		}
	}
	return blocks, inline
}

// yamlDocs decodes every document of a YAML stream.
func yamlDocs(t *testing.T, where, text string) []map[string]any {
	t.Helper()
	var out []map[string]any
	dec := yaml.NewDecoder(strings.NewReader(text))
	for {
		var doc map[string]any
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		out = append(out, doc)
	}
}

// dig returns the value at a path of map keys and list indexes.
func dig(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

// ghExpr is a GitHub Actions expression, ${{ matrix.shard }}, which
// holds spaces a shell never sees.
var ghExpr = regexp.MustCompile(`\$\{\{\s*([^}]*?)\s*\}\}`)

// commandLines returns the flowrun commands of a shell script: each as
// its arguments after "flowrun", GitHub expressions as {{expr}}.
func commandLines(script string) [][]string {
	script = ghExpr.ReplaceAllString(script, "{{$1}}")
	script = strings.ReplaceAll(script, "\\\n", " ")
	var out [][]string
	for _, line := range strings.Split(script, "\n") {
		line, _, _ = strings.Cut(line, " #")
		out = append(out, flowrunArgs(shellWords(line))...)
	}
	return out
}

// shellWords splits a line into words as a shell would, quotes removed,
// the operators &&, ||, ;, | and & words of their own.
func shellWords(line string) []string {
	var words []string
	var w strings.Builder
	in, quote := false, rune(0)
	flush := func() {
		if in {
			words = append(words, w.String())
		}
		w.Reset()
		in = false
	}
	for _, r := range line {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			w.WriteRune(r)
		case r == '\'' || r == '"':
			quote, in = r, true
		case r == ' ' || r == '\t':
			flush()
		case strings.ContainsRune(";&|", r):
			flush()
			words = append(words, string(r))
		default:
			w.WriteRune(r)
			in = true
		}
	}
	flush()
	return words
}

// flowrunArgs returns the arguments of each flowrun command among words.
func flowrunArgs(words []string) [][]string {
	var out [][]string
	start := true
	for i := 0; i < len(words); i++ {
		w := words[i]
		if isOperator(w) {
			start = true
			continue
		}
		if start && strings.Contains(w, "=") && !strings.HasPrefix(w, "-") {
			continue // VAR=value before the command
		}
		if start && (w == "flowrun" || strings.HasSuffix(w, "/flowrun")) {
			var args []string
			for i++; i < len(words) && !isOperator(words[i]) && !strings.HasPrefix(words[i], ">"); i++ {
				args = append(args, words[i])
			}
			i--
			out = append(out, args)
		}
		start = false
	}
	return out
}

func isOperator(w string) bool { return w == ";" || w == "&" || w == "|" }

// yamlCommands returns the flowrun commands of a YAML document: in every
// string, read as a script, and in every container's command and args.
func yamlCommands(v any) [][]string {
	var out [][]string
	switch x := v.(type) {
	case string:
		out = append(out, commandLines(x)...)
	case []any:
		for _, e := range x {
			out = append(out, yamlCommands(e)...)
		}
	case map[string]any:
		if cmd, ok := x["command"].([]any); ok {
			var words []string
			for _, e := range append(slices.Clone(cmd), asList(x["args"])...) {
				words = append(words, fmt.Sprint(e))
			}
			out = append(out, flowrunArgs(words)...)
		}
		for k, e := range x {
			if k != "command" && k != "args" {
				out = append(out, yamlCommands(e)...)
			}
		}
	}
	return out
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// flagValue returns the value of a --name flag among args.
func flagValue(args []string, name string) (string, bool) {
	for i, a := range args {
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			return v, true
		}
		if a == "--"+name && i+1 < len(args) {
			return args[i+1], true
		}
	}
	return "", false
}

// checkFlags fails t unless the real command tree accepts every flag of
// the command line.
func checkFlags(t *testing.T, where string, args []string) {
	t.Helper()
	root := newRootCmd(&app{stdout: io.Discard, stderr: io.Discard, getenv: env(nil)})
	cmd, rest, err := root.Find(args)
	if err == nil {
		err = cmd.ParseFlags(rest)
	}
	if err != nil {
		t.Errorf("%s: flowrun %s: %v", where, strings.Join(args, " "), err)
	}
}

// TestCIDocCommandsUseRealFlags checks every flowrun command of
// docs/ci.md and docs/ci/flowrun-job.yaml, in the YAML, the shell blocks
// and the text, against the real command tree.
func TestCIDocCommandsUseRealFlags(t *testing.T) {
	page := string(mustRead(t, ciDoc))
	blocks, inline := mdBlocks(page)
	var n int
	check := func(where string, cmds [][]string) {
		for _, args := range cmds {
			checkFlags(t, where, args)
			n++
		}
	}
	for _, b := range blocks {
		where := fmt.Sprintf("%s:%d", ciDoc, b.line)
		switch b.lang {
		case "yaml":
			for _, doc := range yamlDocs(t, where, b.text) {
				check(where, yamlCommands(doc))
			}
		case "sh":
			check(where, commandLines(b.text))
		}
	}
	for _, code := range inline {
		if strings.HasPrefix(code, "flowrun ") {
			check(ciDoc+": `"+code+"`", commandLines(code))
		}
	}
	for _, doc := range yamlDocs(t, ciJob, string(mustRead(t, ciJob))) {
		check(ciJob, yamlCommands(doc))
	}
	if n < 20 {
		t.Errorf("got %d flowrun commands in the docs, want 20 or more: is the page read as it should be?", n)
	}
}

// ciYAML returns the documents of every YAML block of docs/ci.md.
func ciYAML(t *testing.T) []map[string]any {
	t.Helper()
	blocks, _ := mdBlocks(string(mustRead(t, ciDoc)))
	var out []map[string]any
	for _, b := range blocks {
		if b.lang == "yaml" {
			out = append(out, yamlDocs(t, fmt.Sprintf("%s:%d", ciDoc, b.line), b.text)...)
		}
	}
	return out
}

// shardN is the N of a --shard value "K/N" or "N".
func shardN(v string) (int, error) {
	_, n, _ := strings.Cut(v, "/")
	if n == "" {
		n = v
	}
	return strconv.Atoi(n)
}

func TestCIDocGitHubMatrix(t *testing.T) {
	var found int
	for _, doc := range ciYAML(t) {
		jobs, _ := doc["jobs"].(map[string]any)
		for name, job := range jobs {
			shards := asList(dig(job, "strategy", "matrix", "shard"))
			if shards == nil {
				continue
			}
			found++
			var want []any
			for i := range shards {
				want = append(want, i+1)
			}
			if !slices.Equal(shards, want) {
				t.Errorf("job %s: got matrix.shard %v, want %v", name, shards, want)
			}
			var runs int
			for _, args := range yamlCommands(dig(job, "steps")) {
				v, ok := flagValue(args, "shard")
				if !ok {
					continue
				}
				runs++
				if want := fmt.Sprintf("{{matrix.shard}}/%d", len(shards)); v != want {
					t.Errorf("job %s: got --shard %s, want %s", name, v, want)
				}
			}
			if runs != 1 {
				t.Errorf("job %s: got %d flowrun commands with --shard, want 1", name, runs)
			}
			var merge bool
			for other, j := range jobs {
				if dig(j, "needs") == name && strings.Contains(fmt.Sprint(dig(j, "if")), "always()") {
					merge = true
					if !strings.Contains(fmt.Sprint(yamlCommands(j)), "merge") {
						t.Errorf("job %s: runs no flowrun merge", other)
					}
				}
			}
			if !merge {
				t.Errorf("job %s: no job needs it with if: always() to merge its reports", name)
			}
		}
	}
	if found != 1 {
		t.Errorf("got %d GitHub Actions matrix jobs with a shard list, want 1", found)
	}
}

func TestCIDocGitLabParallel(t *testing.T) {
	var found int
	for _, doc := range ciYAML(t) {
		for name, job := range doc {
			p, ok := dig(job, "parallel").(int)
			if !ok {
				continue
			}
			found++
			var runs int
			for _, args := range yamlCommands(dig(job, "script")) {
				v, ok := flagValue(args, "shard")
				if !ok {
					continue
				}
				runs++
				n, err := shardN(v)
				if v != "$CI_NODE_INDEX/$CI_NODE_TOTAL" && (err != nil || n != p) {
					t.Errorf("job %s: got --shard %s, want $CI_NODE_INDEX/$CI_NODE_TOTAL or N = parallel: %d", name, v, p)
				}
			}
			if runs != 1 {
				t.Errorf("job %s: got %d flowrun commands with --shard, want 1", name, runs)
			}
			if dig(job, "artifacts", "when") != "always" {
				t.Errorf("job %s: artifacts are not kept when: always", name)
			}
			var merge bool
			for _, j := range doc {
				if slices.Contains(asList(dig(j, "needs")), any(name)) && dig(j, "artifacts", "reports", "junit") != nil {
					merge = true
				}
			}
			if !merge {
				t.Errorf("job %s: no job needs it and reports a JUnit file", name)
			}
		}
	}
	if found != 1 {
		t.Errorf("got %d GitLab jobs with parallel:, want 1", found)
	}
}

// checkIndexedJobs checks every Job whose container runs flowrun with
// --shard N, and returns how many there are.
func checkIndexedJobs(t *testing.T, where string, docs []map[string]any) int {
	t.Helper()
	var found int
	for _, doc := range docs {
		if doc["kind"] != "Job" {
			continue
		}
		for _, args := range yamlCommands(dig(doc, "spec", "template", "spec", "containers")) {
			v, ok := flagValue(args, "shard")
			if !ok {
				continue
			}
			found++
			if doc["apiVersion"] != "batch/v1" {
				t.Errorf("%s: got apiVersion %v, want batch/v1", where, doc["apiVersion"])
			}
			n, err := strconv.Atoi(v)
			if err != nil {
				t.Errorf("%s: got --shard %s, want N alone: the pod's index is its K", where, v)
			}
			spec := doc["spec"]
			for _, c := range []struct {
				key  string
				want any
			}{{"completionMode", "Indexed"}, {"completions", n}, {"parallelism", n}} {
				if got := dig(spec, c.key); got != c.want {
					t.Errorf("%s: got %s %v, want %v (--shard %s)", where, c.key, got, c.want, v)
				}
			}
		}
	}
	return found
}

func TestCIDocKubernetesJob(t *testing.T) {
	file := mustRead(t, ciJob)
	if n := checkIndexedJobs(t, ciJob, yamlDocs(t, ciJob, string(file))); n != 1 {
		t.Errorf("%s: got %d Jobs running flowrun --shard, want 1", ciJob, n)
	}
	if n := checkIndexedJobs(t, ciDoc, ciYAML(t)); n != 1 {
		t.Errorf("%s: got %d Jobs running flowrun --shard, want 1", ciDoc, n)
	}
	blocks, _ := mdBlocks(string(mustRead(t, ciDoc)))
	if !slices.ContainsFunc(blocks, func(b mdBlock) bool { return b.lang == "yaml" && b.text == string(file) }) {
		t.Errorf("%s holds no copy of %s: copy the file into its yaml block as it is", ciDoc, filepath.Base(ciJob))
	}
	if !bytes.Contains(mustRead(t, ciDoc), []byte(strings.TrimPrefix(ciJob, "../../"))) {
		t.Errorf("%s does not name %s", ciDoc, ciJob)
	}
}
