package main

import (
	"net/http"
	"net/url"

	"golang.org/x/net/http/httpproxy"
)

// proxyFunc returns how a run picks the proxy of each request, by Go's
// rules: HTTPS_PROXY for https URLs, HTTP_PROXY for http ones (either
// in lower case too), none for the hosts NO_PROXY names, and none for
// localhost and loopback addresses, so the embedded sandboxes are always
// reached directly. The variables are read with getenv, the app's view
// of the environment, once per run. flag, from --proxy, replaces
// HTTP_PROXY and HTTPS_PROXY; NO_PROXY still applies.
func proxyFunc(flag string, getenv func(string) (string, bool)) func(*http.Request) (*url.URL, error) {
	get := func(names ...string) string {
		for _, n := range names {
			if v, ok := getenv(n); ok && v != "" {
				return v
			}
		}
		return ""
	}
	cfg := &httpproxy.Config{
		HTTPProxy:  get("HTTP_PROXY", "http_proxy"),
		HTTPSProxy: get("HTTPS_PROXY", "https_proxy"),
		NoProxy:    get("NO_PROXY", "no_proxy"),
		// As Go does: under CGI, HTTP_PROXY may come from a request's
		// Proxy header, so it is not trusted.
		CGI: get("REQUEST_METHOD") != "",
	}
	if flag != "" {
		cfg.HTTPProxy, cfg.HTTPSProxy, cfg.CGI = flag, flag, false
	}
	pick := cfg.ProxyFunc()
	return func(req *http.Request) (*url.URL, error) { return pick(req.URL) }
}
