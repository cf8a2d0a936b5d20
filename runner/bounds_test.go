package runner

import (
	"fmt"
	"net/http"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/flowrun/flowrun/flows"
)

// bigLen is the length of the variable big: a value as large as a
// template may render.
const bigLen = 1 << 20

// boundsScope returns the scope of an assertion that sees the variables
// of boundsEnv, and the response, with limits.
func boundsScope(limits flows.Limits) *scope {
	sc := newScope()
	sc.confs.limits = limits
	return sc.with("big", "n", "k").withResponse()
}

// boundsEnv returns what an assertion of boundsScope sees: big, a string
// of bigLen bytes; n, a billion; k, ten thousand; and a response whose
// body is a JSON list of 100000 numbers.
func boundsEnv(a *assertion) map[string]any {
	env := helpers(time.Now)
	env[varsKey] = map[string]any{"big": strings.Repeat("b", bigLen), "n": 1e9, "k": 1e4}
	body := "[" + strings.Repeat("1,", 99_999) + "1]"
	addResponse(env, &response{status: 200, header: http.Header{}, body: []byte(body)}, a.uses)
	return env
}

func TestExprBoundsAtCompileTime(t *testing.T) {
	const most = "an expression may allocate at most 10000000 (--limit expr-memory)"
	tests := []struct {
		name, src string
		limits    flows.Limits
		want      string // the error's first line; empty: it compiles
	}{
		{name: "nested repeat", src: `len(repeat(repeat("a", 100000), 100000)) > 0`,
			want: "repeat builds 10000000000 bytes; " + most + " (1:5)"},
		{name: "repeat of a concatenation", src: `len(repeat("ab" + "cd", 3000000)) > 0`,
			want: "repeat builds 12000000 bytes; " + most + " (1:5)"},
		{name: "concatenation", src: `repeat("ab", 3000000) + repeat("cd", 3000000) != ""`,
			want: "+ builds 12000000 bytes; " + most + " (1:23)"},
		{name: "huge range", src: `len(1..1000000000) > 0`,
			want: "1..1000000000 builds 1000000000 elements; " + most + " (1:6)"},
		{name: "nested ranges", src: `all(1..10000, all(1..10000, # > 0))`,
			want: "1..10000 builds 10000 elements each of 10000 times, 100000000 in all; " + most + " (1:20)"},
		{name: "repeat in a loop", src: `all(1..1000, repeat("abc", 10000) != "")`,
			want: "repeat builds 30000 bytes each of 1000 times, 30000000 in all; " + most + " (1:14)"},
		{name: "join of a map", src: `join(map(1..1000000, "abcdefghij"), ",") != ""`,
			want: "join builds 10999999 bytes; " + most + " (1:1)"},
		{name: "long loop", src: `none(1..4000000, # + # + # + # + # + # + # + # + # > 0)`,
			want: "none takes 12000000 steps; an expression may take at most 10000000 steps (--limit expr-memory) (1:1)"},
		{name: "huge pattern", src: `text matches "` + strings.Repeat("a", 50_000) + `"`,
			want: "matches takes 12800000 bytes to compile its pattern; " + most + " (1:6)"},
		{name: "a lower limit", src: `len(repeat("a", 2000)) > 0`, limits: flows.Limits{ExprMemory: 1000},
			want: "repeat builds 2000 bytes; an expression may allocate at most 1000 (--limit expr-memory) (1:5)"},
		{name: "small repeat", src: `len(repeat(repeat("a", 1000), 1000)) > 0`},
		{name: "small nested ranges", src: `all(1..1000, all(1..1000, # > 0))`},
		{name: "range of a million", src: `len(1..1000000) > 0`},
		{name: "unknown sizes", src: `len(repeat(big, k)) > 0 && all(1..n, # > 0)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := compileAssertion(tt.src, boundsScope(tt.limits))
			got := ""
			if err != nil {
				got = firstLine(err)
			}
			if got != tt.want {
				t.Errorf("compiling %s:\ngot  %q\nwant %q", tt.src, got, tt.want)
			}
		})
	}
}

// TestExprBoundsAtRunTime runs expressions whose size is known only when
// they run: each is refused before it allocates or loops past the
// budget, and none runs long. The budget is a tenth of the default, for
// the race detector's sake: what an expression spends scales with it.
func TestExprBoundsAtRunTime(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"repeat of a variable", `len(repeat(big, 100000)) > 0`,
			"repeat would build 104857600000 bytes; an expression may allocate at most 1000000 (--limit expr-memory) (1:5)"},
		{"repeat of what repeat built", `len(repeat(repeat(text, 2), 1000)) > 0`,
			"repeat would build 400002000 bytes; 599998 of the 1000000 an expression may allocate are left (--limit expr-memory) (1:5)"},
		{"what expr counts, and what flowrun does", `let l = 1..600000; len(l) > 0 && len(repeat(text, 2)) > 0`,
			"repeat would build 400002 bytes; 400000 of the 1000000 an expression may allocate are left (--limit expr-memory)"},
		{"concatenation in reduce", `reduce(1..100000, #acc + "x", "") != ""`, "+ would build "},
		{"join with a long separator", `len(join(map(1..100000, "x"), big)) > 0`, "join would build 104856651424 bytes"},
		{"replace with a long string", `len(replace(big, "b", big)) > 0`, "replace would build 1099511627776 bytes"},
		{"a long pattern", `big matches big`, "matches would build 268435456 bytes compiling its pattern"},
		{"range of a variable", `len(1..n) > 0`, "expression allocated more than 1000000 bytes (--limit expr-memory) (1:6)"},
		{"map over a range of a variable", `len(map(1..n, # * 2)) > 0`, "expression allocated more than 1000000 bytes"},
		{"nested ranges of a variable", `all(1..k, all(1..k, # > 0))`, "expression allocated more than 1000000 bytes (--limit expr-memory) (1:16)"},
		{"nested loops over the body", `all(body, all(body, # > 0))`, "all would take 100000 steps"},
		{"search in a loop", `none(1..100000, big contains "zzz")`, "contains would take 65536 steps"},
		{"comparison in a loop", `none(1..100000, big == text)`, "== would take "},
		{"len in a loop", `none(1..100000, len(big) == 1)`, "len would take 65536 steps"},
		{"uniq", `len(uniq(body)) > 0`, "uniq would take 312500000 steps"},
		{"json in a loop", `all(1..1000, json("nope") == nil)`, "json would take 65544 steps"},
		{"time zones in a loop", `all(1..1000, timezone("Europe/Paris") != nil)`, "timezone would take 4096 steps"},
		{"dates in a zone in a loop", `all(1..1000, date("2026-01-02", "2006-01-02", "Europe/Paris") != nil)`, "date would take 4096 steps"},
		{"toJSON of a list held twice, 60 times over", `toJSON(reduce(1..60, [#acc, #acc], [])) != ""`, "toJSON would take more than "},
		{"string of it", `len(string(reduce(1..60, [#acc, #acc], []))) > 0`, "string would take more than "},
		{"flatten of it", `len(flatten(reduce(1..60, [#acc, #acc], [1]))) > 0`, "flatten would take more than "},
		{"max of it", `max(reduce(1..60, [#acc, #acc], [1])) > 0`, "max would take more than "},
		{"toBase64 over and over", `len(reduce(1..100, toBase64(#acc), big)) > 0`, "toBase64 would build "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := compileAssertion(tt.src, boundsScope(flows.Limits{ExprMemory: 1_000_000}))
			if err != nil {
				t.Fatalf("compiling %s: %v", tt.src, err)
			}
			env := boundsEnv(a)
			var c Check
			grew := heapGrowth(t, func() { c = a.check(env) })
			if c.Status != Errored || !strings.Contains(c.Message, tt.want) {
				t.Errorf("checking %s: got %s %q, want errored with %q", tt.src, c.Status, c.Message, tt.want)
			}
			if grew > 100<<20 {
				t.Errorf("checking %s allocated %d MiB, want at most 100", tt.src, grew>>20)
			}
		})
	}
}

// TestMeterReadsTheMachineCount checks that the meter finds expr's count
// of what it allocated: without it, each would have the whole budget.
func TestMeterReadsTheMachineCount(t *testing.T) {
	if machineMemory < 0 {
		t.Fatal("vm.VM has no field memory: the meter cannot read what expr counted")
	}
}

// heapGrowth runs f and returns what it allocated. f must end within a
// minute: expr cannot be interrupted, so the budget is what ends it.
func heapGrowth(t *testing.T, f func()) uint64 {
	t.Helper()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("still running after a minute")
	}
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestTemplateBounds(t *testing.T) {
	const most = "a value may be at most 1 MiB (--limit string)"
	tests := []struct {
		name, src string
		value     bool // value, not render
		want      string
	}{
		{"two values", "{{big}}{{big}}", false, `template "{{big}}{{big}}": renders 2097152 bytes; ` + most},
		{"a literal and a value", "a{{ big }}", false, `template "a{{ big }}": renders 1048577 bytes; ` + most},
		{"a whole string", "{{ big + big }}", true, `template "{{ big + big }}": renders 2097152 bytes; ` + most},
		{"a list held twice, 60 times over", "{{ reduce(1..60, [#acc, #acc], []) }}", true,
			`template "{{ reduce(1..60, [#acc, #acc], []) }}": renders more than 1 MiB; ` + most},
		{"the same, rendered", "x{{ reduce(1..60, [#acc, #acc], []) }}", false,
			`template "x{{ reduce(1..60, [#acc, #acc], []) }}": renders more than 1 MiB; ` + most},
		{"one value at the limit", "{{big}}", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl, err := compileTemplate(tt.src, newScope().with("big"))
			if err != nil {
				t.Fatal(err)
			}
			env := helpers(time.Now)
			env[varsKey] = map[string]any{"big": strings.Repeat("b", bigLen)}
			if tt.value {
				_, err = tpl.value(env)
			} else {
				_, err = tpl.render(env)
			}
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

// TestTemplateStopsWriting renders a template of 50 values of 1 MiB: it
// writes no more than the limit before it errs.
func TestTemplateStopsWriting(t *testing.T) {
	src := strings.Repeat("{{big}}", 50)
	tpl, err := compileTemplate(src, newScope().with("big"))
	if err != nil {
		t.Fatal(err)
	}
	env := helpers(time.Now)
	env[varsKey] = map[string]any{"big": strings.Repeat("b", bigLen)}
	grew := heapGrowth(t, func() { _, err = tpl.render(env) })
	if err == nil || !strings.Contains(err.Error(), "renders 52428800 bytes") {
		t.Errorf("got %v, want renders 52428800 bytes", err)
	}
	if grew > 8<<20 {
		t.Errorf("rendering allocated %d MiB, want at most 8", grew>>20)
	}
}

// TestFailedCheckShowsAnExcerpt checks a false comparison whose operand
// holds a list 2⁶⁰ times over: the check shows a part of it, quickly.
func TestFailedCheckShowsAnExcerpt(t *testing.T) {
	a, err := compileAssertion(`get({"a": reduce(1..60, [#acc, #acc], [])}, "a") == [1]`, boundsScope(flows.Limits{}))
	if err != nil {
		t.Fatal(err)
	}
	env := boundsEnv(a)
	var c Check
	heapGrowth(t, func() { c = a.check(env) })
	text := fmt.Sprintf(c.explain, anys(c.operands)...)
	if c.Status != Failed || !strings.HasPrefix(text, "[[[[") || !strings.Contains(text, `"…"`) || len(text) > 2*showKeep {
		t.Errorf("got %s, %d bytes: %.80s", c.Status, len(text), text)
	}
}

// TestSpecsCompileWithinBounds compiles the provider specs: none of their
// expressions comes near the default budget.
func TestSpecsCompileWithinBounds(t *testing.T) {
	files, _ := filepath.Glob("../specs/*.yaml")
	if len(files) == 0 {
		t.Fatal("no specs in ../specs")
	}
	for _, file := range files {
		spec, err := flows.LoadWith(file, flows.Options{Getenv: func(string) (string, bool) { return "", false }, Lenient: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := CompileWith(spec, CompileOptions{Limits: flows.DefaultLimits()}); err != nil {
			t.Errorf("%s: %v", file, err)
		}
	}
}
