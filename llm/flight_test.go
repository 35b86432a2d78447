package llm_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sptflow/sptflow/llm"
)

// TestCancelledLeaderHandsOver: when the caller that sends a request is
// cancelled, an identical caller that is not cancelled sends it again and
// succeeds.
func TestCancelledLeaderHandsOver(t *testing.T) {
	started := make(chan struct{}, 2)
	p := &fakeProvider{script: nil}
	p.script = func(n int64, req *llm.Request) (*llm.Response, error) {
		started <- struct{}{}
		if n == 1 {
			time.Sleep(100 * time.Millisecond) // the leader's ctx is cancelled meanwhile
			return nil, context.Canceled
		}
		return okResponse(req), nil
	}
	rt := newRuntime(t, newMemRecords(), p, nil)
	c := newClient(t, rt, testSpec(t, nil))
	leaderCtx, cancel := context.WithCancel(t.Context())
	leaderErr := make(chan error, 1)
	go func() {
		_, err := c.Do(leaderCtx, llm.Call{Request: userReq("same")})
		leaderErr <- err
	}()
	<-started
	followerRes := make(chan error, 1)
	go func() {
		res, err := c.Do(t.Context(), llm.Call{Request: userReq("same")})
		if err == nil && res.Response.Text != "answer to same" {
			err = errors.New("wrong answer " + res.Response.Text)
		}
		followerRes <- err
	}()
	time.Sleep(20 * time.Millisecond)
	cancel()
	if err := <-leaderErr; !errors.Is(err, context.Canceled) {
		t.Errorf("leader: got %v, want context.Canceled", err)
	}
	if err := <-followerRes; err != nil {
		t.Errorf("follower: got %v, want success", err)
	}
	if got := p.calls.Load(); got != 2 {
		t.Errorf("provider calls: got %d, want 2", got)
	}
}

// TestCancelledFollowerReturnsAtOnce: a waiting caller whose context ends
// returns its cause without waiting for the request it shares.
func TestCancelledFollowerReturnsAtOnce(t *testing.T) {
	release := make(chan struct{})
	p := &fakeProvider{script: func(_ int64, req *llm.Request) (*llm.Response, error) {
		<-release
		return okResponse(req), nil
	}}
	rt := newRuntime(t, newMemRecords(), p, nil)
	c := newClient(t, rt, testSpec(t, nil))
	leaderErr := make(chan error, 1)
	go func() {
		_, err := c.Do(t.Context(), llm.Call{Request: userReq("same")})
		leaderErr <- err
	}()
	for p.calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	cause := errors.New("stop waiting")
	ctx, cancel := context.WithCancelCause(t.Context())
	go func() { time.Sleep(20 * time.Millisecond); cancel(cause) }()
	if _, err := c.Do(ctx, llm.Call{Request: userReq("same")}); !errors.Is(err, cause) {
		t.Errorf("follower: got %v, want %v", err, cause)
	}
	close(release)
	if err := <-leaderErr; err != nil {
		t.Errorf("leader: %v", err)
	}
}

// TestLeaderCancelledWithCauseHandsOver: a leader cancelled with a cause of
// its own (errgroup cancels with the group's error) is a cancelled leader
// too: an identical caller that is not cancelled sends the request itself
// instead of returning the leader's cause.
func TestLeaderCancelledWithCauseHandsOver(t *testing.T) {
	release := make(chan struct{})
	p := &fakeProvider{script: func(_ int64, req *llm.Request) (*llm.Response, error) {
		if req.Messages[0].Content == "other" {
			<-release
		}
		return okResponse(req), nil
	}}
	rt := newRuntime(t, newMemRecords(), p, nil)
	c := newClient(t, rt, testSpec(t, map[string]any{"concurrency": 1}))
	otherErr := make(chan error, 1)
	go func() { // holds the only slot until released
		_, err := c.Do(t.Context(), llm.Call{Request: userReq("other")})
		otherErr <- err
	}()
	for p.calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	cause := errors.New("partition failed")
	leaderCtx, cancel := context.WithCancelCause(t.Context())
	leaderErr := make(chan error, 1)
	go func() { // leads "same", waiting for the slot
		_, err := c.Do(leaderCtx, llm.Call{Request: userReq("same")})
		leaderErr <- err
	}()
	time.Sleep(20 * time.Millisecond)
	followerErr := make(chan error, 1)
	go func() { // joins the leader's flight
		_, err := c.Do(t.Context(), llm.Call{Request: userReq("same")})
		followerErr <- err
	}()
	time.Sleep(20 * time.Millisecond)
	cancel(cause)
	if err := <-leaderErr; !errors.Is(err, cause) {
		t.Errorf("leader: got %v, want %v", err, cause)
	}
	close(release)
	if err := <-otherErr; err != nil {
		t.Errorf("other: %v", err)
	}
	if err := <-followerErr; err != nil {
		t.Errorf("follower: got %v, want success", err)
	}
	if got := p.calls.Load(); got != 2 {
		t.Errorf("provider calls: got %d, want 2 (other, and same once)", got)
	}
}
