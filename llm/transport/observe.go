package transport

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sptflow/sptflow/llm"
)

// Attempts counts the HTTP attempts made for one logical call. Obtain one
// with WithAttempts; the stack increments it once per attempt.
type Attempts struct{ n atomic.Int32 }

// Count is the number of attempts made so far.
func (a *Attempts) Count() int { return int(a.n.Load()) }

type attemptsKey struct{}

// WithAttempts returns a context whose HTTP attempts are counted in the
// returned *Attempts.
func WithAttempts(ctx context.Context) (context.Context, *Attempts) {
	a := &Attempts{}
	return context.WithValue(ctx, attemptsKey{}, a), a
}

// ErrHeaderTimeout is the cause of an attempt that got no response headers
// within Config.Timeout.
var ErrHeaderTimeout = timeoutError("no response headers within the timeout")

// ErrStalled is the cause of a body read that made no progress within
// Config.IdleTimeout.
var ErrStalled = timeoutError("response body stalled")

type timeoutError string

func (e timeoutError) Error() string   { return string(e) }
func (e timeoutError) Timeout() bool   { return true }
func (e timeoutError) Temporary() bool { return true }

// observer is the innermost layer above the network: it counts attempts,
// enforces the header and idle timeouts, and reports every response.
type observer struct {
	base          http.RoundTripper
	obs           llm.Observer
	headerTimeout time.Duration
	idleTimeout   time.Duration
}

func (o *observer) RoundTrip(req *http.Request) (*http.Response, error) {
	if a, ok := req.Context().Value(attemptsKey{}).(*Attempts); ok {
		a.n.Add(1)
	}
	llm.NoteSend(req.Context())
	ctx, cancel := context.WithCancelCause(req.Context())
	var headerTimer *time.Timer
	if o.headerTimeout > 0 {
		headerTimer = time.AfterFunc(o.headerTimeout, func() { cancel(ErrHeaderTimeout) })
	}
	start := time.Now()
	resp, err := o.base.RoundTrip(req.WithContext(ctx))
	if headerTimer != nil {
		headerTimer.Stop()
	}
	if err != nil {
		cause := context.Cause(ctx)
		cancel(nil)
		if errors.Is(cause, ErrHeaderTimeout) && req.Context().Err() == nil {
			return nil, ErrHeaderTimeout
		}
		return nil, observeConnFailure(o.obs, req, err)
	}
	if o.obs != nil {
		o.obs.ObserveResponse(resp.StatusCode, resp.Header, time.Since(start))
	}
	resp.Body = newWatchedBody(resp.Body, ctx, cancel, o.idleTimeout)
	return resp, nil
}

// watchedBody releases the attempt's context on Close and, with an idle
// timeout, aborts a read that makes no progress.
type watchedBody struct {
	rc     io.ReadCloser
	ctx    context.Context
	cancel context.CancelCauseFunc
	idle   time.Duration
	timer  *time.Timer
	once   sync.Once
}

func newWatchedBody(rc io.ReadCloser, ctx context.Context, cancel context.CancelCauseFunc, idle time.Duration) *watchedBody {
	b := &watchedBody{rc: rc, ctx: ctx, cancel: cancel, idle: idle}
	if idle > 0 {
		b.timer = time.AfterFunc(idle, func() { cancel(ErrStalled) })
	}
	return b
}

func (b *watchedBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if b.timer != nil && n > 0 {
		b.timer.Reset(b.idle)
	}
	if err != nil && err != io.EOF && errors.Is(context.Cause(b.ctx), ErrStalled) {
		return n, ErrStalled
	}
	return n, err
}

func (b *watchedBody) Close() error {
	b.once.Do(func() {
		if b.timer != nil {
			b.timer.Stop()
		}
	})
	err := b.rc.Close()
	b.cancel(nil)
	return err
}
