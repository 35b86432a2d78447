package llm_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sptflow/sptflow/llm"
)

// heldProvider holds every call until release is closed (or the call's
// context ends), after signalling on arrived.
type heldProvider struct {
	arrived chan struct{}
	release chan struct{}
	calls   atomic.Int64
}

func (h *heldProvider) Name() string { return "held" }

func (h *heldProvider) Call(ctx context.Context, req *llm.Request) (*llm.Response, error) {
	h.calls.Add(1)
	h.arrived <- struct{}{}
	select {
	case <-h.release:
		return okResponse(req), nil
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
}

// TestStopLetsSentRequestsFinish sends three requests, stops the run while
// the provider holds them and cancels their callers' context with the
// stop's cause (as a step's errgroup does on its first stopped row): the
// held requests still finish and are stored, and a request made after the
// stop is refused with ErrStopping without reaching the provider or being
// recorded.
func TestStopLetsSentRequestsFinish(t *testing.T) {
	const n = 3
	rs := newMemRecords()
	p := &heldProvider{arrived: make(chan struct{}, n+1), release: make(chan struct{})}
	rt := newRuntime(t, rs, p, nil)
	stop, abort := make(chan struct{}), make(chan struct{})
	rt.SetInterrupt(stop, abort)
	c := newClient(t, rt, testSpec(t, nil))
	ctx, cancel := context.WithCancelCause(t.Context())
	defer cancel(nil)
	var wg sync.WaitGroup
	results := make([]error, n)
	for i := range n {
		wg.Go(func() {
			_, results[i] = c.Do(ctx, llm.Call{Request: userReq(fmt.Sprint("q", i))})
		})
	}
	for range n {
		<-p.arrived
	}
	close(stop)
	puts := rs.Puts()
	_, err := c.Do(t.Context(), llm.Call{Request: userReq("after the stop")})
	if !errors.Is(err, llm.ErrStopping) || !errors.Is(err, context.Canceled) {
		t.Errorf("a request after the stop: got %v; want ErrStopping (matching context.Canceled)", err)
	}
	if got := rs.Puts(); got != puts {
		t.Errorf("the refused request wrote %d records; want none", got-puts)
	}
	cancel(fmt.Errorf("row 7: %w", llm.ErrStopping))
	close(p.release)
	wg.Wait()
	for i, err := range results {
		if err != nil {
			t.Errorf("request %d held at the stop: got %v; want it answered", i, err)
		}
		if !c.Cached(userReq(fmt.Sprint("q", i))) {
			t.Errorf("request %d held at the stop is not stored", i)
		}
	}
	if got := p.calls.Load(); got != n {
		t.Errorf("provider calls: got %d; want %d", got, n)
	}
}

// TestAbortCutsOffSentRequests: after the stop, closing abort cuts off a
// request still out, and it is not recorded as failed.
func TestAbortCutsOffSentRequests(t *testing.T) {
	rs := newMemRecords()
	p := &heldProvider{arrived: make(chan struct{}, 1), release: make(chan struct{})}
	rt := newRuntime(t, rs, p, nil)
	stop, abort := make(chan struct{}), make(chan struct{})
	rt.SetInterrupt(stop, abort)
	c := newClient(t, rt, testSpec(t, nil))
	ctx, cancel := context.WithCancelCause(t.Context())
	done := make(chan error, 1)
	go func() {
		_, err := c.Do(ctx, llm.Call{Request: userReq("q")})
		done <- err
	}()
	<-p.arrived
	close(stop)
	cancel(llm.ErrStopping)
	select {
	case err := <-done:
		t.Fatalf("the request ended at the stop (%v); want it to go on until the abort", err)
	case <-time.After(50 * time.Millisecond): // a negative check: nothing may happen
	}
	close(abort)
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("after the abort: got %v; want a cancellation", err)
	}
	if got := rs.Puts(); got != 0 {
		t.Errorf("records written: got %d; want none (a cut-off request is no failure)", got)
	}
}
