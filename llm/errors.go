package llm

import (
	"errors"
	"fmt"
	"time"
)

// ErrorKind classifies a failed call.
type ErrorKind string

// Error kinds. The first group comes from the transport or the API; the
// second from a 200 response that cannot be used.
const (
	KindRateLimited    ErrorKind = "rate_limited"    // 429, retry after a pause
	KindOverloaded     ErrorKind = "overloaded"      // Anthropic 529 overloaded_error
	KindServer         ErrorKind = "server"          // 5xx
	KindQuotaExhausted ErrorKind = "quota_exhausted" // credits or quota gone: stop the run
	KindAuth           ErrorKind = "auth"            // 401/403
	KindInvalidRequest ErrorKind = "invalid_request" // 400/404/422
	KindContextTooLong ErrorKind = "context_too_long"
	KindNetwork        ErrorKind = "network"
	KindTimeout        ErrorKind = "timeout"

	KindTruncated          ErrorKind = "truncated"           // max tokens reached (inside the tool JSON)
	KindMalformedArguments ErrorKind = "malformed_arguments" // tool arguments are not valid JSON
	KindSchemaViolation    ErrorKind = "schema_violation"    // arguments do not match the schema
	KindEmpty              ErrorKind = "empty"               // no text and no tool call
	KindRefusal            ErrorKind = "refusal"
)

// Retryable reports whether a later attempt may succeed without changing
// the request.
func (k ErrorKind) Retryable() bool {
	switch k {
	case KindRateLimited, KindOverloaded, KindServer, KindNetwork, KindTimeout,
		KindTruncated, KindMalformedArguments, KindSchemaViolation, KindEmpty:
		return true
	}
	return false
}

// Error is a classified call failure.
type Error struct {
	Kind       ErrorKind
	Provider   string
	Model      string
	Status     int           // HTTP status, 0 if none
	RetryAfter time.Duration // from Retry-After, 0 if absent
	Message    string        // the provider's message, never the request
	Err        error         // underlying cause, if any
}

func (e *Error) Error() string {
	s := fmt.Sprintf("%s %s: %s", e.Provider, e.Model, e.Kind)
	if e.Status != 0 {
		s += fmt.Sprintf(" (HTTP %d)", e.Status)
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Err != nil && e.Message == "" {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the kind of err if it is (or wraps) an *Error, else "".
func KindOf(err error) ErrorKind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return ""
}

// ErrQuotaExhausted is returned (wrapped) by every call made after a
// provider reported exhausted quota or credits: the run must stop cleanly.
var ErrQuotaExhausted = errors.New("quota exhausted")

// ErrBudgetExceeded is returned when --max-cost would be exceeded.
var ErrBudgetExceeded = errors.New("cost budget exceeded")
