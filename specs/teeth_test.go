package specs_test

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flowrun/flowrun/examples/sandbox"
	"github.com/flowrun/flowrun/flows"
	"github.com/flowrun/flowrun/runner"
)

// tooth is one deliberate defect of a simulator and the step of a spec that
// must catch it: with the fault switched on, flow fails, and step is its
// first step that does not pass.
type tooth struct {
	provider, fault, flow, step string
	// check, if set, is the check of that step that must fail: the
	// refusal probe that catches the fault.
	check string
}

// teeth lists every fault each simulator offers (TestTeethCoverEveryFault
// keeps the list complete).
var teeth = []tooth{
	{"openloyalty", "accept-expired", "expired token is refused and a new login recovers", "expired token", ""},
	{"openloyalty", "no-rotation", "refresh rotates both tokens and the used refresh token is refused", "refresh rotates both tokens", ""},
	{"openloyalty", "reuse-refresh", "refresh rotates both tokens and the used refresh token is refused", "used refresh token is refused", ""},
	{"openloyalty", "reuse-refresh", "the refresh contract, declared", "refresh", "reuse: the used refresh token sent again is refused"},
	{"openloyalty", "accept-expired", "the expired probe is refused", "no token, then the token once expired", "probe expired: the session's token once its exp has passed"},
	{"openloyalty", "member-on-admin", "member token is refused on an admin endpoint", "member token on the customer list", ""},
	{"openloyalty", "accept-no-token", "member endpoint refuses a request without a token", "no token", ""},
	{"openloyalty", "wrong-error-message", "wrong password is refused", "wrong password", ""},
	// Each refusal probe kind, caught by the spec's probes of its first call.
	{"openloyalty", "accept-no-token", "member login and member calls", "read profile", "probe Authorization left out"},
	{"openloyalty", "accept-alg-none", "member login and member calls", "read profile", "probe Authorization re-encoded with alg none and no signature"},
	{"openloyalty", "ignore-signature", "member login and member calls", "read profile", "probe Authorization with its JWT signature altered"},
	{"openloyalty", "accept-raw-token", "member login and member calls", "read profile", "probe Authorization without its Bearer scheme"},

	{"cardlytics", "accept-expired", "an expired session token is refused and a new session recovers", "expired token", ""},
	// The call before the explicit check already sends a tampered token: its probe catches it.
	{"cardlytics", "accept-tampered", "a tampered session token is refused", "the real token works", ""},
	{"cardlytics", "sensitive-payload", "the session token's payload holds no sensitive data", "start session", ""},
	{"cardlytics", "single-session", "several sessions of one user each stay valid", "first session still works", ""},
	{"cardlytics", "wrong-error-message", "a customer who is not enrolled cannot start a session", "inactive customer", ""},
	{"cardlytics", "inactive-allowed", "a customer who is not enrolled cannot start a session", "inactive customer", ""},

	{"amplifi", "ignore-logout", "logout disables the token", "log out", "verify: after the logout, profile with the old credentials is refused"},
	{"amplifi", "accept-expired", "an expired token is refused and a new login recovers", "expired token", ""},
	{"amplifi", "wrong-error-message", "logout without a token answers 500", "DELETE /token without a token header", ""},
	{"amplifi", "skip-channel-fields", "a login missing its channel's required fields is refused with 401", "android without its device fields", ""},
	{"amplifi", "locked-allowed", "a locked actor is refused with 401", "locked user", ""},
	{"amplifi", "accept-no-token", "a protected call without a token is refused", "no token header", ""},

	{"mic", "no-api-key-check", "a call without x-api-key is refused with 403", "no x-api-key", ""},
	{"mic", "ignore-logout", "logout revokes the token and its refresh token", "the logged-out token is refused", ""},
	{"mic", "no-rotation", "refresh rotates both tokens and the used refresh token is refused", "first refresh", ""},
	{"mic", "accept-expired", "an expired token is refused; refresh and a new login recover", "expired token", ""},
	{"mic", "no-identity-check", "a call without identityId is refused with 403", "no identityId", ""},
	{"mic", "reuse-refresh", "refresh rotates both tokens and the used refresh token is refused", "the used refresh token is refused", ""},
	// The same guarantees, declared: reuse, revoked, verify and other-session.
	{"mic", "reuse-refresh", "the session contract, declared", "refresh", "reuse: the used refresh token sent again is refused"},
	{"mic", "refresh-keeps-access", "the session contract, declared", "the new token reads my record", "probe revoked credentials (token from before the logout or refresh that revoked them)"},
	{"mic", "logout-keeps-refresh", "the session contract, declared", "log out", "verify: after the logout, refresh with the old credentials is refused"},
	{"mic", "ignore-logout", "the session contract, declared", "log out", "verify: after the logout, user with the old credentials is refused"},
	{"mic", "no-owner-check", "the session contract, declared", "read my record", "probe the credentials of session bob"},
}

var providers = []string{"openloyalty", "cardlytics", "amplifi", "mic"}

// TestTeethCoverEveryFault fails when a simulator gains a fault that no
// row of teeth catches, or a row names a fault the simulator lacks. A
// fault may have several rows: each place that must catch it.
func TestTeethCoverEveryFault(t *testing.T) {
	for _, p := range providers {
		want := slices.Sorted(maps.Keys(sandbox.Faults(p)))
		var got []string
		for _, c := range teeth {
			if c.provider == p {
				got = append(got, c.fault)
			}
		}
		slices.Sort(got)
		if got = slices.Compact(got); !slices.Equal(got, want) {
			t.Errorf("%s: teeth cover faults %v, want every fault the simulator offers: %v", p, got, want)
		}
	}
}

// TestSpecsHaveTeeth runs each spec against its simulator with one fault
// switched on and checks the flow meant to catch it fails at the right
// step; with no fault, every flow must pass.
func TestSpecsHaveTeeth(t *testing.T) {
	for _, p := range providers {
		t.Run(p, func(t *testing.T) {
			t.Parallel()
			t.Run("no fault", func(t *testing.T) {
				t.Parallel()
				res := runSpec(t, p, "", "")
				for _, f := range res.Flows {
					if f.Status != runner.Passed {
						t.Errorf("flow %q: got %s, want passed%s", f.Name, f.Status, describe(f))
					}
				}
				if len(res.Flows) == 0 {
					t.Errorf("got no flows, want the spec's flows")
				}
			})
			for _, c := range teeth {
				if c.provider != p {
					continue
				}
				t.Run(c.fault, func(t *testing.T) {
					t.Parallel()
					res := runSpec(t, p, c.fault, c.flow)
					i := slices.IndexFunc(res.Flows, func(f runner.FlowResult) bool { return f.Name == c.flow })
					if i < 0 {
						t.Fatalf("got no flow named %q in %s.yaml, want one", c.flow, p)
					}
					f := res.Flows[i]
					if f.Status != runner.Failed {
						t.Fatalf("flow %q: got %s, want failed at step %q%s", c.flow, f.Status, c.step, describe(f))
					}
					j := slices.IndexFunc(f.Steps, func(s runner.StepResult) bool { return s.Status != runner.Passed })
					if j < 0 {
						t.Fatalf("flow %q: got every step passed, want step %q failed", c.flow, c.step)
					}
					if s := f.Steps[j]; s.Name != c.step || s.Status != runner.Failed {
						t.Errorf("flow %q: got step %d %q %s, want step %q failed%s", c.flow, j+1, s.Name, s.Status, c.step, describe(f))
					}
					if c.check != "" && !slices.ContainsFunc(f.Steps[j].Checks, func(k runner.Check) bool { return k.Expr == c.check && k.Status == runner.Failed }) {
						t.Errorf("flow %q: step %q did not fail at %q%s", c.flow, c.step, c.check, describe(f))
					}
				})
			}
		})
	}
}

// runSpec runs specs/<provider>.yaml against a fresh simulator with fault
// (none if empty), with the lifetimes the spec's sandbox section names and
// every ${ENV} at its default. A non-empty flow runs only that flow (with
// -parallel at GOMAXPROCS, running every flow per fault makes the test
// several times slower on a small machine).
func runSpec(t *testing.T, provider, fault, flow string) runner.SpecResult {
	t.Helper()
	spec, err := flows.Load(provider+".yaml", func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatalf("load %s.yaml: %v", provider, err)
	}
	if spec.Sandbox == nil || spec.Sandbox.Provider != provider {
		t.Fatalf("%s.yaml: got sandbox %+v, want sandbox provider %q", provider, spec.Sandbox, provider)
	}
	opts := sandbox.Options{TokenLifetime: spec.Sandbox.TokenLifetime, RefreshLifetime: spec.Sandbox.RefreshLifetime}
	if fault != "" {
		opts.Faults = []string{fault}
	}
	srv, err := sandbox.Start(provider, opts)
	if err != nil {
		t.Fatalf("start the %s simulator with fault %q: %v", provider, fault, err)
	}
	t.Cleanup(srv.Close)
	plan, err := runner.Compile(spec)
	if err != nil {
		t.Fatalf("compile %s.yaml: %v", provider, err)
	}
	plan.BaseURL = srv.URL
	// The spec's other servers are the same API, with the same fault.
	for name, sv := range spec.Servers {
		if sv.Sandbox == nil {
			continue
		}
		o := sandbox.Options{TokenLifetime: sv.Sandbox.TokenLifetime, RefreshLifetime: sv.Sandbox.RefreshLifetime, Faults: opts.Faults}
		other, err := sandbox.Start(sv.Sandbox.Provider, o)
		if err != nil {
			t.Fatalf("start server %s: %v", name, err)
		}
		t.Cleanup(other.Close)
		plan.Servers[name].URL = other.URL
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	cfg := runner.Config{Client: client, Timeout: 5 * time.Second}
	if flow != "" {
		cfg.Filter = func(_, name string, _ []string) bool { return name == flow }
	}
	res := runner.Run(ctx, []*runner.Plan{plan}, cfg)
	if len(res.Specs) != 1 {
		t.Fatalf("got %d spec results, want 1", len(res.Specs))
	}
	return res.Specs[0]
}

// describe lists a flow's steps up to the first that did not pass, with
// that step's checks, for a failure message.
func describe(f runner.FlowResult) string {
	var b strings.Builder
	for i, s := range f.Steps {
		fmt.Fprintf(&b, "\n  step %d %s %q (%s): %s", i+1, s.Kind, s.Name, s.Pos, s.Status)
		if s.Status == runner.Passed {
			continue
		}
		if s.Error != "" {
			fmt.Fprintf(&b, "\n    error: %s", s.Error)
		}
		for _, c := range s.Checks {
			mark := "ok"
			if !c.Passed() {
				mark = "FAILED"
			}
			fmt.Fprintf(&b, "\n    %s %s: expected %s, got %s %s (%s)", mark, c.Expr, c.Expected.Text, c.Actual.Text, c.Message, c.Pos)
		}
		for _, x := range s.Exchanges {
			if x.Response != nil {
				fmt.Fprintf(&b, "\n    response: %d %s", x.Response.Status, x.Response.Body.Text)
			}
		}
		break
	}
	return b.String()
}
