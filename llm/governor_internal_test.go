package llm

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/time/rate"
)

func TestPerMinutePacesBelowTheLimit(t *testing.T) {
	tests := []struct {
		n    int
		want rate.Limit
	}{
		{600, 9.8},
		{60, 0.98},
		{6000, 98},
	}
	for _, tt := range tests {
		if got := perMinute(tt.n); got < tt.want-1e-9 || got > tt.want+1e-9 {
			t.Errorf("perMinute(%d): got %v/s, want %v/s", tt.n, got, tt.want)
		}
	}
}

// TestOneLimiterReservationAtATime: queued workers do not each reserve a
// future slot (after a stall they would all fire at once); only the one
// whose turn it is waits on the limiter.
func TestOneLimiterReservationAtATime(t *testing.T) {
	spec, err := ParseModelSpec("m", map[string]any{"provider": "openai", "model": "x", "rpm": 60})
	if err != nil {
		t.Fatal(err)
	}
	g := newGovernor(spec, time.Second, zerolog.Nop())
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			if tk, err := g.acquire(ctx, 10, 10); err == nil {
				tk.release(Usage{}, false)
			}
		})
	}
	time.Sleep(100 * time.Millisecond)
	// One request went at once (the burst token); one waits on the limiter
	// holding one reservation; four wait for their turn without one.
	if got := g.rpm.Tokens(); got < -1.1 {
		t.Errorf("limiter tokens: got %.2f, want >= -1 (one reservation)", got)
	}
	cancel()
	wg.Wait()
}
