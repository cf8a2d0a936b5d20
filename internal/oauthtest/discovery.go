package oauthtest

import (
	"encoding/json"
	"fmt"

	"github.com/go-jose/go-jose/v3"
)

// discovery is the OpenID Connect Discovery 1.0 §3 document, with the
// RFC 8414 fields of the revocation and introspection endpoints. It lists
// what the server does, and only that: there is no authorization endpoint,
// so no authorization_endpoint and no response type.
type discovery struct {
	Issuer                            string   `json:"issuer"`
	TokenEndpoint                     string   `json:"token_endpoint"`
	RevocationEndpoint                string   `json:"revocation_endpoint,omitempty"`
	IntrospectionEndpoint             string   `json:"introspection_endpoint"`
	UserinfoEndpoint                  string   `json:"userinfo_endpoint"`
	JWKSURI                           string   `json:"jwks_uri"`
	GrantTypesSupported               []string `json:"grant_types_supported"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
	RevocationAuthMethodsSupported    []string `json:"revocation_endpoint_auth_methods_supported,omitempty"`
	IntrospectionAuthMethodsSupported []string `json:"introspection_endpoint_auth_methods_supported"`
	ScopesSupported                   []string `json:"scopes_supported"`
	ResponseTypesSupported            []string `json:"response_types_supported"`
	SubjectTypesSupported             []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported  []string `json:"id_token_signing_alg_values_supported"`
}

// discoveryDocument encodes the discovery document of the server at issuer.
func discoveryDocument(issuer string, opts Options) ([]byte, error) {
	methods := []string{"client_secret_basic", "client_secret_post"}
	d := discovery{
		Issuer:                            issuer,
		TokenEndpoint:                     issuer + TokenPath,
		IntrospectionEndpoint:             issuer + IntrospectPath,
		UserinfoEndpoint:                  issuer + UserinfoPath,
		JWKSURI:                           issuer + JWKSPath,
		GrantTypesSupported:               []string{"client_credentials", "password", "refresh_token"},
		TokenEndpointAuthMethodsSupported: methods,
		// fosite's introspection takes HTTP Basic from every client.
		IntrospectionAuthMethodsSupported: []string{"client_secret_basic"},
		ScopesSupported:                   scopes(),
		// Required by the discovery spec; empty, as no endpoint takes a
		// response_type.
		ResponseTypesSupported: []string{},
		SubjectTypesSupported:  []string{"public"},
		// Required by the discovery spec. fosite issues no id_token from
		// the grants served here; the key would sign one with RS256.
		IDTokenSigningAlgValuesSupported: []string{"RS256"},
	}
	if !opts.NoRevocation {
		d.RevocationEndpoint = issuer + RevokePath
		d.RevocationAuthMethodsSupported = methods
	}
	body, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("discovery document: %w", err)
	}
	return body, nil
}

// keySet encodes the public half of key as a JWK Set (RFC 7517 §5).
func keySet(key *jose.JSONWebKey) ([]byte, error) {
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{key.Public()}}
	body, err := json.Marshal(set)
	if err != nil {
		return nil, fmt.Errorf("key set: %w", err)
	}
	return body, nil
}
