package flows

import "slices"

// Type is the kind of value a key of a spec takes.
type Type string

// The types of values.
const (
	// TString is text, with ${ENV} expanded when the spec is loaded.
	TString Type = "string"
	// TTemplate is text with {{ expression }} parts, evaluated when the step runs.
	TTemplate Type = "template"
	// TDuration is a Go duration: 500ms, 2s, 1m.
	TDuration Type = "duration"
	// TBool is true or false.
	TBool Type = "boolean"
	// TStatus is an HTTP status code, or a list of them.
	TStatus Type = "status"
	// TStrings is a list of strings; a single string is a list of one.
	TStrings Type = "strings"
	// TPairs maps names to templates; null removes the name.
	TPairs Type = "pairs"
	// TAny is any YAML value: a JSON body, a row's values.
	TAny Type = "any"
	// TObject is a mapping with the keys of Key.Object.
	TObject Type = "object"
	// TList is a list of mappings with the keys of Key.Object.
	TList Type = "list"
	// TMapOf maps names to mappings with the keys of Key.Object.
	TMapOf Type = "map"
	// TSteps is a list of steps, each a mapping with one key: its kind.
	TSteps Type = "steps"
	// TOneOf is one of the types in Key.OneOf.
	TOneOf Type = "oneOf"
)

// Key describes one key of a mapping in a spec.
type Key struct {
	Name     string
	Type     Type
	Required bool
	// Description says what the key means, in a sentence or two.
	Description string
	// Example is a value as a spec would write it.
	Example any
	// Enum lists the values allowed, if the key takes only some.
	Enum []string
	// Object holds the keys of a TObject, a TList's items or a TMapOf's values.
	Object *Object
	// OneOf lists the shapes a TOneOf key takes.
	OneOf []Key
}

// Object is a mapping of a spec: the spec itself, a flow, a step kind.
type Object struct {
	Name        string
	Description string
	Keys        []Key
}

// Names returns the object's keys in order.
func (o *Object) Names() []string {
	out := make([]string, len(o.Keys))
	for i, k := range o.Keys {
		out[i] = k.Name
	}
	return out
}

// Key returns the key named name.
func (o *Object) Key(name string) (Key, bool) {
	i := slices.IndexFunc(o.Keys, func(k Key) bool { return k.Name == name })
	if i < 0 {
		return Key{}, false
	}
	return o.Keys[i], true
}

// Grammar describes every key a spec may hold: its type, whether it is
// required, what it means and an example. The decoder checks keys against
// it, `flowrun schema` writes it as a JSON Schema, and the reference doc's
// key tables are generated from it, so none of them can drift.
type Grammar struct {
	Spec *Object
	// Kinds are the step kinds, by key, each with the keys its body takes.
	Kinds map[string]*Object
	// Objects are every mapping of the grammar, by name, for lookups.
	Objects map[string]*Object
}

// NewGrammar returns the grammar of a spec.
func NewGrammar() *Grammar {
	g := &Grammar{Kinds: map[string]*Object{}, Objects: map[string]*Object{}}
	jwtCheck := &Object{Name: "jwt check", Description: "What a JWT the step captured must hold. exp must be in the future and nbf not, whenever the token has them.", Keys: []Key{
		{Name: "token", Type: TTemplate, Description: "the token to check; default: the step's first capture", Example: "{{access_token}}"},
		{Name: "lifetime", Type: TDuration, Description: "what `exp - iat` must be, within `tolerance`", Example: "1h"},
		{Name: "tolerance", Type: TDuration, Description: "how far `lifetime` and `expires_in` may be off (default 5s)", Example: "10s"},
		{Name: "iss", Type: TTemplate, Description: "the issuer the token must name", Example: "https://auth.example.com"},
		{Name: "aud", Type: TTemplate, Description: "an audience the token must name", Example: "members-api"},
		{Name: "sub", Type: TTemplate, Description: "the subject the token must name", Example: "{{user_id}}"},
		{Name: "expires_in", Type: TString, Description: "a gjson path into the answer's body to a lifetime in seconds that must agree with `exp - iat`", Example: "expires_in"},
		{Name: "hmac", Type: TTemplate, Description: "verify the signature (HS256, HS384, HS512) with this shared secret; list it under `secrets`", Example: "{{jwt_secret}}"},
		{Name: "pem", Type: TString, Description: "verify the signature (RS*, PS*, ES*, EdDSA) with the public key in this PEM file, relative to the spec", Example: "keys/public.pem"},
		{Name: "jwks", Type: TTemplate, Description: "verify the signature with the keys of the JWK Set at this URL", Example: "https://auth.example.com/.well-known/jwks.json"},
		{Name: "no_sensitive_claims", Type: TBool, Description: "fail on claims that look like passwords, secrets or card numbers (Luhn)", Example: true},
	}}
	expect := &Object{Name: "expect", Description: "What a response must satisfy.", Keys: []Key{
		{Name: "status", Type: TStatus, Description: "the accepted status code or codes; default: the kind's (any 2xx, or 401 for expect-401)", Example: []any{200, 201}},
		{Name: "assert", Type: TStrings, Description: "expressions that must all be true: `json(\"user.id\") == id`, `status < 500`", Example: []any{`json("email") == username`}},
		{Name: "jwt", Type: TObject, Description: "checks of a JWT the step captured: lifetime, claims, signature", Object: jwtCheck},
	}}
	capture := &Object{Name: "capture source", Description: "Where a captured value comes from, and whether it is a secret.", Keys: []Key{
		{Name: "from", Type: TString, Required: true, Description: "a gjson path into the JSON body, or `header:NAME`, `cookie:NAME`, `status`", Example: "credentials.identityId"},
		{Name: "secret", Type: TBool, Description: "false keeps a value a login or refresh captures readable (an id); true by default for their captures", Example: false},
	}}
	captureKey := Key{Name: "capture", Type: TMapOf, Description: "values to keep: name → a gjson path, `header:NAME`, `cookie:NAME`, `status`, or `{from: ..., secret: false}`",
		Example: map[string]any{"token": "credentials.token"}, Object: capture}
	common := []Key{
		{Name: "name", Type: TString, Description: "the step's name in reports (default: its kind)", Example: "read profile"},
		{Name: "use", Type: TString, Description: "a named request under `requests` whose keys this step starts from", Example: "login"},
		{Name: "session", Type: TString, Description: "the session the step belongs to (default `default`); sessions hold separate credentials and cookies", Example: "admin"},
		{Name: "method", Type: TString, Description: "the HTTP method; default GET, or POST when there is a body", Example: "POST",
			Enum: []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}},
		{Name: "server", Type: TString, Description: "a server named under `servers` to send to, instead of `base_url`", Example: "short"},
		{Name: "path", Type: TTemplate, Description: "joined to `base_url` (or the step's `server`); may hold a query string", Example: "/api/members/{{id}}"},
		{Name: "url", Type: TTemplate, Description: "an absolute URL instead of `path`", Example: "https://auth.example.com/token"},
		{Name: "query", Type: TPairs, Description: "query parameters", Example: map[string]any{"page": "1"}},
		{Name: "headers", Type: TPairs, Description: "request headers; they win over the spec's `headers` and over `auth`; null leaves one out", Example: map[string]any{"Accept": "application/json"}},
		{Name: "json", Type: TAny, Description: "a JSON body whose strings are templates; sets `Content-Type: application/json`", Example: map[string]any{"username": "{{username}}"}},
		{Name: "form", Type: TPairs, Description: "a form body (`application/x-www-form-urlencoded`)", Example: map[string]any{"grant_type": "password"}},
		{Name: "body", Type: TTemplate, Description: "a raw body, sent as written (e.g. malformed JSON to test a 400)", Example: `{"broken":`},
		captureKey,
		{Name: "expect", Type: TObject, Description: "`status` (a code or a list) and `assert` (a list of expressions)", Object: expect},
		{Name: "vars", Type: TPairs, Description: "variables set before the request is built", Example: map[string]any{"old_token": "{{token}}"}},
		{Name: "timeout", Type: TDuration, Description: "this step's time limit", Example: "5s"},
		{Name: "secrets", Type: TStrings, Description: "fields of this request whose values are never shown: `header:NAME`, `query:NAME`, `form:NAME`, `json:PATH`",
			Example: []any{"json:device.uuid", "header:X-Device-Key"}},
	}
	for _, k := range kindDefs {
		g.Kinds[k.name] = k.object(common)
	}
	g.Objects["retry"] = retryObject()
	named := &Object{Name: "named request", Description: "A request written once and used by name: `use: NAME`.", Keys: append(slices.Clip(common), rotateKey, grantKey,
		Key{Name: "principal", Type: TTemplate, Description: "on a login: who logs in. Flows that log in with this request as the same principal never run at the same time, as if each said `exclusive: [principal]`", Example: "{{username}}"})}
	sandbox := &Object{Name: "sandbox", Description: "The embedded simulator a spec runs against when its base URL is empty.", Keys: []Key{
		{Name: "provider", Type: TString, Required: true, Description: "the simulator", Example: "openloyalty", Enum: []string{"amplifi", "cardlytics", "mic", "openloyalty"}},
		{Name: "token_lifetime", Type: TDuration, Description: "its access tokens' lifetime, to test expiry quickly", Example: "1s"},
		{Name: "refresh_lifetime", Type: TDuration, Description: "its refresh tokens' lifetime", Example: "10s"},
	}}
	expiredProbe := &Object{Name: "expired probe", Description: "How the `expired` probe gets a token past its lifetime: re-signed with a past `exp` when the key is given, else waited for.", Keys: []Key{
		{Name: "hmac", Type: TTemplate, Description: "the key the API signs its JWTs with (HS256, HS384, HS512): the probe re-signs the session's JWT with an `exp` in the past, at once, so it can run after every call; list it under `secrets`", Example: "{{jwt_secret}}"},
		{Name: "wait", Type: TDuration, Description: "without `hmac`, the longest the probe waits for the token's `exp` (or the login's captured `expires_in`) to pass; default 1m. A waited-for token stays expired: only an `expect-401` step may wait", Example: "5s"},
	}}
	basic := &Object{Name: "basic auth", Description: "An HTTP Basic credential (RFC 7617): a user and a password, sent as `Authorization: Basic base64(user:password)` on every authenticated request, without a login.", Keys: []Key{
		{Name: "user", Type: TTemplate, Required: true, Description: "the user name", Example: "{{username}}"},
		{Name: "password", Type: TTemplate, Required: true, Description: "the password; list its variable under `secrets`", Example: "{{password}}"},
	}}
	auth := &Object{Name: "auth", Description: "How a session's captured credentials go onto authenticated requests. With `oauth2:` and nothing else said, `Authorization: Bearer {{access_token}}`.", Keys: []Key{
		{Name: "headers", Type: TPairs, Description: "headers made from the captured credentials", Example: map[string]any{"Authorization": "Bearer {{token}}"}},
		{Name: "basic", Type: TObject, Description: "HTTP Basic authentication with a user and password, instead of an Authorization header", Object: basic},
		{Name: "query", Type: TPairs, Description: "query parameters made from the captured credentials", Example: map[string]any{"access_token": "{{token}}"}},
		{Name: "refused", Type: TStatus, Description: "the status the API refuses a request with: what every `expect-401` that names no status accepts (default 401); some APIs answer 403, some either", Example: []any{401, 403}},
		{Name: "expired", Type: TObject, Description: "how the `expired` probe gets a token past its lifetime", Object: expiredProbe},
	}}
	envFile := Key{Name: "env_file", Type: TStrings, Description: "dotenv files (NAME=value lines), relative to the spec, whose values `${NAME}` reads; a missing file is an error",
		Example: ".env"}
	server := &Object{Name: "server", Description: "Another server the spec's steps can send to: a URL, or an embedded simulator when the URL is empty.", Keys: []Key{
		{Name: "url", Type: TString, Description: "the server's root URL; usually `${NAME:-}`", Example: "${SHORT_URL:-}"},
		{Name: "sandbox", Type: TOneOf, Description: "the embedded simulator to start when `url` is empty", Example: map[string]any{"provider": "openloyalty", "token_lifetime": "1s"},
			OneOf: []Key{{Type: TString, Enum: sandbox.Keys[0].Enum}, {Type: TObject, Object: sandbox}}},
	}}
	servers := Key{Name: "servers", Type: TMapOf, Description: "other servers by name, each a URL or `{url, sandbox}`; a step picks one with `server: NAME`",
		Example: map[string]any{"short": map[string]any{"sandbox": map[string]any{"provider": "openloyalty", "token_lifetime": "1s"}}}, Object: server}
	environment := &Object{Name: "environment", Description: "A named environment, chosen with `--env NAME`: what it sets replaces the spec's.", Keys: []Key{
		{Name: "base_url", Type: TString, Description: "the API's root in this environment", Example: "https://staging.example.com"},
		{Name: "vars", Type: TPairs, Description: "variables that replace the spec's of the same name, or add to them", Example: map[string]any{"username": "qa-staging"}},
		servers,
		envFile,
	}}
	include := Key{Name: "include", Type: TStrings, Description: "files of shared parts (vars, secrets, headers, auth, requests, servers), relative to this file; what this file defines itself wins",
		Example: []any{"shared/login.yaml"}}
	fragment := &Object{Name: "fragment", Description: "A file of parts that specs share with `include`.", Keys: []Key{
		{Name: "description", Type: TString, Description: "free text", Example: "the login every spec of this API uses"},
		include,
		{Name: "vars", Type: TPairs, Description: "variables; the including spec's of the same name win", Example: map[string]any{"username": "${API_USER:-alice}"}},
		{Name: "secrets", Type: TStrings, Description: "variables and request fields whose values are never shown", Example: []any{"password"}},
		{Name: "headers", Type: TPairs, Description: "headers sent on every request", Example: map[string]any{"Accept": "application/json"}},
		{Name: "auth", Type: TObject, Description: "how the session's credentials are attached", Object: auth},
		{Name: "timeout", Type: TDuration, Description: "time limit of each step", Example: "10s"},
		{Name: "requests", Type: TMapOf, Description: "named requests, such as the login", Object: named},
		servers,
	}}
	flow := &Object{Name: "flow", Description: "A named sequence of steps, run in order.", Keys: []Key{
		{Name: "name", Type: TString, Required: true, Description: "unique within the spec", Example: "member login and profile"},
		{Name: "description", Type: TString, Description: "free text", Example: "a member logs in and reads their profile"},
		{Name: "tags", Type: TStrings, Description: "for `--tags` and `--skip-tags`", Example: []any{"smoke"}},
		probesKey("probe", "refusal probes run after every passing `call` of this flow, instead of the spec's `probe`; `[]` runs none"),
		{Name: "reauth", Type: TString, Description: "this flow's re-login policy, instead of the spec's `reauth`", Example: "on-401", Enum: []string{"on-401", "never"}},
		{Name: "retry_on", Type: TStatus, Description: "this flow's retried statuses, instead of the spec's `retry_on`", Example: []any{503}},
		{Name: "exclusive", Type: TStrings, Description: "principals (users, clients) the flow holds a lease on while it runs: flows holding the same lease never overlap, so they cannot break each other's sessions; names may use variables and row values", Example: []any{"alice", "{{username}}"}},
		{Name: "serial", Type: TBool, Description: "run this flow alone, with no other flow beside it", Example: true},
		{Name: "rows", Type: TAny, Description: "a list of mappings: the flow runs once per row, with the row's keys as variables", Example: []any{map[string]any{"name": "internet", "channel": "internet"}}},
		{Name: "rows_file", Type: TString, Description: "rows from a `.csv` (a header line names the columns) or `.yaml` file (a list of mappings), relative to the spec", Example: "channels.csv"},
		{Name: "steps", Type: TSteps, Required: true, Description: "at least one step; each is a mapping with one key, its kind"},
	}}
	tlsObj := tlsObject()
	oauth2 := oauth2Object()
	g.Spec = &Object{Name: "spec", Description: "A flowrun spec: one API provider's auth flows.", Keys: []Key{
		{Name: "provider", Type: TString, Required: true, Description: "the provider's name, shown in reports", Example: "openloyalty"},
		{Name: "description", Type: TString, Description: "free text", Example: "member login, refresh and logout"},
		{Name: "base_url", Type: TString, Description: "the API's root; step paths are joined to it. Usually `${NAME:-}` so an environment variable points it at a deployment. Required unless `sandbox` is set", Example: "${API_BASE_URL:-https://api.example.com}"},
		{Name: "sandbox", Type: TOneOf, Description: "the embedded simulator to run against when `base_url` is empty: `sandbox: mic`, or `{provider: mic, token_lifetime: 2s}`", Example: "openloyalty",
			OneOf: []Key{{Type: TString, Enum: sandbox.Keys[0].Enum}, {Type: TObject, Object: sandbox}}},
		servers,
		{Name: "environments", Type: TMapOf, Description: "named environments (`--env NAME`), each setting its own `base_url`, `vars`, `servers` and `env_file`", Object: environment,
			Example: map[string]any{"staging": map[string]any{"base_url": "https://staging.example.com"}}},
		envFile,
		include,
		probesKey("probe", "refusal probes run after every passing `call`: each sends the call again with its credentials broken one way, and the API must refuse it"),
		{Name: "serial", Type: TBool, Description: "run the spec's flows one at a time, in order (flows of other specs still run beside them)", Example: true},
		{Name: "reauth", Type: TString, Description: "`on-401`: a `call` answered 401 logs in again with its session's login and is retried once, as clients are told to; every report shows it", Example: "on-401", Enum: []string{"on-401", "never"}},
		{Name: "retry_on", Type: TStatus, Description: "failure statuses (4xx, 5xx) after which a step's request is sent again, as after a transport error, when the run allows retries (`--retries N`); a status the step expects is never retried. Default: none, so only transport errors are retried", Example: []any{429, 503}},
		{Name: "headers", Type: TPairs, Description: "headers sent on every request (an API key, `Accept`, ...)", Example: map[string]any{"x-api-key": "{{api_key}}"}},
		{Name: "vars", Type: TPairs, Description: "the spec's variables, in order; a value may use earlier ones: `{{store}}`", Example: map[string]any{"username": "${API_USER:-alice}"}},
		{Name: "secrets", Type: TStrings, Description: "variables, and request fields (`header:NAME`, `query:NAME`, `form:NAME`, `json:PATH`), whose values are never shown", Example: []any{"password", "json:deviceTag"}},
		{Name: "auth", Type: TObject, Description: "how the session's credentials are attached to authenticated requests", Object: auth},
		{Name: "timeout", Type: TDuration, Description: "time limit of each step (default 30s, or `--timeout`)", Example: "10s"},
		{Name: "oauth2", Type: TObject, Description: "the OAuth 2.0 / OpenID Connect authorization server: its issuer (read for discovery) or endpoints, and the client. Logins and refreshes then say `grant:`, a logout `revoke:`, and `introspect` steps check tokens", Object: oauth2},
		{Name: "conformance", Type: TStrings, Description: "standards checks reported wherever they apply: `rfc6750` (every 401 to a bearer call carries `WWW-Authenticate: Bearer`, with `error=\"invalid_token\"` for a bad token), `rfc6749` (token answers carry `access_token`, `token_type`, `expires_in` agreeing with a JWT's `exp - iat`, and `Cache-Control: no-store`; token errors a registered `error` code), `cookies` (session cookies are `Secure`, `HttpOnly` and have `SameSite`)",
			Example: []any{"rfc6750", "rfc6749"}, Enum: ConformanceKinds},
		{Name: "tls", Type: TObject, Description: "how the spec's requests use TLS: a CA to trust, a client certificate (mutual TLS), or no verification; the run's `--cacert`, `--cert` and `--insecure` apply too", Object: tlsObj},
		{Name: "requests", Type: TMapOf, Description: "named requests that steps reuse with `use:`; `login`, `refresh` and `logout` steps use the one of their name by default", Object: named},
		{Name: "flows", Type: TList, Required: true, Description: "the flows to run", Object: flow},
	}}
	for _, o := range []*Object{g.Spec, sandbox, auth, basic, expiredProbe, flow, named, expect, capture, server, environment, fragment, jwtCheck, tlsObj, oauth2} {
		g.Objects[o.Name] = o
	}
	for _, o := range g.Kinds {
		g.Objects["step "+o.Name] = o
	}
	return g
}

// KindNames returns the step kinds' keys, sorted.
func (g *Grammar) KindNames() []string {
	out := make([]string, 0, len(g.Kinds))
	for k := range g.Kinds {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// rotateKey is the key of a refresh, and of a named request, that names
// the credentials a refresh must replace.
var rotateKey = Key{Name: "rotate", Type: TStrings, Description: "credentials a refresh must replace with new values", Example: []any{"token", "refresh_token"}}

// grantKey is the key of a login, a refresh and a named request that
// makes it an OAuth 2.0 token request.
var grantKey = Key{Name: "grant", Type: TString, Description: "the OAuth 2.0 grant (RFC 6749) this token request stands for, built from the spec's `oauth2:`: a form POST to the token endpoint with the client's authentication, capturing `access_token`, `refresh_token`, `id_token` (secrets), `expires_in`, `token_type` and `scope`. Default with `oauth2:`: `password` for a login when `oauth2: username` is set, else `client_credentials`; `refresh_token` for a refresh",
	Example: "password", Enum: Grants}

// oauth2Object is the grammar of a spec's oauth2: key.
func oauth2Object() *Object {
	return &Object{Name: "oauth2", Description: "The spec's OAuth 2.0 authorization server. The endpoints come from the issuer's discovery document (`/.well-known/openid-configuration`, read once per run), or are given; a path is joined to `base_url`. Templates may read them as `{{oauth2.token_endpoint}}`, `{{oauth2.userinfo_endpoint}}`, `{{oauth2.jwks_uri}}`, ...", Keys: []Key{
		{Name: "issuer", Type: TString, Description: "the issuer URL: its discovery document gives the token, revocation, introspection, userinfo and JWKS endpoints, and `expect: jwt:` checks verify signatures with its JWKS", Example: "${OIDC_ISSUER:-https://auth.example.com}"},
		{Name: "token_url", Type: TString, Description: "the token endpoint, instead of the discovered one", Example: "/oauth2/token"},
		{Name: "revocation_url", Type: TString, Description: "the revocation endpoint (RFC 7009)", Example: "/oauth2/revoke"},
		{Name: "introspection_url", Type: TString, Description: "the introspection endpoint (RFC 7662)", Example: "/oauth2/introspect"},
		{Name: "userinfo_url", Type: TString, Description: "the userinfo endpoint", Example: "/userinfo"},
		{Name: "jwks_url", Type: TString, Description: "the JWK Set that `expect: jwt:` checks verify signatures with", Example: "/.well-known/jwks.json"},
		{Name: "client_id", Type: TTemplate, Required: true, Description: "the client's id", Example: "{{client_id}}"},
		{Name: "client_secret", Type: TTemplate, Description: "the client's secret; masked in every output. List its variable under `secrets`", Example: "{{client_secret}}"},
		{Name: "client_auth", Type: TString, Description: "how the client authenticates: `client_secret_basic` (HTTP Basic, the default), `client_secret_post` (in the form) or `none` (a public client: its id only)", Example: "client_secret_post", Enum: ClientAuthMethods},
		{Name: "scope", Type: TStrings, Description: "scopes the login grants request", Example: []any{"openid", "offline_access"}},
		{Name: "username", Type: TTemplate, Description: "the password grant's user", Example: "{{username}}"},
		{Name: "password", Type: TTemplate, Description: "the password grant's password; list its variable under `secrets`", Example: "{{password}}"},
	}}
}

// probesKey is a key that lists refusal probes.
func probesKey(name, desc string) Key {
	return Key{Name: name, Type: TStrings, Description: desc, Example: []any{"missing", "tampered", "alg-none", "wrong-scheme"}, Enum: ProbeKinds}
}

// requestKind returns the grammar of a kind that sends a request: the
// keys every such step has, then its own, then retry.
func requestKind(name, desc string, common []Key, extra ...Key) *Object {
	return &Object{Name: name, Description: desc, Keys: append(append(slices.Clip(common), extra...), retryKey())}
}

// tlsObject is the grammar of a spec's tls: key.
func tlsObject() *Object {
	return &Object{Name: "tls", Description: "How the spec's requests use TLS. Files are relative to the spec, PEM-encoded, read and checked when the spec is loaded.", Keys: []Key{
		{Name: "ca_cert", Type: TString, Description: "CA certificates trusted for this spec's servers, besides the run's roots (the system's, or those of `--cacert`)", Example: "certs/ca.pem"},
		{Name: "cert", Type: TString, Description: "the client certificate this spec's requests present (mutual TLS); its file may hold the key too", Example: "certs/client.pem"},
		{Name: "key", Type: TString, Description: "the client certificate's private key, unencrypted", Example: "certs/client-key.pem"},
		{Name: "insecure", Type: TBool, Description: "do not verify this spec's servers' certificates (a test server with a self-signed one); `--insecure` does so for every spec", Example: true},
	}}
}
