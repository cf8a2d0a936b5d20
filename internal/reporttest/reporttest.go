package reporttest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// The schemas the reports are checked against, as paths from the
// repository's root.
const (
	// JUnitAntXSD is the strict Apache Ant JUnit schema.
	JUnitAntXSD = "reports/testdata/junit-ant.xsd"
	// JUnitJenkinsXSD is the lenient schema of Jenkins' xUnit plugin.
	JUnitJenkinsXSD = "reports/testdata/junit-jenkins-10.xsd"
	// CTRFSchema is ctrf-io/ctrf's schema/ctrf.schema.json.
	CTRFSchema = "reports/testdata/ctrf.schema.json"
	// ResultSchema is the JSON Schema of flowrun's JSON report.
	ResultSchema = "reports/schema/flowrun-result.schema.json"
)

// RepoFile returns the path of rel, a slash-separated path from the
// repository's root, so a test of any package finds the same file.
func RepoFile(t testing.TB, rel string) string {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, filepath.FromSlash(rel))
}

// repoRoot is two folders above this file; when the build hides where
// that is (-trimpath), the first folder above the working directory that
// holds flowrun's go.mod.
func repoRoot() (string, error) {
	if _, file, _, ok := goruntime.Caller(0); ok && filepath.IsAbs(file) {
		if dir := filepath.Join(filepath.Dir(file), "..", ".."); isRepoRoot(dir) {
			return dir, nil
		}
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for !isRepoRoot(dir) {
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("reporttest: no folder above the working directory holds flowrun's go.mod")
		}
		dir = parent
	}
	return dir, nil
}

func isRepoRoot(dir string) bool {
	mod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	return err == nil && bytes.HasPrefix(mod, []byte("module github.com/flowrun/flowrun\n"))
}

// RequireTool returns the path of the program name. When it is missing
// the test is skipped, or fails when CI is set, so CI never passes
// without running every test.
func RequireTool(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	how := "install the Debian package that provides it (apt-file search bin/" + name + ")"
	if pkg := debianPackage(name); pkg != "" {
		how = "install the Debian package " + pkg + " (apt-get install " + pkg + ")"
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s not found: %v; CI must run this test: %s", name, err, how)
	}
	t.Skipf("%s not found: %v; %s to run this test", name, err, how)
	return ""
}

// debianPackage names the Debian package that provides a tool the tests
// run, or "" when it is not known here.
func debianPackage(name string) string {
	switch name {
	case "xmllint":
		return "libxml2-utils"
	case "chromium":
		return "chromium"
	}
	return ""
}

// ValidateJUnit fails t unless doc is valid against both JUnitAntXSD and
// JUnitJenkinsXSD, as xmllint, the real validator, finds.
func ValidateJUnit(t testing.TB, doc []byte) {
	t.Helper()
	xmllint := RequireTool(t, "xmllint")
	for _, xsd := range []string{JUnitAntXSD, JUnitJenkinsXSD} {
		cmd := exec.Command(xmllint, "--noout", "--schema", RepoFile(t, xsd), "-")
		cmd.Stdin = bytes.NewReader(doc)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("JUnit report against %s: got %v, want valid:\n%s\n%s", xsd, err, out, excerpt(doc))
		}
	}
}

// ValidateCTRF fails t unless doc matches CTRFSchema.
func ValidateCTRF(t testing.TB, doc []byte) {
	t.Helper()
	CompileSchema(t, CTRFSchema).Validate(t, doc)
}

// ValidateJSON fails t unless doc matches ResultSchema.
func ValidateJSON(t testing.TB, doc []byte) {
	t.Helper()
	CompileSchema(t, ResultSchema).Validate(t, doc)
}

// Schema is a compiled JSON Schema.
type Schema struct {
	file   string
	schema *jsonschema.Schema
}

// CompileSchema compiles the JSON Schema at rel, a path from the
// repository's root, checking it against its draft's metaschema, with
// formats (date-time, uuid) asserted.
func CompileSchema(t testing.TB, rel string) *Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	sch, err := c.Compile(RepoFile(t, rel))
	if err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	return &Schema{file: rel, schema: sch}
}

// Check returns why doc does not match s, or nil when it does.
func (s *Schema) Check(doc []byte) error {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return err
	}
	return s.schema.Validate(inst)
}

// Validate fails t unless doc matches s.
func (s *Schema) Validate(t testing.TB, doc []byte) {
	t.Helper()
	if err := s.Check(doc); err != nil {
		t.Errorf("the report does not match %s:\n%v\n%s", s.file, err, excerpt(doc))
	}
}

// excerpt is the start of a document shown with a failure: enough to see
// what is wrong, not a whole run's report.
func excerpt(doc []byte) string {
	const max = 16 << 10
	if len(doc) <= max {
		return string(doc)
	}
	return fmt.Sprintf("%s\n… %d bytes in all", doc[:max], len(doc))
}

// ArtifactDir is where screenshots go: $FLOWRUN_ARTIFACTS, so CI can keep
// them, or a temporary folder.
func ArtifactDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("FLOWRUN_ARTIFACTS")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Browser is a headless Chromium that lives as long as the test that
// started it.
type Browser struct {
	ctx   context.Context
	shots string
}

// NewBrowser starts headless Chromium for t; it stops when t ends.
func NewBrowser(t testing.TB) *Browser {
	t.Helper()
	exe := RequireTool(t, "chromium")
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	t.Cleanup(cancel)
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(1280, 900))...)
	t.Cleanup(cancelAlloc)
	browser, cancelBrowser := chromedp.NewContext(alloc)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("starting %s: %v", exe, err)
	}
	return &Browser{ctx: browser, shots: ArtifactDir(t)}
}

// OpenHTML starts a browser for t and opens the report at path in it.
func OpenHTML(t testing.TB, path string) *Page {
	t.Helper()
	return NewBrowser(t).Open(t, path)
}

// Open opens the report at path in a new tab, watched: t fails if the
// page makes a network request, writes an error or a warning to the
// console, throws or opens a dialog. The tab closes when t ends.
func (b *Browser) Open(t testing.TB, path string) *Page {
	t.Helper()
	return b.open(t, path, false)
}

// OpenScriptless is Open with JavaScript turned off.
func (b *Browser) OpenScriptless(t testing.TB, path string) *Page {
	t.Helper()
	return b.open(t, path, true)
}

func (b *Browser) open(t testing.TB, path string, noScript bool) *Page {
	t.Helper()
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := chromedp.NewContext(b.ctx)
	t.Cleanup(cancel)
	p := &Page{ctx: ctx, url: (&url.URL{Scheme: "file", Path: abs}).String(), shots: b.shots}
	p.watch(t)
	t.Cleanup(func() { p.clean(t) }) // before the tab closes: cleanups run last first
	if noScript {
		if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
			t.Fatal(err)
		}
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(p.url), chromedp.WaitVisible(chromedp.ID("summary"))); err != nil {
		t.Fatalf("opening %s: %v", p.url, err)
	}
	return p
}

// Page is one tab with a report open, and what the tab did: every
// request it made or tried, every console message and dialog.
type Page struct {
	ctx      context.Context
	url      string
	shots    string
	mu       sync.Mutex
	requests []string // network requests other than the page itself
	problems []string // console messages, exceptions, dialogs
}

// watch records what the tab does: every request but the page's own,
// console message, exception and dialog; then it blocks.
func (p *Page) watch(t testing.TB) {
	t.Helper()
	err := chromedp.Listen(p.ctx, func(ev any) {
		p.mu.Lock()
		defer p.mu.Unlock()
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			if ev.Request.URL != p.url {
				p.requests = append(p.requests, "network: "+ev.Request.URL)
			}
		case *runtime.EventConsoleAPICalled:
			p.problems = append(p.problems, fmt.Sprintf("console.%s called", ev.Type))
		case *runtime.EventExceptionThrown:
			p.problems = append(p.problems, "exception: "+ev.ExceptionDetails.Text)
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.EntryLevelError || ev.Entry.Level == log.EntryLevelWarning {
				p.problems = append(p.problems, fmt.Sprintf("log %s: %s", ev.Entry.Level, ev.Entry.Text))
			}
		case *page.EventJavascriptDialogOpening:
			p.problems = append(p.problems, fmt.Sprintf("%s dialog: %q", ev.Type, ev.Message))
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	p.block(t)
}

// block fails every request but the page's own, and dismisses every
// dialog, so a script of the data can neither reach out nor hang the
// test. An answer that fails is a tab that is closing: nothing is left
// to answer.
func (p *Page) block(t testing.TB) {
	t.Helper()
	ctx := p.ctx
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	paused := chromedp.Events(ctx, fetch.RequestPaused)
	go func() {
		for _, err := range dialogs {
			if err != nil {
				return
			}
			chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}
	}()
	go func() {
		for ev, err := range paused {
			if err != nil {
				return
			}
			if ev.Request.URL == p.url {
				chromedp.Call(ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ev.RequestID})
				continue
			}
			p.mu.Lock()
			p.requests = append(p.requests, "blocked: "+ev.Request.URL)
			p.mu.Unlock()
			chromedp.Call(ctx, fetch.FailRequest, fetch.FailRequestParams{RequestID: ev.RequestID, ErrorReason: network.ErrorReasonBlockedByClient})
		}
	}()
	if _, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*"}}}); err != nil {
		t.Fatal(err)
	}
}

// clean fails t if the page made a request or wrote to the console.
func (p *Page) clean(t testing.TB) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.requests) > 0 {
		t.Errorf("the page made requests:\n%s", strings.Join(p.requests, "\n"))
	}
	if len(p.problems) > 0 {
		t.Errorf("the page reported problems:\n%s", strings.Join(slices.Compact(p.problems), "\n"))
	}
}

// Summary returns the text of the page's summary: outcome, counts, times.
func (p *Page) Summary(t testing.TB) string {
	t.Helper()
	return do(t, p.ctx, chromedp.Text(chromedp.ID("summary")))
}

// Text returns the text of the page as it is rendered: nothing folded
// away in a closed <details> or hidden.
func (p *Page) Text(t testing.TB) string {
	t.Helper()
	return Evaluate[string](t, p, `document.body.innerText`)
}

// Sees reports whether text is on the page where a person can see it: in
// an element that is rendered, not folded away in a closed <details>.
func (p *Page) Sees(t testing.TB, text string) bool {
	t.Helper()
	arg, _ := json.Marshal(text)
	return Evaluate[bool](t, p, fmt.Sprintf(`((want) => {
		const holders = [...document.body.querySelectorAll("*")].filter((el) =>
			el.textContent.includes(want) && ![...el.children].some((c) => c.textContent.includes(want)));
		return holders.some((el) => el.checkVisibility({visibilityProperty: true, opacityProperty: true}));
	})(%s)`, arg))
}

// Flow is a flow as the page shows it.
type Flow struct {
	Status  string `json:"status"`
	Open    bool   `json:"open"`
	Visible bool   `json:"visible"`
}

// Flows returns each flow of the page by name.
func (p *Page) Flows(t testing.TB) map[string]Flow {
	t.Helper()
	return Evaluate[map[string]Flow](t, p, `(() => {
		const out = {};
		for (const f of document.querySelectorAll(".flow")) {
			const name = f.querySelector(".name").firstChild.textContent.trim();
			out[name] = {status: f.dataset.status, open: f.querySelector("details").open, visible: f.checkVisibility()};
		}
		return out;
	})()`)
}

// ClickFailedOnly clicks the "failed only" filter.
func (p *Page) ClickFailedOnly(t testing.TB) {
	t.Helper()
	if err := chromedp.Do(p.ctx, chromedp.Click(chromedp.ID("failed-only"))); err != nil {
		t.Fatalf("clicking the filter: %v", err)
	}
}

// Screenshot saves the whole page as name, a PNG file in ArtifactDir.
func (p *Page) Screenshot(t testing.TB, name string) {
	t.Helper()
	path := filepath.Join(p.shots, name)
	if err := os.WriteFile(path, do(t, p.ctx, chromedp.FullScreenshot(100)), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

// Evaluate returns the value of the JavaScript expression js on the page.
func Evaluate[T any](t testing.TB, p *Page, js string) T {
	t.Helper()
	return do(t, p.ctx, chromedp.Evaluate[T](js))
}

func do[T any](t testing.TB, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
