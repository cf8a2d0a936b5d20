package runner

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"syscall"
)

// fault says what a transport error was, in a few words, and why sending
// again would not do, if so. A refused connection, or one never made,
// means the request never left: any method is sent again. After a reset,
// a timeout or a closed connection the API may have processed it, so
// only an idempotent method is. A certificate the client does not trust
// does not become trusted by asking again.
func fault(err error, method string) (what, why string) {
	var op *net.OpError
	var dns *net.DNSError
	switch {
	case untrusted(err):
		return "certificate not trusted", "a certificate does not become trusted by asking again"
	case errors.Is(err, errTooManyRedirects):
		return "redirect loop", "the same redirects would come again"
	case errors.Is(err, errBodyElsewhere):
		return "redirect refused", "the redirect would be refused again"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused", ""
	case errors.As(err, &dns):
		return "DNS lookup failed", ""
	case errors.As(err, &op) && op.Op == "dial":
		return "no connection", ""
	}
	var nerr net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &nerr) && nerr.Timeout():
		what = "timeout"
	case errors.Is(err, syscall.ECONNRESET):
		what = "connection reset"
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		what = "connection closed"
	default:
		what = "transport error"
	}
	if !idempotent(method) {
		return what, "a " + method + " may have reached the API; only a refused connection, or a status under retry_on, sends it again"
	}
	return what, ""
}

// untrusted reports whether err is a certificate the client refused.
func untrusted(err error) bool {
	var verify *tls.CertificateVerificationError
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	return errors.As(err, &verify) || errors.As(err, &unknown) || errors.As(err, &host) || errors.As(err, &invalid)
}

// idempotent reports whether sending a request of method twice has the
// effect of sending it once (RFC 9110, 9.2.2).
func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}
