package llm

import (
	"context"
	"math"
	"sync"
	"time"
)

// bucket is a tokens-per-minute budget that allows settling after the fact:
// a request reserves its estimated tokens before it is sent and the
// difference to the real usage is charged (or refunded) when it returns.
// Reservations may take the bucket into debt; the reserving caller waits
// until the debt is paid off, so waiters are served in order.
type bucket struct {
	mu       sync.Mutex
	capacity float64 // tokens per minute; also the burst
	perSec   float64
	tokens   float64
	last     time.Time
}

func newBucket(perMinute int) *bucket {
	b := &bucket{last: time.Now()}
	b.setLimit(perMinute)
	b.tokens = b.capacity
	return b
}

// setLimit changes the budget, keeping the current fill level.
func (b *bucket) setLimit(perMinute int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refill(time.Now())
	b.capacity = float64(perMinute)
	b.perSec = b.capacity / 60
	b.tokens = math.Min(b.tokens, b.capacity)
}

func (b *bucket) limit() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return int(b.capacity)
}

func (b *bucket) refill(now time.Time) {
	if dt := now.Sub(b.last).Seconds(); dt > 0 {
		b.tokens = math.Min(b.capacity, b.tokens+dt*b.perSec)
	}
	b.last = now
}

// take reserves n tokens (at most the capacity, so an oversized request can
// still run) and waits until the bucket is out of debt. On cancellation the
// reservation is returned.
func (b *bucket) take(ctx context.Context, n int) (int, error) {
	b.mu.Lock()
	b.refill(time.Now())
	want := math.Min(float64(n), b.capacity)
	b.tokens -= want
	wait := time.Duration(-b.tokens / b.perSec * float64(time.Second))
	b.mu.Unlock()
	if err := Sleep(ctx, wait); err != nil {
		b.settle(-int(want))
		return 0, err
	}
	return int(want), nil
}

// settle charges delta more tokens (a refund when negative).
func (b *bucket) settle(delta int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refill(time.Now())
	b.tokens = math.Min(b.capacity, b.tokens-float64(delta))
}

// Sleep waits for d or until ctx is done, returning its cause. Every wait
// of the llm layer (pacing, pauses, backoff, simulated latency) goes through it.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
