package transport

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"syscall"

	"github.com/sptflow/sptflow/llm"
)

// connFailure names a failure to reach the server at all: connection
// refused or reset, a failed DNS lookup, an unreachable host or network, a
// TLS handshake or certificate failure, another failed dial. Timeouts
// waiting for a response and HTTP statuses are not connection failures.
func connFailure(err error) (string, bool) {
	var dns *net.DNSError
	var cert *tls.CertificateVerificationError
	var rec tls.RecordHeaderError
	var alert tls.AlertError
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var op *net.OpError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused", true
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset", true
	case errors.Is(err, syscall.EHOSTUNREACH):
		return "host unreachable", true
	case errors.Is(err, syscall.ENETUNREACH):
		return "network unreachable", true
	case errors.As(err, &dns):
		return "DNS lookup of " + dns.Name + ": " + dns.Err, true
	case errors.As(err, &cert), errors.As(err, &rec), errors.As(err, &alert),
		errors.As(err, &unknown), errors.As(err, &host):
		return "TLS: " + err.Error(), true
	case errors.As(err, &op) && op.Op == "dial" && !op.Timeout():
		return op.Err.Error(), true
	}
	return "", false
}

// observeConnFailure tells the observer of a connection failure; a non-nil
// result (the model is now unreachable) replaces err and ends the retries.
func observeConnFailure(obs llm.Observer, req *http.Request, err error) error {
	co, ok := obs.(llm.ConnObserver)
	if !ok || req.Context().Err() != nil {
		return err
	}
	cause, ok := connFailure(err)
	if !ok {
		return err
	}
	if stop := co.ObserveConnFailure(req.URL.Scheme+"://"+req.URL.Host, cause); stop != nil {
		return stop
	}
	return err
}
