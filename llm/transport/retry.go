package transport

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/sptflow/sptflow/llm"
)

// peekLimit bounds how much of an error body CheckRetry reads to tell a
// quota 429 from a rate-limit 429.
const peekLimit = 64 << 10

// CheckRetry is a retryablehttp.CheckRetry. It stops as soon as ctx is
// done; retries connection errors and timeouts, 408, 409, 429 and every
// 5xx but 501 (529 included); never retries a 402 or a 429 that says the
// quota or credits are exhausted; and honours an explicit
// `x-should-retry` header from the server.
func CheckRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, context.Cause(ctx)
	}
	if llm.Stopping(ctx) {
		return false, nil // the run is stopping: no new request, retries included
	}
	if err != nil {
		return retryableNetErr(err), nil
	}
	switch strings.ToLower(resp.Header.Get("X-Should-Retry")) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	switch s := resp.StatusCode; {
	case s == http.StatusPaymentRequired:
		return false, nil
	case s == http.StatusTooManyRequests:
		return !isQuotaBody(peekBody(resp)), nil
	case s == http.StatusRequestTimeout, s == http.StatusConflict:
		return true, nil
	case s >= 500 && s != http.StatusNotImplemented:
		return true, nil
	case s == 0:
		return true, nil
	}
	return false, nil
}

// retryableNetErr reports whether a transport error may pass on retry:
// everything but TLS certificate failures and malformed URLs.
func retryableNetErr(err error) bool {
	if errors.Is(err, llm.ErrUnreachable) {
		return false
	}
	var cert *x509.UnknownAuthorityError
	var host x509.HostnameError
	if errors.As(err, &cert) || errors.As(err, &host) {
		return false
	}
	var ue *url.Error
	if errors.As(err, &ue) && strings.Contains(ue.Error(), "unsupported protocol scheme") {
		return false
	}
	return true
}

// peekBody reads up to peekLimit bytes of resp.Body and puts them back,
// so later readers see the whole body.
func peekBody(resp *http.Response) []byte {
	if resp.Body == nil {
		return nil
	}
	head, _ := io.ReadAll(io.LimitReader(resp.Body, peekLimit))
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(head), resp.Body), resp.Body}
	return head
}

func isQuotaBody(body []byte) bool {
	info := parseErrorBody(body)
	return isQuota(info)
}
