// Package sandbox simulates the auth APIs of the providers that flowrun's
// specs test, so that `flowrun specs/` runs on a machine with no network.
//
// Each provider is an http.Handler built from Options. Behaviour comes from
// the provider's public documentation; what a document leaves open is marked
// "sandbox" in the provider's page beside this file. Faults switch on
// deliberate defects, so that tests can prove a spec catches them.
//
//	srv, err := sandbox.Start("openloyalty", sandbox.Options{TokenLifetime: 2 * time.Second})
//	if err != nil { ... }
//	defer srv.Close()
//	resp, err := http.Post(srv.URL+"/api/DEFAULT/member/login_check", ...)
//
// The package depends on nothing else of flowrun.
package sandbox
