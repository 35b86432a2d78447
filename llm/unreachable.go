package llm

import (
	"errors"
	"fmt"
	"time"
)

// ErrUnreachable is wrapped by every call to a model whose server could not
// be reached (connection refused or reset, DNS, TLS) on several consecutive
// attempts: the model's requests stop, nothing is recorded as failed, and
// its rows stay pending for the next run.
var ErrUnreachable = errors.New("server unreachable")

// UnreachableError says which model's server could not be reached and why.
type UnreachableError struct {
	Model    string // provider/model
	Target   string // scheme://host of the server
	Cause    string // the last connection failure, e.g. "connection refused"
	Failures int    // consecutive connection failures
	Span     time.Duration
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("%s: server unreachable at %s: %s (%d connection failures in %s)",
		e.Model, e.Target, e.Cause, e.Failures, e.Span.Round(100*time.Millisecond))
}

func (e *UnreachableError) Unwrap() error { return ErrUnreachable }

// ConnObserver is an Observer that is also told of connection failures
// (no HTTP response at all). The rate governor implements it: once a
// model's attempts have failed to connect unreachableFailures times in a
// row over at least its unreachable span, it stops the model and returns
// the *UnreachableError, which the transport returns instead of retrying.
type ConnObserver interface {
	ObserveConnFailure(target, cause string) error
}

// Connection failures that stop a model: this many in a row (no HTTP
// response in between, from any worker of the model), the first at least
// defaultUnreachableSpan before the last. With the transport's backoff one
// worker reaches both in about 10-15 s; many workers failing at once
// within a moment (a restart) do not stop the model.
const (
	unreachableFailures    = 5
	defaultUnreachableSpan = 10 * time.Second
)

var _ ConnObserver = (*Governor)(nil)

// ObserveConnFailure implements ConnObserver.
func (g *Governor) ObserveConnFailure(target, cause string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.unreachable != nil {
		return g.unreachable
	}
	now := time.Now()
	if g.connFails == 0 {
		g.connFirst = now
	}
	g.connFails++
	if span := now.Sub(g.connFirst); g.connFails >= unreachableFailures && span >= g.unreachableSpan {
		g.unreachable = &UnreachableError{Model: g.name, Target: target, Cause: cause, Failures: g.connFails, Span: span}
		g.log.Error().Str("model", g.name).Str("server", target).Str("reason", cause).
			Msg("server unreachable: no new requests to this model; its rows stay pending")
		return g.unreachable
	}
	return nil
}

// connected ends a streak of connection failures (an HTTP response came).
func (g *Governor) connected() {
	g.mu.Lock()
	g.connFails = 0
	g.mu.Unlock()
}

// Unreachable returns the models the run stopped because their server
// could not be reached, one error per model.
func (r *Runtime) Unreachable() []*UnreachableError {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*UnreachableError
	for _, g := range r.govs {
		g.mu.Lock()
		if g.unreachable != nil {
			out = append(out, g.unreachable)
		}
		g.mu.Unlock()
	}
	return out
}
