package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mccutchen/go-httpbin/v2/httpbin"

	"github.com/flowrun/flowrun/examples/sandbox"
)

var update = flag.Bool("update", false, "rewrite golden files")

// env returns a getenv that knows only vars.
func env(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
}

// cli runs the real command tree against buffers.
func cli(t *testing.T, ctx context.Context, vars map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = execute(ctx, args, &out, &errb, env(vars))
	return code, out.String(), errb.String()
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test -update rewrites it)\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

func TestInvalidSpecsGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/invalid/*.yaml")
	if len(files) == 0 {
		t.Fatal("no invalid specs in testdata/invalid")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			code, stdout, stderr := cli(t, context.Background(), nil, "validate", file)
			if code != exitUsage {
				t.Errorf("exit code: got %d, want %d", code, exitUsage)
			}
			if stdout != "" {
				t.Errorf("stdout: got %q, want nothing", stdout)
			}
			golden(t, strings.TrimSuffix(file, ".yaml")+".golden", stderr)
		})
	}
}

func TestInvalidSpecSendsNothing(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	dir := t.TempDir()
	spec := filepath.Join(dir, "a.yaml")
	os.WriteFile(spec, []byte("provider: a\nbase_url: ${A_URL}\nflows:\n  - name: ok\n    steps:\n      - request: {path: /}\n"), 0o644)
	bad := filepath.Join(dir, "b.yaml")
	os.WriteFile(bad, []byte("provider: b\nbase_url: ${A_URL}\nflows:\n  - name: bad\n    steps:\n      - request: {path: /, expect: {assert: [stats == 200]}}\n"), 0o644)
	code, _, stderr := cli(t, context.Background(), map[string]string{"A_URL": srv.URL}, dir)
	if code != exitUsage {
		t.Errorf("exit code: got %d, want %d", code, exitUsage)
	}
	if !strings.Contains(stderr, "b.yaml:6:46") || !strings.Contains(stderr, `did you mean "status"?`) {
		t.Errorf("stderr lacks the place and suggestion:\n%s", stderr)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("requests sent: got %d, want 0 (an invalid spec anywhere runs nothing)", n)
	}
}

func TestValidateValid(t *testing.T) {
	code, stdout, stderr := cli(t, context.Background(), nil, "validate", "testdata/valid", "../../specs")
	if code != exitPassed {
		t.Fatalf("exit code: got %d, want 0; stderr:\n%s", code, stderr)
	}
	if !strings.Contains(stdout, "no problems found") {
		t.Errorf("stdout: got %q", stdout)
	}
}

func TestRunSpecsAgainstSandbox(t *testing.T) {
	code, stdout, stderr := cli(t, context.Background(), nil, "../../specs")
	if code != exitPassed {
		t.Fatalf("exit code: got %d, want 0\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, `openloyalty (../../specs/openloyalty.yaml): embedded sandbox at http://127.0.0.1:`) {
		t.Errorf("the report does not say it ran against the sandbox:\n%s", stdout)
	}
	if !strings.Contains(stdout, "set OPENLOYALTY_BASE_URL for a real deployment") {
		t.Errorf("the report does not say how to test a real deployment:\n%s", stdout)
	}
	// Each sandbox start is said once, and a green run fits on a screen.
	if n := strings.Count(stdout+stderr, "OPENLOYALTY_BASE_URL"); n != 1 {
		t.Errorf("the sandbox start is reported %d times, want once:\n%s%s", n, stdout, stderr)
	}
	if n := strings.Count(stdout, "\n"); n > 70 {
		t.Errorf("a green run prints %d lines, want at most 70:\n%s", n, stdout)
	}
}

func TestRunSpecsAgainstBaseURLs(t *testing.T) {
	// The simulators served apart, as a real deployment would be: the
	// specs must pick the base URLs up from the environment.
	vars := map[string]string{}
	for _, name := range sandbox.Names() {
		srv, err := sandbox.Start(name, sandbox.Options{TokenLifetime: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		vars[strings.ToUpper(name)+"_BASE_URL"] = srv.URL
	}
	// These deployments keep tokens a second, not the documented lifetimes
	// that the flows tagged jwt check: skipped, as against a shortened real one.
	code, stdout, stderr := cli(t, context.Background(), vars, "../../specs", "--skip-tags", "jwt")
	if code != exitPassed {
		t.Fatalf("exit code: got %d, want 0\n%s\n%s", code, stdout, stderr)
	}
	if strings.Contains(stdout+stderr, "embedded sandbox") {
		t.Errorf("a spec ran against an embedded sandbox although its base URL was set:\n%s%s", stdout, stderr)
	}
	for name, url := range vars {
		if !strings.Contains(stdout, url) {
			t.Errorf("the report does not show %s=%s", name, url)
		}
	}
}

// writeSpec writes a spec that runs against go-httpbin at url.
func writeSpec(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "spec.yaml")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestFailedAssertionExitsOneAndExplains(t *testing.T) {
	srv := httptest.NewServer(httpbin.New().Handler())
	defer srv.Close()
	spec := writeSpec(t, `provider: httpbin
base_url: ${HTTPBIN_URL}
flows:
  - name: teapot
    steps:
      - request:
          path: /status/418
          expect: {status: 200}
      - request: {path: /get}
  - name: json
    steps:
      - request:
          path: /json
          expect:
            assert:
              - json("slideshow.author") == "Nobody"
`)
	code, stdout, _ := cli(t, context.Background(), map[string]string{"HTTPBIN_URL": srv.URL}, "run", spec)
	if code != exitFailed {
		t.Fatalf("exit code: got %d, want %d\n%s", code, exitFailed, stdout)
	}
	for _, want := range []string{
		"status: expected 200, got 418",
		`json("slideshow.author") == "Nobody": expected true, got "Yours Truly" == "Nobody" is false (` + spec + ":16:17)",
		"request:  GET " + srv.URL + "/status/418",
		"not run after it: step 2 request",
		"2 flows: 0 passed, 2 failed, 0 errored",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
}

func TestSecretsAreMasked(t *testing.T) {
	const password, token = "pa55-w0rd-xyz", "tok-3f9a8b7c6d5e"
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"token":%q}`, token)
	})
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		// Echo the credential, as a careless API might, and fail.
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprintf(w, `{"seen":%q}`, r.Header.Get("Authorization"))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	spec := writeSpec(t, `provider: careless
base_url: ${URL}
vars: {password: "${PASSWORD}"}
secrets: [password]
auth: {headers: {Authorization: "Bearer {{token}}"}}
requests:
  login: {method: POST, path: /login, json: {password: "{{password}}"}, capture: {token: token}}
flows:
  - name: leak
    steps:
      - login: {}
      - call:
          path: /me
          expect: {assert: ['json("seen") == password']}
`)
	vars := map[string]string{"URL": srv.URL, "PASSWORD": password}
	code, stdout, stderr := cli(t, context.Background(), vars, "run", "-v", spec)
	if code != exitFailed {
		t.Fatalf("exit code: got %d, want %d\n%s", code, exitFailed, stdout)
	}
	for _, secret := range []string{password, token} {
		if strings.Contains(stdout+stderr, secret) {
			t.Errorf("the output shows the secret %q:\n%s", secret, stdout)
		}
	}
	if !regexp.MustCompile(`Bearer <token#[0-9a-f]{4}>`).MatchString(stdout) ||
		!regexp.MustCompile(`\{"password":"<password#[0-9a-f]{4}>"\}`).MatchString(stdout) {
		t.Errorf("the output does not show where secrets were masked:\n%s", stdout)
	}
	_, stdout, _ = cli(t, context.Background(), vars, "run", "-v", "--show-secrets", spec)
	if !strings.Contains(stdout, token) || !strings.Contains(stdout, password) {
		t.Errorf("--show-secrets did not show the secrets:\n%s", stdout)
	}
}

func TestInterruptExits130WithReport(t *testing.T) {
	srv := httptest.NewServer(httpbin.New().Handler())
	defer srv.Close()
	spec := writeSpec(t, `provider: slow
base_url: ${URL}
flows:
  - name: waits
    steps:
      - request: {path: /get}
      - wait: 1m
      - request: {path: /get}
`)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	code, stdout, _ := cli(t, ctx, map[string]string{"URL": srv.URL}, spec)
	if code != exitInterrupted {
		t.Errorf("exit code: got %d, want %d", code, exitInterrupted)
	}
	if time.Since(start) > 20*time.Second {
		t.Errorf("the run did not stop promptly on interrupt")
	}
	if !strings.Contains(stdout, "(interrupted)") || !strings.Contains(stdout, "waits") {
		t.Errorf("the report was not written on interrupt:\n%s", stdout)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no paths", nil, "requires at least 1 arg"},
		{"unknown flag", []string{"--nope", "specs"}, "unknown flag: --nope"},
		{"missing folder", []string{"no/such/folder"}, "no/such/folder: no such file or folder"},
		{"no specs in folder", []string{"testdata"}, ""},
		{"filter matches nothing", []string{"--tags", "nosuchtag", "testdata/valid"}, "no flow matches"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := cli(t, context.Background(), nil, tc.args...)
			if code != exitUsage {
				t.Errorf("exit code: got %d, want %d; stderr: %s", code, exitUsage, stderr)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr: got %q, want it to contain %q", stderr, tc.want)
			}
		})
	}
}

func TestSandboxCommandServesEveryProvider(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan int)
	go func() {
		done <- execute(ctx, []string{"sandbox"}, pw, io.Discard, env(nil))
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	got := map[string]string{}
	for len(got) < 4 && lines.Scan() {
		name, url, _ := strings.Cut(lines.Text(), " ")
		got[name] = url
	}
	for _, tc := range []struct {
		provider, method, path, header string
		want                           int
	}{
		{"openloyalty", "GET", "/api/DEFAULT/member/profile", "", 401},
		{"cardlytics", "POST", "/v2/ads/getAds", "", 401},
		{"amplifi", "DELETE", "/token", "", 500},
		{"mic", "GET", "/users/alice", "x-api-key", 403},
	} {
		req, _ := http.NewRequest(tc.method, got[tc.provider]+tc.path, nil)
		if tc.header != "" {
			req.Header.Set(tc.header, "sandbox-api-key")
		}
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Errorf("%s: %v (lines: %v)", tc.provider, err, got)
			continue
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s %s %s: got %d, want %d", tc.provider, tc.method, tc.path, resp.StatusCode, tc.want)
		}
	}
	cancel()
	go io.Copy(io.Discard, pr)
	if code := <-done; code != exitPassed {
		t.Errorf("exit code after interrupt: got %d, want 0", code)
	}
}
