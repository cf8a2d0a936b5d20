package main

import (
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/elazarl/goproxy"

	"github.com/flowrun/flowrun/internal/testcerts"
)

// forwardProxy starts a real forward proxy that records the requests it
// is asked to forward (CONNECT ones too) and sends every one, whatever
// its host, to the server at target (host:port).
func forwardProxy(t *testing.T, target string) (*httptest.Server, *proxyLog) {
	t.Helper()
	p := goproxy.NewProxyHttpServer()
	p.Logger = log.New(io.Discard, "", 0)
	dial := func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, target)
	}
	// No Proxy: the proxy never goes through another.
	p.Tr = &http.Transport{DialContext: dial}
	p.ConnectDial = func(network, _ string) (net.Conn, error) { return dial(context.Background(), network, "") }
	pl := &proxyLog{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pl.add(r.Method + " " + r.Host)
		p.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		srv.Close()
		p.Tr.CloseIdleConnections()
	})
	return srv, pl
}

// proxyLog lists the requests a proxy got, as "METHOD host".
type proxyLog struct {
	mu   sync.Mutex
	reqs []string
}

func (l *proxyLog) add(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.reqs = append(l.reqs, s)
}

func (l *proxyLog) list() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.reqs...)
}

func TestProxy(t *testing.T) {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Host != testHost {
			http.Error(w, "wrong host "+r.Host, http.StatusBadRequest)
			return
		}
		w.Write([]byte("{}"))
	}))
	defer api.Close()
	ca := testcerts.NewCA(t, "server CA")
	secure := tlsServer(t, ca, nil)
	dir := t.TempDir()
	caFile := writeFile(t, dir, "ca.pem", ca.PEM)
	spec := writeFile(t, dir, "spec.yaml", []byte(helloSpec("")))
	for _, tc := range []struct {
		name   string
		target *httptest.Server
		env    map[string]string
		args   []string
		want   string // what the proxy got
	}{
		{"--proxy", api, nil, nil, "GET " + testHost},
		{"--proxy over the environment", api, map[string]string{"HTTP_PROXY": "http://127.0.0.1:1"}, nil, "GET " + testHost},
		{"--proxy for https", secure, nil, []string{"--cacert", caFile}, "CONNECT " + testHost + ":443"},
		{"HTTP_PROXY", api, map[string]string{"HTTP_PROXY": "PROXY"}, nil, "GET " + testHost},
		{"http_proxy", api, map[string]string{"http_proxy": "PROXY"}, nil, "GET " + testHost},
		{"HTTPS_PROXY", secure, map[string]string{"HTTPS_PROXY": "PROXY", "HTTP_PROXY": "http://127.0.0.1:1"}, []string{"--cacert", caFile}, "CONNECT " + testHost + ":443"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			proxy, got := forwardProxy(t, tc.target.Listener.Addr().String())
			env := map[string]string{"API_URL": "http://" + testHost}
			if tc.target == secure {
				env["API_URL"] = "https://" + testHost
			}
			args := append([]string{"run", spec, "--no-color"}, tc.args...)
			for k, v := range tc.env {
				env[k] = strings.ReplaceAll(v, "PROXY", proxy.URL)
			}
			if strings.HasPrefix(tc.name, "--proxy") {
				args = append(args, "--proxy", proxy.URL)
			}
			code, stdout, stderr := cli(t, context.Background(), env, args...)
			if code != exitPassed {
				t.Fatalf("exit code: got %d, want %d\n%s%s", code, exitPassed, stdout, stderr)
			}
			if reqs := got.list(); len(reqs) != 1 || reqs[0] != tc.want {
				t.Errorf("the proxy got %q, want [%q]", reqs, tc.want)
			}
		})
	}
}

// TestNoProxy checks that a host NO_PROXY names is reached directly: the
// API listens on an address of this machine that is not a loopback one
// (which no proxy ever gets).
func TestNoProxy(t *testing.T) {
	ip := localIP(t)
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Skipf("cannot listen on %s: %v", ip, err)
	}
	api := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("{}")) }))
	api.Listener.Close()
	api.Listener = ln
	api.Start()
	defer api.Close()
	spec := writeFile(t, t.TempDir(), "spec.yaml", []byte(helloSpec("")))
	for _, tc := range []struct {
		name      string
		noProxy   string
		wantProxy int
	}{
		{"not named", "example.com", 1},
		{"named", "example.com, " + ip, 0},
		{"every host", "*", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			proxy, got := forwardProxy(t, api.Listener.Addr().String())
			env := map[string]string{"API_URL": api.URL, "HTTP_PROXY": proxy.URL, "NO_PROXY": tc.noProxy}
			code, stdout, stderr := cli(t, context.Background(), env, "run", spec, "--no-color")
			if code != exitPassed {
				t.Fatalf("exit code: got %d, want %d\n%s%s", code, exitPassed, stdout, stderr)
			}
			if n := len(got.list()); n != tc.wantProxy {
				t.Errorf("the proxy got %d requests, want %d", n, tc.wantProxy)
			}
		})
	}
}

// localIP returns an IPv4 address of this machine that is not a
// loopback one, or skips the test.
func localIP(t *testing.T) string {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Skipf("no interface addresses: %v", err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() {
			return n.IP.String()
		}
	}
	t.Skip("this machine has no address but loopback ones")
	return ""
}

func TestProxyFunc(t *testing.T) {
	for _, tc := range []struct {
		name string
		flag string
		env  map[string]string
		url  string
		want string // the proxy's URL, "" for none, "error"
	}{
		{"none", "", nil, "http://api.example.com/", ""},
		{"http", "", map[string]string{"HTTP_PROXY": "http://p:1"}, "http://api.example.com/", "http://p:1"},
		{"http proxy not for https", "", map[string]string{"HTTP_PROXY": "http://p:1"}, "https://api.example.com/", ""},
		{"https", "", map[string]string{"HTTPS_PROXY": "http://s:2", "HTTP_PROXY": "http://p:1"}, "https://api.example.com/", "http://s:2"},
		{"lower case", "", map[string]string{"https_proxy": "http://s:2"}, "https://api.example.com/", "http://s:2"},
		{"NO_PROXY domain", "", map[string]string{"HTTP_PROXY": "http://p:1", "NO_PROXY": "example.com"}, "http://api.example.com/", ""},
		{"NO_PROXY other domain", "", map[string]string{"HTTP_PROXY": "http://p:1", "NO_PROXY": "example.org"}, "http://api.example.com/", "http://p:1"},
		{"no_proxy", "", map[string]string{"HTTP_PROXY": "http://p:1", "no_proxy": ".example.com"}, "http://api.example.com/", ""},
		{"loopback never", "", map[string]string{"HTTP_PROXY": "http://p:1"}, "http://127.0.0.1:8080/", ""},
		{"localhost never", "http://f:3", nil, "http://localhost:8080/", ""},
		{"flag", "http://f:3", nil, "https://api.example.com/", "http://f:3"},
		{"flag over env", "http://f:3", map[string]string{"HTTP_PROXY": "http://p:1", "HTTPS_PROXY": "http://s:2"}, "http://api.example.com/", "http://f:3"},
		{"flag and NO_PROXY", "http://f:3", map[string]string{"NO_PROXY": "api.example.com"}, "http://api.example.com/", ""},
		{"CGI refuses HTTP_PROXY", "", map[string]string{"HTTP_PROXY": "http://p:1", "REQUEST_METHOD": "GET"}, "http://api.example.com/", "error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, _ := url.Parse(tc.url)
			got, err := proxyFunc(tc.flag, env(tc.env))(&http.Request{URL: u})
			s := urlString(got)
			if err != nil {
				s = "error"
			}
			if s != tc.want {
				t.Errorf("got proxy %q, want %q", s, tc.want)
			}
		})
	}
}

func urlString(u *url.URL) string {
	if u == nil {
		return ""
	}
	return u.String()
}

func TestProxyURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"http://proxy:3128", "http://proxy:3128"},
		{"https://user:pw@proxy:443", "https://user:pw@proxy:443"},
		{"socks5://127.0.0.1:1080", "socks5://127.0.0.1:1080"},
		{"proxy.example.com:3128", "http://proxy.example.com:3128"},
		{"127.0.0.1:3128", "http://127.0.0.1:3128"},
		{"ftp://proxy:21", ""},
		{"proxy", ""},
		{"http://", ""},
	} {
		u, err := proxyURL(tc.in)
		got := ""
		if err == nil {
			got = u.String()
		}
		if got != tc.want {
			t.Errorf("proxyURL(%q): got %q (%v), want %q", tc.in, got, err, tc.want)
		}
	}
}
