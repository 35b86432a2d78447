package llm

import (
	"context"
	"errors"
	"fmt"
)

// ErrStopping is the error of a request refused because the run is
// stopping after an interrupt: the request was never sent, nothing is
// recorded as failed, and its row stays pending for the next run. It
// matches context.Canceled (errors.Is), so every caller that treats
// cancellation as "not a failure of the request" treats it so too.
var ErrStopping error = stoppingError{}

type stoppingError struct{}

func (stoppingError) Error() string { return "stopping after an interrupt: request not sent" }

func (stoppingError) Is(target error) bool { return target == context.Canceled }

// errAborted is the cause of a sent request cut off by the hard
// cancellation that follows a stop (a second interrupt or the grace
// period's end).
var errAborted = fmt.Errorf("aborted after the interrupt: %w", context.Canceled)

// SetInterrupt makes the Runtime stop gracefully: once stop is closed, no
// request is sent (ErrStopping), not even a retry, and a request already
// sent is left to finish and be stored even when its caller's context is
// cancelled because of the stop (a step ending its partition on the first
// ErrStopping of its rows). Once abort is closed, requests in flight are
// cut off. Call it before the first call; nil channels never close.
func (r *Runtime) SetInterrupt(stop, abort <-chan struct{}) {
	r.stop, r.abort = stop, abort
}

// stopping reports whether the run's stop was requested.
func (r *Runtime) stopping() bool { return isClosed(r.stop) }

func isClosed(ch <-chan struct{}) bool {
	if ch == nil {
		return false
	}
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// admission returns ctx, also cancelled with cause ErrStopping when the
// run's stop is requested: the context of the waits before a request is
// sent (the governor, the backoff between attempts).
func (r *Runtime) admission(ctx context.Context) (context.Context, context.CancelFunc) {
	actx, cancel := context.WithCancelCause(ctx)
	if r.stop == nil {
		return actx, func() { cancel(nil) }
	}
	if r.stopping() {
		cancel(ErrStopping)
		return actx, func() {}
	}
	go func() {
		select {
		case <-r.stop:
			cancel(ErrStopping)
		case <-actx.Done():
		}
	}()
	return actx, func() { cancel(nil) }
}

type stopKey struct{}

// Stopping reports whether the run that a request's context belongs to is
// stopping: the HTTP stack under the providers asks it before a retry
// (llm/transport's CheckRetry does), so a stop sends no retry either.
func Stopping(ctx context.Context) bool {
	ch, _ := ctx.Value(stopKey{}).(<-chan struct{})
	return isClosed(ch)
}

// sendContext returns the context of one admitted request: ctx, except that
// a cancellation of ctx caused by the stop (ErrStopping, as when a step's
// errgroup ends on its first stopped row) does not reach it. An admitted
// request is then left to finish, until the abort.
func (r *Runtime) sendContext(ctx context.Context) (context.Context, context.CancelFunc) {
	sctx, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	sctx = context.WithValue(sctx, stopKey{}, r.stop)
	unwatch := context.AfterFunc(ctx, func() {
		cause := context.Cause(ctx)
		if !errors.Is(cause, ErrStopping) {
			cancel(cause)
			return
		}
		select {
		case <-r.abort:
			cancel(errAborted)
		case <-sctx.Done():
		}
	})
	return sctx, func() { unwatch(); cancel(nil) }
}
