package llm

import (
	"context"
	"errors"
	"sync"
)

// flights collapses identical requests in flight at the same time: the
// first caller of a key (the leader) makes the request in its own
// goroutine, later callers wait for its result or their own cancellation.
// Unlike singleflight.DoChan it starts no goroutine per request.
type flights struct {
	mu    sync.Mutex
	calls map[RequestKey]*flight
}

// flight is one request in flight; res, err and cancelled are set before
// done closes.
type flight struct {
	done chan struct{}
	res  *Result
	err  error
	// cancelled is true when the leader failed because its own context
	// ended: waiting callers that were not cancelled try again.
	cancelled bool
}

// errLeaderPanicked is what waiting callers get when the leader panicked.
var errLeaderPanicked = errors.New("identical request in flight panicked")

// join returns the flight of key and whether the caller leads it (and
// must end it with land).
func (fs *flights) join(key RequestKey) (*flight, bool) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if f, ok := fs.calls[key]; ok {
		return f, false
	}
	if fs.calls == nil {
		fs.calls = map[RequestKey]*flight{}
	}
	f := &flight{done: make(chan struct{})}
	fs.calls[key] = f
	return f, true
}

// land publishes the leader's result to the waiting callers; later callers
// of key start a new flight.
func (fs *flights) land(key RequestKey, f *flight, res *Result, err error, cancelled bool) {
	fs.mu.Lock()
	delete(fs.calls, key)
	fs.mu.Unlock()
	f.res, f.err, f.cancelled = res, err, cancelled
	close(f.done)
}

// lead runs fetch as the leader of f, whose context is ctx, and lands it,
// also when fetch panics.
func (fs *flights) lead(ctx context.Context, key RequestKey, f *flight, fetch func() (*Result, error)) (res *Result, err error) {
	landed := false
	defer func() {
		if !landed {
			fs.land(key, f, nil, errLeaderPanicked, false)
		}
	}()
	res, err = fetch()
	landed = true
	fs.land(key, f, res, err, err != nil && (ctx.Err() != nil || isCtxErr(err)))
	return res, err
}
