package reports_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
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

	"github.com/flowrun/flowrun/reports"
)

func htmlReport(t *testing.T, name string) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := reports.HTML(&b, results()[name], reports.Options{Version: "v1.2.3"}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestHTMLGolden(t *testing.T) {
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			golden(t, "html_"+name+".golden.html", htmlReport(t, name))
		})
	}
}

// externalRef finds what would make a browser fetch something: a URL in
// an attribute that loads or links, a style sheet import, a CSS url().
// The fixtures' URLs shown as text are fine.
var externalRef = regexp.MustCompile(`(?i)\b(src|href|srcset|action|formaction|poster|data|background|xlink:href)\s*=\s*["']?\s*(https?:|//|ftp:|file:)|@import|url\s*\(`)

func TestHTMLMakesNoExternalReference(t *testing.T) {
	for _, name := range names {
		doc := string(htmlReport(t, name))
		if m := externalRef.FindAllString(doc, -1); m != nil {
			t.Errorf("%s: external references %q", name, m)
		}
		for _, tag := range []string{"<img", "<iframe", "<object", "<embed", "<audio", "<video", "<base", "<form"} {
			if strings.Contains(doc, tag) {
				t.Errorf("%s: has %s", name, tag)
			}
		}
		if n := strings.Count(doc, "<script"); n != 1 || !strings.Contains(doc, "<script>") {
			t.Errorf("%s: got %d script tags, want the one inline script", name, n)
		}
		if n := strings.Count(doc, "<link"); n != 1 || !strings.Contains(doc, `<link rel="icon" href="data:,">`) {
			t.Errorf("%s: got %d link tags, want only the empty icon that keeps the browser from asking for one", name, n)
		}
	}
}

func TestHTMLEscapesValues(t *testing.T) {
	doc := string(htmlReport(t, "failed"))
	if strings.Contains(doc, "<script>alert(1)") {
		t.Error("the response body's <script> is in the page unescaped")
	}
	if !strings.Contains(doc, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("the response body's <script> is not shown as text")
	}
	if !strings.Contains(doc, "&lt;api_key#77aa&gt;") {
		t.Error("the masked API key is not shown masked")
	}
}

// The page's Content-Security-Policy allows its one script by hash: the
// hash must be the script's, or the filter never runs.
func TestHTMLScriptHashMatches(t *testing.T) {
	doc := string(htmlReport(t, "failed"))
	script := regexp.MustCompile(`(?s)<script>(.*?)</script>`).FindStringSubmatch(doc)
	csp := regexp.MustCompile(`script-src '(sha256-[^']+)'`).FindStringSubmatch(doc)
	if script == nil || csp == nil {
		t.Fatalf("script or policy missing")
	}
	sum := sha256.Sum256([]byte(script[1]))
	if want := "sha256-" + base64.StdEncoding.EncodeToString(sum[:]); csp[1] != want {
		t.Errorf("got policy hash %s, want %s", csp[1], want)
	}
}

// htmlSeen is what a person looking at one fixture's page should see.
type htmlSeen struct {
	name    string
	summary []string // in the summary
	open    []string // flows shown open
	closed  []string // flows shown closed
	texts   []string // visible somewhere
}

var htmlSeenCases = []htmlSeen{
	{name: "passed", summary: []string{"Passed\n", "1 flow\n", "1 passed", "0 failed", "0 errored", "0 not run", "2026-01-02 03:04:05 UTC", "15ms"},
		closed: []string{"login and call"}},
	{name: "failed", summary: []string{"Failed\n", "4 flows", "1 passed", "2 failed", "1 errored", "0 not run", "20ms"},
		open:   []string{"refused without token", "profile has the right name [mary]", "assertion cannot be evaluated"},
		closed: []string{"login and call"},
		texts: []string{"expected 401, got 200", "specs/demo.yaml:23:19", "<script>alert(1)</script>", "… 9000 bytes in all; the first 59 shown",
			`"Tom" == "Mary" is false`, "GET http://127.0.0.1:4000/me?q=a&b=<api_key#77aa>"}},
	{name: "errored", summary: []string{"Errored\n", "3 flows", "1 passed", "0 failed", "2 errored", "30s"},
		open:   []string{"server down", "assertion cannot be evaluated"},
		closed: []string{"login and call"},
		texts:  []string{"no answer within the step's timeout of 30s", `{"password":"<password#1a2b>"}`}},
	{name: "interrupted", summary: []string{"Interrupted\n", "Interrupted. The run was stopped", "3 flows", "1 passed", "1 errored", "1 not run", "310ms"},
		open:   []string{"waits for expiry"},
		closed: []string{"login and call", "never began"},
		texts:  []string{"the run was interrupted during the wait", "not run: step 1 did not pass"}},
}

// check checks what the page shows when it opens.
func (tc htmlSeen) check(t *testing.T, p *browserPage) {
	t.Helper()
	summary := run(t, p.ctx, chromedp.Text(chromedp.ID("summary")))
	for _, want := range tc.summary {
		if !strings.Contains(summary, want) {
			t.Errorf("summary does not show %q:\n%s", want, summary)
		}
	}
	flows := p.flows(t)
	for _, name := range tc.open {
		if f := flows[name]; !f.Open || !f.Visible {
			t.Errorf("flow %q: got %+v, want it shown open", name, f)
		}
	}
	for _, name := range tc.closed {
		if f := flows[name]; f.Open || !f.Visible {
			t.Errorf("flow %q: got %+v, want it shown closed", name, f)
		}
	}
	for _, text := range tc.texts {
		if !p.sees(t, text) {
			t.Errorf("%q is not visible", text)
		}
	}
	if p.sees(t, "step 2 call: read profile") {
		t.Error("the passed flow's steps are visible, want them folded away")
	}
	if n := run(t, p.ctx, chromedp.Evaluate[int](`document.scripts.length`)); n != 1 {
		t.Errorf("got %d scripts in the document, want 1", n)
	}
}

// checkFilter ticks "failed only": only what did not pass stays.
func (tc htmlSeen) checkFilter(t *testing.T, p *browserPage) {
	t.Helper()
	if err := chromedp.Do(p.ctx, chromedp.Click(chromedp.ID("failed-only"))); err != nil {
		t.Fatalf("clicking the filter: %v", err)
	}
	for name, f := range p.flows(t) {
		if want := f.Status != "passed"; f.Visible != want {
			t.Errorf("failed only: flow %q (%s) visible %v, want %v", name, f.Status, f.Visible, want)
		}
	}
	if p.sees(t, "login and call") {
		t.Error(`failed only: "login and call" is still visible`)
	}
	if tc.name == "passed" && !p.sees(t, "Every flow passed.") {
		t.Error(`failed only: "Every flow passed." is not shown when nothing failed`)
	}
}

// TestHTMLInChromium opens each fixture's page from a file in headless
// Chromium and checks what a person sees, that the filter works, that no
// script of the data runs and that the page makes no request.
func TestHTMLInChromium(t *testing.T) {
	exe := requireTool(t, "chromium")
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(1280, 900))...)
	defer cancelAlloc()
	browser, cancelBrowser := chromedp.NewContext(alloc)
	defer cancelBrowser()
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("starting %s: %v", exe, err)
	}
	files, shots := t.TempDir(), artifactDir(t)

	for _, tc := range htmlSeenCases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(files, "report_"+tc.name+".html")
			if err := os.WriteFile(path, htmlReport(t, tc.name), 0o644); err != nil {
				t.Fatal(err)
			}
			p := openPage(t, browser, path, false)
			tc.check(t, p)
			p.screenshot(t, filepath.Join(shots, "html_"+tc.name+".png"))
			tc.checkFilter(t, p)
			p.screenshot(t, filepath.Join(shots, "html_"+tc.name+"_failed_only.png"))
			p.clean(t)
		})
	}

	t.Run("without JavaScript", func(t *testing.T) {
		path := filepath.Join(files, "report_nojs.html")
		if err := os.WriteFile(path, htmlReport(t, "failed"), 0o644); err != nil {
			t.Fatal(err)
		}
		p := openPage(t, browser, path, true)
		if f := p.flows(t)["refused without token"]; !f.Open || !f.Visible {
			t.Errorf("failed flow: got %+v, want it shown open", f)
		}
		if !p.sees(t, "expected 401, got 200") {
			t.Error("the failed check is not visible")
		}
		if p.sees(t, "Failed only") {
			t.Error("the filter shows although it cannot work without JavaScript")
		}
		p.clean(t)
	})
}

// artifactDir is where screenshots go: $FLOWRUN_ARTIFACTS, so CI can keep
// them, or a temporary folder.
func artifactDir(t *testing.T) string {
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

// browserPage is one tab with a report open, and what the tab did: every
// request it made or tried, every console message and dialog.
type browserPage struct {
	ctx      context.Context
	url      string
	mu       sync.Mutex
	requests []string // network requests other than the page itself
	problems []string // console messages, exceptions, dialogs
}

// openPage opens the file in a new tab, watched; noScript turns
// JavaScript off.
func openPage(t *testing.T, browser context.Context, path string, noScript bool) *browserPage {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser)
	t.Cleanup(cancel)
	p := &browserPage{ctx: ctx, url: (&url.URL{Scheme: "file", Path: path}).String()}
	p.watch(t)
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

// watch records what the tab does: every request but the page's own,
// console message, exception and dialog; then it blocks.
func (p *browserPage) watch(t *testing.T) {
	t.Helper()
	ctx := p.ctx
	err := chromedp.Listen(ctx, func(ev any) {
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
func (p *browserPage) block(t *testing.T) {
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

// htmlFlowState is a flow as the page shows it.
type htmlFlowState struct {
	Status  string `json:"status"`
	Open    bool   `json:"open"`
	Visible bool   `json:"visible"`
}

// flows returns each flow of the page by name.
func (p *browserPage) flows(t *testing.T) map[string]htmlFlowState {
	t.Helper()
	return run(t, p.ctx, chromedp.Evaluate[map[string]htmlFlowState](`(() => {
		const out = {};
		for (const f of document.querySelectorAll(".flow")) {
			const name = f.querySelector(".name").firstChild.textContent.trim();
			out[name] = {status: f.dataset.status, open: f.querySelector("details").open, visible: f.checkVisibility()};
		}
		return out;
	})()`))
}

// sees reports whether text is on the page where a person can see it: in
// an element that is rendered, not folded away in a closed <details>.
func (p *browserPage) sees(t *testing.T, text string) bool {
	t.Helper()
	arg, _ := json.Marshal(text)
	return run(t, p.ctx, chromedp.Evaluate[bool](fmt.Sprintf(`((want) => {
		const holders = [...document.body.querySelectorAll("*")].filter((el) =>
			el.textContent.includes(want) && ![...el.children].some((c) => c.textContent.includes(want)));
		return holders.some((el) => el.checkVisibility({visibilityProperty: true, opacityProperty: true}));
	})(%s)`, arg)))
}

func (p *browserPage) screenshot(t *testing.T, path string) {
	t.Helper()
	png := run(t, p.ctx, chromedp.FullScreenshot(100))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

// clean fails the test if the page made a request or wrote to the console.
func (p *browserPage) clean(t *testing.T) {
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

func run[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
