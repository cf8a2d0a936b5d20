package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/mccutchen/go-httpbin/v2/httpbin"

	"github.com/flowrun/flowrun/examples/sandbox"
	"github.com/flowrun/flowrun/flows"
)

// The accounts every test API below knows: the starters' defaults.
const (
	testUser, testPassword       = "qa@example.com", "change-me"
	testClient, testClientSecret = "my-client", "my-client-secret"
)

// testAPIs are the servers starters and recipes run against, by name: the
// embedded simulators, go-httpbin, and a small API for each auth style that
// no simulator has.
func testAPIs() map[string]func() http.Handler {
	apis := map[string]func() http.Handler{
		"httpbin":        func() http.Handler { return httpbin.New().Handler() },
		"query-token":    func() http.Handler { return newAuthAPI().queryToken() },
		"cookie-session": func() http.Handler { return newAuthAPI().cookieSession() },
		"oauth2":         func() http.Handler { return newAuthAPI().oauth2() },
	}
	for _, name := range sandbox.Names() {
		apis[name] = func() http.Handler {
			h, err := sandbox.New(name, sandbox.Options{})
			if err != nil {
				panic(err) // a name sandbox.Names gave
			}
			return h
		}
	}
	return apis
}

// serve serves h until the test ends and returns its URL.
func serve(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// refuseNothing breaks h: what it would refuse with 401 or 403, it answers
// with 200. A spec that checks a refusal must fail against it.
func refuseNothing(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(neverRefuse{w}, r)
	})
}

type neverRefuse struct{ http.ResponseWriter }

func (w neverRefuse) WriteHeader(code int) {
	if code == http.StatusUnauthorized || code == http.StatusForbidden {
		code = http.StatusOK
	}
	w.ResponseWriter.WriteHeader(code)
}

// authAPI is a test API that implements one auth style exactly. Access
// tokens and session ids are live until logged out or refreshed away; a
// refresh token is single-use and revokes the token issued with it.
type authAPI struct {
	mu      sync.Mutex
	live    map[string]string // access token or session id → its holder
	refresh map[string]string // refresh token → its holder
	pair    map[string]string // refresh token → the access token issued with it
}

func newAuthAPI() *authAPI {
	return &authAPI{live: map[string]string{}, refresh: map[string]string{}, pair: map[string]string{}}
}

// issue returns a new token for who, and a refresh token if asked.
func (api *authAPI) issue(who string, withRefresh bool) (token, refresh string) {
	api.mu.Lock()
	defer api.mu.Unlock()
	token = rand.Text()
	api.live[token] = who
	if withRefresh {
		refresh = rand.Text()
		api.refresh[refresh], api.pair[refresh] = who, token
	}
	return token, refresh
}

func (api *authAPI) holder(token string) (string, bool) {
	api.mu.Lock()
	defer api.mu.Unlock()
	who, ok := api.live[token]
	return who, ok && token != ""
}

func (api *authAPI) revoke(token string) {
	api.mu.Lock()
	defer api.mu.Unlock()
	delete(api.live, token)
}

// rotate spends refresh and issues a new pair to its holder.
func (api *authAPI) rotate(refresh string) (token, next string, ok bool) {
	api.mu.Lock()
	who, ok := api.refresh[refresh]
	if ok {
		delete(api.live, api.pair[refresh])
		delete(api.refresh, refresh)
		delete(api.pair, refresh)
	}
	api.mu.Unlock()
	if !ok {
		return "", "", false
	}
	token, next = api.issue(who, true)
	return token, next, true
}

func reply(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(body)
}

func refuse(w http.ResponseWriter, status int, msg string) {
	reply(w, status, map[string]string{"error": msg})
}

// queryToken: POST /login and /refresh take and answer JSON; the token
// goes in ?access_token= on GET /me and POST /logout.
func (api *authAPI) queryToken() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		var in struct{ Username, Password string }
		if json.NewDecoder(r.Body).Decode(&in) != nil || in.Username != testUser || in.Password != testPassword {
			refuse(w, http.StatusUnauthorized, "invalid credentials")
			return
		}
		token, refresh := api.issue(in.Username, true)
		reply(w, http.StatusOK, map[string]string{"token": token, "refresh_token": refresh})
	})
	mux.HandleFunc("POST /refresh", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			RefreshToken string `json:"refresh_token"`
		}
		json.NewDecoder(r.Body).Decode(&in)
		token, refresh, ok := api.rotate(in.RefreshToken)
		if !ok {
			refuse(w, http.StatusUnauthorized, "invalid refresh token")
			return
		}
		reply(w, http.StatusOK, map[string]string{"token": token, "refresh_token": refresh})
	})
	api.protected(mux, func(r *http.Request) string { return r.URL.Query().Get("access_token") }, nil)
	return mux
}

// cookieSession: a form POST /login sets the cookie session; GET /me and
// POST /logout need it; logout ends the session and expires the cookie.
func (api *authAPI) cookieSession() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		if r.PostFormValue("username") != testUser || r.PostFormValue("password") != testPassword {
			refuse(w, http.StatusUnauthorized, "invalid credentials")
			return
		}
		id, _ := api.issue(testUser, false)
		http.SetCookie(w, &http.Cookie{Name: "session", Value: id, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
		reply(w, http.StatusOK, map[string]string{"username": testUser})
	})
	api.protected(mux, func(r *http.Request) string {
		c, err := r.Cookie("session")
		if err != nil {
			return ""
		}
		return c.Value
	}, func(w http.ResponseWriter) {
		http.SetCookie(w, &http.Cookie{Name: "session", Path: "/", MaxAge: -1})
	})
	return mux
}

// oauth2: POST /oauth/token grants password, client_credentials (no
// refresh token) and refresh_token to a client authenticated in the form or
// with HTTP Basic; POST /oauth/revoke revokes (RFC 7009); GET /me needs
// Authorization: Bearer.
func (api *authAPI) oauth2() http.Handler {
	mux := http.NewServeMux()
	client := func(r *http.Request) bool {
		id, secret, ok := r.BasicAuth()
		if !ok {
			id, secret = r.PostFormValue("client_id"), r.PostFormValue("client_secret")
		}
		return id == testClient && secret == testClientSecret
	}
	mux.HandleFunc("POST /oauth/token", func(w http.ResponseWriter, r *http.Request) {
		if !client(r) {
			refuse(w, http.StatusUnauthorized, "invalid_client")
			return
		}
		var token, refresh string
		switch r.PostFormValue("grant_type") {
		case "password":
			if r.PostFormValue("username") != testUser || r.PostFormValue("password") != testPassword {
				refuse(w, http.StatusBadRequest, "invalid_grant")
				return
			}
			token, refresh = api.issue(testUser, true)
		case "client_credentials":
			token, _ = api.issue(testClient, false)
		case "refresh_token":
			var ok bool
			if token, refresh, ok = api.rotate(r.PostFormValue("refresh_token")); !ok {
				refuse(w, http.StatusBadRequest, "invalid_grant")
				return
			}
		default:
			refuse(w, http.StatusBadRequest, "unsupported_grant_type")
			return
		}
		out := map[string]any{"access_token": token, "token_type": "Bearer", "expires_in": 3600}
		if refresh != "" {
			out["refresh_token"] = refresh
		}
		reply(w, http.StatusOK, out)
	})
	mux.HandleFunc("POST /oauth/revoke", func(w http.ResponseWriter, r *http.Request) {
		if !client(r) {
			refuse(w, http.StatusUnauthorized, "invalid_client")
			return
		}
		api.revoke(r.PostFormValue("token"))
		w.WriteHeader(http.StatusOK) // also for an unknown token, as RFC 7009 says
	})
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		who, ok := api.holder(token)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			refuse(w, http.StatusUnauthorized, "invalid_token")
			return
		}
		reply(w, http.StatusOK, map[string]string{"sub": who})
	})
	return mux
}

// protected adds GET /me and POST /logout, which find the credential with
// cred; loggedOut, if set, adds to the logout answer.
func (api *authAPI) protected(mux *http.ServeMux, cred func(*http.Request) string, loggedOut func(http.ResponseWriter)) {
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		who, ok := api.holder(cred(r))
		if !ok {
			refuse(w, http.StatusUnauthorized, "not logged in")
			return
		}
		reply(w, http.StatusOK, map[string]string{"username": who})
	})
	mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
		token := cred(r)
		if _, ok := api.holder(token); !ok {
			refuse(w, http.StatusUnauthorized, "not logged in")
			return
		}
		api.revoke(token)
		if loggedOut != nil {
			loggedOut(w)
		}
		reply(w, http.StatusOK, map[string]string{"message": "logged out"})
	})
}

// target returns the name of the test API the starter runs against.
func (s starter) target() string {
	if s.sandbox != "" {
		return s.sandbox
	}
	return s.style
}

func TestInitEveryStyleValidatesAndPasses(t *testing.T) {
	apis := testAPIs()
	for _, s := range starters() {
		t.Run(s.style, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "flowrun.yaml")
			code, stdout, stderr := cli(t, t.Context(), nil, "init", "--style", s.style, file)
			if code != exitPassed {
				t.Fatalf("init: exit code: got %d, want 0; stderr:\n%s", code, stderr)
			}
			for _, want := range []string{"wrote " + file, "flowrun validate " + file, "flowrun " + file} {
				if !strings.Contains(stdout, want) {
					t.Errorf("init: stdout lacks %q:\n%s", want, stdout)
				}
			}
			if code, _, stderr := cli(t, t.Context(), nil, "validate", file); code != exitPassed {
				t.Fatalf("validate: exit code: got %d, want 0; stderr:\n%s", code, stderr)
			}
			// A starter without a simulator runs against its test API; one
			// with a simulator must find it on its own.
			var vars map[string]string
			want := `embedded sandbox "` + s.sandbox + `"`
			if s.sandbox == "" {
				vars = map[string]string{"API_BASE_URL": serve(t, apis[s.target()]())}
				want = vars["API_BASE_URL"]
			}
			code, stdout, stderr = cli(t, t.Context(), vars, "run", file)
			if code != exitPassed {
				t.Fatalf("run: exit code: got %d, want 0\n%s%s", code, stdout, stderr)
			}
			if !strings.Contains(stdout, want) || !strings.Contains(stdout, "1 flow: 1 passed") {
				t.Errorf("run: stdout lacks %q or the pass:\n%s", want, stdout)
			}
		})
	}
}

// TestInitStartersCatchAServerThatRefusesNothing: a starter that passed
// against anything would teach nothing.
func TestInitStartersCatchAServerThatRefusesNothing(t *testing.T) {
	apis := testAPIs()
	for _, s := range starters() {
		t.Run(s.style, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "flowrun.yaml")
			if code, _, stderr := cli(t, t.Context(), nil, "init", "--style", s.style, file); code != exitPassed {
				t.Fatalf("init: exit code: got %d, want 0; stderr:\n%s", code, stderr)
			}
			vars := map[string]string{"API_BASE_URL": serve(t, refuseNothing(apis[s.target()]()))}
			code, stdout, stderr := cli(t, t.Context(), vars, "run", file)
			if code != exitFailed {
				t.Fatalf("run: exit code: got %d, want %d\n%s%s", code, exitFailed, stdout, stderr)
			}
			if !strings.Contains(stdout, "refused") {
				t.Errorf("run: no refusal check failed:\n%s", stdout)
			}
		})
	}
}

func TestInitStartersMatchStyles(t *testing.T) {
	var files, styles []string
	entries, err := fs.ReadDir(starterFiles, "starters")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		files = append(files, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	for _, s := range starters() {
		styles = append(styles, s.style)
		if _, ok := testAPIs()[s.target()]; !ok {
			t.Errorf("style %s: no test API named %q to run it against", s.style, s.target())
		}
	}
	slices.Sort(files)
	slices.Sort(styles)
	if !slices.Equal(files, styles) {
		t.Errorf("starters/*.yaml: got %v, want one per style %v", files, styles)
	}
	for _, name := range files {
		data, _ := starterFiles.ReadFile("starters/" + name + ".yaml")
		if n := strings.Count(string(data), "\n"); n > 85 {
			t.Errorf("starters/%s.yaml: %d lines, want at most 85: a starter must stay readable", name, n)
		}
	}
}

func TestInitRefusesToOverwrite(t *testing.T) {
	file := filepath.Join(t.TempDir(), "mine.yaml")
	os.WriteFile(file, []byte("my own spec\n"), 0o644)
	code, stdout, stderr := cli(t, t.Context(), nil, "init", file)
	if code != exitUsage {
		t.Errorf("exit code: got %d, want %d", code, exitUsage)
	}
	if want := file + " already exists; name another file, or add --force to overwrite it"; !strings.Contains(stderr, want) || stdout != "" {
		t.Errorf("got stdout %q, stderr %q; want no stdout and %q", stdout, stderr, want)
	}
	if got, _ := os.ReadFile(file); string(got) != "my own spec\n" {
		t.Errorf("the file was changed: %q", got)
	}
	if code, _, stderr := cli(t, t.Context(), nil, "init", "--force", "--style", "oauth2", file); code != exitPassed {
		t.Fatalf("--force: exit code: got %d, want 0; stderr:\n%s", code, stderr)
	}
	want, _ := starterFiles.ReadFile("starters/oauth2.yaml")
	if got, _ := os.ReadFile(file); string(got) != string(withSchemaLine(want)) {
		t.Errorf("--force did not write the oauth2 starter; got:\n%s", got)
	}
}

func TestInitIntoAFolderSaysSo(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := cli(t, t.Context(), nil, "init", dir)
	if code != exitUsage {
		t.Errorf("exit code: got %d, want %d", code, exitUsage)
	}
	if want := dir + " is a folder; name a file in it, e.g. " + filepath.Join(dir, "flowrun.yaml"); !strings.Contains(stderr, want) {
		t.Errorf("stderr: got %q, want it to contain %q", stderr, want)
	}
}

func TestInitUnknownStyle(t *testing.T) {
	const list = "styles: bearer-refresh, custom-header, raw-token-plus-ids, query-token, cookie-session, oauth2"
	for _, tc := range []struct {
		style, want string
	}{
		{"bearer-refesh", `unknown style "bearer-refesh" (did you mean "bearer-refresh"?); ` + list},
		{"oauth", `unknown style "oauth" (did you mean "oauth2"?); ` + list},
		{"cookie", `unknown style "cookie" (did you mean "cookie-session"?); ` + list},
		{"saml", `unknown style "saml"; ` + list},
	} {
		t.Run(tc.style, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "flowrun.yaml")
			code, _, stderr := cli(t, t.Context(), nil, "init", "--style", tc.style, file)
			if code != exitUsage {
				t.Errorf("exit code: got %d, want %d", code, exitUsage)
			}
			if want := "flowrun init: " + tc.want + "\n"; stderr != want {
				t.Errorf("stderr: got %q, want %q", stderr, want)
			}
			if _, err := os.Stat(file); err == nil {
				t.Errorf("a file was written for an unknown style")
			}
		})
	}
}

func TestInitToStdout(t *testing.T) {
	t.Chdir(t.TempDir())
	code, stdout, stderr := cli(t, context.Background(), nil, "init", "--style", "cookie-session", "-")
	if code != exitPassed || stderr != "" {
		t.Fatalf("exit code %d, stderr %q; want 0 and nothing", code, stderr)
	}
	want, _ := starterFiles.ReadFile("starters/cookie-session.yaml")
	if stdout != string(want) {
		t.Errorf("stdout is not the starter alone:\n%s", stdout)
	}
	if entries, _ := os.ReadDir("."); len(entries) != 0 {
		t.Errorf("init - wrote files: %v", entries)
	}
}

func TestInitDefaultsToBearerRefreshInFlowrunYAML(t *testing.T) {
	t.Chdir(t.TempDir())
	code, stdout, stderr := cli(t, context.Background(), nil, "init")
	if code != exitPassed {
		t.Fatalf("exit code: got %d, want 0; stderr:\n%s", code, stderr)
	}
	want, _ := starterFiles.ReadFile("starters/bearer-refresh.yaml")
	if got, err := os.ReadFile("flowrun.yaml"); err != nil || string(got) != string(withSchemaLine(want)) {
		t.Errorf("flowrun.yaml is not the bearer-refresh starter (%v)", err)
	}
	schema, _ := flows.NewGrammar().JSONSchema()
	if got, err := os.ReadFile(schemaFile); err != nil || string(got) != string(schema)+"\n" {
		t.Errorf("%s beside the spec is not the spec schema (%v)", schemaFile, err)
	}
	if !strings.Contains(stdout, "flowrun validate flowrun.yaml") {
		t.Errorf("stdout does not say what to run next:\n%s", stdout)
	}
}
