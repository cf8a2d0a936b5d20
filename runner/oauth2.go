package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/flowrun/flowrun/flows"
)

// oauth2Plan is a spec's oauth2: made ready to run: the client's
// templates, and the discovery document once read.
type oauth2Plan struct {
	spec                   *flows.OAuth2
	clientID, clientSecret *template

	mu  sync.Mutex
	doc map[string]string // the discovered endpoints, once read
}

// maxDiscovery bounds a discovery document.
const maxDiscovery = 1 << 20

// discoveryFields are the endpoints read from a discovery document
// (OpenID Connect Discovery 1.0 §3, RFC 8414).
var discoveryFields = []string{"token_endpoint", "revocation_endpoint", "introspection_endpoint", "userinfo_endpoint", "jwks_uri"}

func (c *compiler) oauth2(o *flows.OAuth2, sc *scope) *oauth2Plan {
	p := &oauth2Plan{spec: o, clientID: c.template(o.ClientID.S, o.ClientID.Pos, "oauth2: client_id", sc)}
	if o.ClientSecret != nil {
		p.clientSecret = c.template(o.ClientSecret.S, o.ClientSecret.Pos, "oauth2: client_secret", sc)
	}
	return p
}

// setOAuth2 sets the oauth2 variable when a flow begins: the client, and
// the endpoints given or read from the issuer's discovery document.
func (f *flowRun) setOAuth2(ctx context.Context) error {
	o := f.plan.oauth2
	if o == nil {
		return nil
	}
	env := f.env(nil)
	id, err := o.clientID.render(env)
	if err != nil {
		return fmt.Errorf("oauth2: client_id: %v", err)
	}
	m := map[string]any{"client_id": id, "client_secret": "", "issuer": o.spec.Issuer}
	for _, k := range discoveryFields {
		m[k] = ""
	}
	if o.clientSecret != nil {
		secret, err := o.clientSecret.render(env)
		if err != nil {
			return fmt.Errorf("oauth2: client_secret: %v", err)
		}
		f.red.learn("client_secret", secret)
		m["client_secret"] = secret
	}
	if o.spec.Issuer != "" {
		doc, err := f.discover(ctx, o)
		if err != nil {
			return fmt.Errorf("oauth2: issuer: %v", err)
		}
		for k, v := range doc {
			m[k] = v
		}
	}
	for k, v := range map[string]string{"token_endpoint": o.spec.TokenURL, "revocation_endpoint": o.spec.RevocationURL,
		"introspection_endpoint": o.spec.IntrospectionURL, "userinfo_endpoint": o.spec.UserinfoURL, "jwks_uri": o.spec.JWKSURL} {
		if v != "" {
			m[k] = f.absolute(v)
		}
	}
	f.vars[flows.OAuth2Var] = m
	return nil
}

// absolute joins a path to the base URL; a URL stays as it is.
func (f *flowRun) absolute(v string) string {
	if strings.HasPrefix(v, "http://") || strings.HasPrefix(v, "https://") {
		return v
	}
	return strings.TrimRight(f.plan.BaseURL, "/") + "/" + strings.TrimLeft(v, "/")
}

// discover reads the issuer's discovery document, once per plan: a flow
// that finds it unreadable errs, and the next one tries again.
func (f *flowRun) discover(ctx context.Context, o *oauth2Plan) (map[string]string, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.doc != nil {
		return o.doc, nil
	}
	where := o.spec.Issuer + "/.well-known/openid-configuration"
	ctx, cancel := context.WithTimeout(ctx, min(f.cfg.Timeout, 30*time.Second))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, where, nil)
	if err != nil {
		return nil, fmt.Errorf("%q is not a URL: %v", o.spec.Issuer, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := f.httpClient().Do(req)
	if err != nil {
		return nil, fmt.Errorf("reading its discovery document: %v", err)
	}
	defer resp.Body.Close()
	body, err := readBody(resp.Body, maxDiscovery)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %v", where, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s answered %d; is the issuer right?", where, resp.StatusCode)
	}
	var raw map[string]any
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, fmt.Errorf("%s is not a JSON object: %v", where, err)
	}
	// OpenID Connect Discovery §4.3: the document's issuer is the one asked.
	if iss, _ := raw["issuer"].(string); strings.TrimRight(iss, "/") != o.spec.Issuer {
		return nil, fmt.Errorf("%s names the issuer %q, not %q", where, iss, o.spec.Issuer)
	}
	doc := map[string]string{}
	for _, k := range discoveryFields {
		v, ok := raw[k].(string)
		if !ok || v == "" {
			continue
		}
		if u, err := url.Parse(v); err != nil || u.Scheme == "" || u.Host == "" {
			return nil, fmt.Errorf("%s: %s %q is not an absolute URL", where, k, v)
		}
		doc[k] = v
	}
	if doc["token_endpoint"] == "" && o.spec.TokenURL == "" {
		return nil, fmt.Errorf("%s names no token_endpoint; give the endpoint as oauth2: token_url", where)
	}
	o.doc = doc
	return doc, nil
}
