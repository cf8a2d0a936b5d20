package reports_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/flowrun/flowrun/internal/reporttest"
	"github.com/flowrun/flowrun/reports"
	"github.com/flowrun/flowrun/runner"
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
func (tc htmlSeen) check(t *testing.T, p *reporttest.Page) {
	t.Helper()
	summary := p.Summary(t)
	for _, want := range tc.summary {
		if !strings.Contains(summary, want) {
			t.Errorf("summary does not show %q:\n%s", want, summary)
		}
	}
	flows := p.Flows(t)
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
		if !p.Sees(t, text) {
			t.Errorf("%q is not visible", text)
		}
	}
	if p.Sees(t, "step 2 call: read profile") {
		t.Error("the passed flow's steps are visible, want them folded away")
	}
	if n := reporttest.Evaluate[int](t, p, `document.scripts.length`); n != 1 {
		t.Errorf("got %d scripts in the document, want 1", n)
	}
}

// checkFilter ticks "failed only": only what did not pass stays.
func (tc htmlSeen) checkFilter(t *testing.T, p *reporttest.Page) {
	t.Helper()
	p.ClickFailedOnly(t)
	for name, f := range p.Flows(t) {
		if want := f.Status != "passed"; f.Visible != want {
			t.Errorf("failed only: flow %q (%s) visible %v, want %v", name, f.Status, f.Visible, want)
		}
	}
	if p.Sees(t, "login and call") {
		t.Error(`failed only: "login and call" is still visible`)
	}
	if tc.name == "passed" && !p.Sees(t, "Every flow passed.") {
		t.Error(`failed only: "Every flow passed." is not shown when nothing failed`)
	}
}

// TestHTMLInChromium opens each fixture's page from a file in headless
// Chromium and checks what a person sees, that the filter works, that no
// script of the data runs and that the page makes no request (each page
// opened by reporttest fails its test on a request, a console message, an
// exception or a dialog).
func TestHTMLInChromium(t *testing.T) {
	browser := reporttest.NewBrowser(t)
	files := t.TempDir()

	for _, tc := range htmlSeenCases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(files, "report_"+tc.name+".html")
			if err := os.WriteFile(path, htmlReport(t, tc.name), 0o644); err != nil {
				t.Fatal(err)
			}
			p := browser.Open(t, path)
			tc.check(t, p)
			p.Screenshot(t, "html_"+tc.name+".png")
			tc.checkFilter(t, p)
			p.Screenshot(t, "html_"+tc.name+"_failed_only.png")
		})
	}

	t.Run("without JavaScript", func(t *testing.T) {
		path := filepath.Join(files, "report_nojs.html")
		if err := os.WriteFile(path, htmlReport(t, "failed"), 0o644); err != nil {
			t.Fatal(err)
		}
		p := browser.OpenScriptless(t, path)
		if f := p.Flows(t)["refused without token"]; !f.Open || !f.Visible {
			t.Errorf("failed flow: got %+v, want it shown open", f)
		}
		if !p.Sees(t, "expected 401, got 200") {
			t.Error("the failed check is not visible")
		}
		if p.Sees(t, "Failed only") {
			t.Error("the filter shows although it cannot work without JavaScript")
		}
	})
}

func TestHTMLBodyOverLimit(t *testing.T) {
	res := results()["errored"]
	st := &res.Specs[0].Flows[1].Steps[0]
	st.Error = "the response body is larger than 1 KiB (--max-body); its first 1 KiB were read"
	st.Exchanges[0].Error = ""
	st.Exchanges[0].Response = &runner.Response{Status: 200, Body: runner.Body{Text: "id,name", Size: 1024, Truncated: true}, BodyLimit: 1024}
	var b bytes.Buffer
	if err := reports.HTML(&b, res, reports.Options{Version: "v1.2.3"}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{st.Error, "the body is larger than 1024 bytes, the most read of a body: only its first 1024 bytes were read"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("got no %q in the report", want)
		}
	}
}
