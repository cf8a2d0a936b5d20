package sandbox

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"time"
)

// Options configures one simulator. The zero value gives the lifetimes the
// provider documents.
type Options struct {
	// TokenLifetime is how long an access or session token is valid.
	TokenLifetime time.Duration
	// RefreshLifetime is how long a refresh token is valid, where the
	// provider has one.
	RefreshLifetime time.Duration
	// Faults names deliberate defects to switch on; see Faults(name).
	Faults []string
	// Now is the simulator's clock; nil means time.Now.
	Now func() time.Time
}

// provider describes one simulator: how to build it and which faults it knows.
type provider struct {
	build  func(o Options, f faultSet) http.Handler
	faults map[string]string // fault name → what it breaks
}

// providers lists the simulators. Adding a provider is adding its file and a
// line here.
func providers() map[string]provider {
	return map[string]provider{
		"amplifi":     amplifiProvider,
		"cardlytics":  cardlyticsProvider,
		"mic":         micProvider,
		"openloyalty": openloyaltyProvider,
	}
}

// Names returns the names of the simulated providers, sorted.
func Names() []string {
	var names []string
	for name := range providers() {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// Faults returns the deliberate defects the named provider can simulate,
// each with a sentence on what it breaks.
func Faults(name string) map[string]string {
	p, ok := providers()[name]
	if !ok {
		return nil
	}
	out := make(map[string]string, len(p.faults))
	for k, v := range p.faults {
		out[k] = v
	}
	return out
}

// New returns the handler that simulates the named provider.
func New(name string, o Options) (http.Handler, error) {
	p, ok := providers()[name]
	if !ok {
		return nil, fmt.Errorf("unknown sandbox provider %q (known: %s)", name, strings.Join(Names(), ", "))
	}
	f := faultSet{}
	for _, fault := range o.Faults {
		if _, ok := p.faults[fault]; !ok {
			return nil, fmt.Errorf("sandbox provider %q has no fault %q", name, fault)
		}
		f[fault] = true
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return p.build(o, f), nil
}

// Server is a simulator served on 127.0.0.1.
type Server struct {
	Name string
	URL  string
	srv  *httptest.Server
}

// Close stops the server and waits for its requests to finish.
func (s *Server) Close() { s.srv.Close() }

// Start serves the named provider on 127.0.0.1 at an ephemeral port.
func Start(name string, o Options) (*Server, error) {
	return StartAt(name, "127.0.0.1:0", o)
}

// StartAt serves the named provider on addr, such as "127.0.0.1:8080".
func StartAt(name, addr string, o Options) (*Server, error) {
	h, err := New(name, o)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("sandbox %s: %w", name, err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	return &Server{Name: name, URL: srv.URL, srv: srv}, nil
}

// faultSet holds the faults switched on for one simulator.
type faultSet map[string]bool

func (f faultSet) has(name string) bool { return f[name] }
