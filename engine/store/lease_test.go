package store

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestTryLease(t *testing.T) {
	s := openTest(t)
	l, ok, err := s.TryLease("tag@sycophancy")
	if err != nil || !ok {
		t.Fatalf("first TryLease: ok=%v err=%v", ok, err)
	}
	if _, ok, err := s.TryLease("tag@sycophancy"); ok || err != nil {
		t.Fatalf("second TryLease of a held lease: ok=%v err=%v, want false, nil", ok, err)
	}
	other, ok, err := s.TryLease("tag@reward_hacks")
	if err != nil || !ok {
		t.Fatalf("TryLease of another name: ok=%v err=%v", ok, err)
	}
	other.Release()
	if h := s.LeaseHolder("tag@sycophancy"); !strings.Contains(h, "pid=") {
		t.Errorf("LeaseHolder: got %q", h)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if err := l.Release(); err != nil {
		t.Fatalf("second Release: %v", err)
	}
	l2, ok, err := s.TryLease("tag@sycophancy")
	if err != nil || !ok {
		t.Fatalf("TryLease after Release: ok=%v err=%v", ok, err)
	}
	l2.Release()
}

func TestLeaseWaitsAndHonoursContext(t *testing.T) {
	s := openTest(t)
	l, _, _ := s.TryLease("x")
	ctx, cancel := context.WithCancelCause(context.Background())
	cause := errors.New("user interrupt")
	time.AfterFunc(30*time.Millisecond, func() { cancel(cause) })
	if _, err := s.Lease(ctx, "x"); !errors.Is(err, cause) {
		t.Fatalf("Lease on cancelled ctx: got %v, want %v", err, cause)
	}
	time.AfterFunc(30*time.Millisecond, func() { l.Release() })
	l2, err := s.Lease(context.Background(), "x")
	if err != nil {
		t.Fatal(err)
	}
	l2.Release()
}

func TestLeaseMutualExclusion(t *testing.T) {
	s := openTest(t)
	var inside atomic.Int32
	var overlap atomic.Bool
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 3 {
				l, err := s.Lease(context.Background(), "shared")
				if err != nil {
					t.Error(err)
					return
				}
				if inside.Add(1) > 1 {
					overlap.Store(true)
				}
				time.Sleep(time.Millisecond)
				inside.Add(-1)
				l.Release()
			}
		})
	}
	wg.Wait()
	if overlap.Load() {
		t.Fatal("two holders of one lease at once")
	}
}
