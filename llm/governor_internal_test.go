package llm

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/time/rate"
)

func TestPaceGroupIsHalfASecondsBudget(t *testing.T) {
	for n, want := range map[int]int{0: 1, 60: 1, 120: 1, 600: 4, 1200: 9, 6000: 49} {
		if got := paceGroup(n); got != want {
			t.Errorf("paceGroup(%d): got %d, want %d", n, got, want)
		}
	}
}

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

// TestRefineFromHeaders: announced limits become budgets; Anthropic's
// tokens-limit (the most restrictive of its input and output limits) is not
// applied to input plus output when those limits are announced.
func TestRefineFromHeaders(t *testing.T) {
	tests := []struct {
		name             string
		header           map[string]string
		wantTPM, wantIn  int
		wantOut, specTPM int
	}{
		{"anthropic input and output", map[string]string{
			"anthropic-ratelimit-tokens-limit":        "8000",
			"anthropic-ratelimit-input-tokens-limit":  "40000",
			"anthropic-ratelimit-output-tokens-limit": "8000",
		}, 0, 40000, 8000, 0},
		{"anthropic input and output, spec tpm kept", map[string]string{
			"anthropic-ratelimit-tokens-limit":        "8000",
			"anthropic-ratelimit-input-tokens-limit":  "40000",
			"anthropic-ratelimit-output-tokens-limit": "8000",
		}, 100000, 40000, 8000, 100000},
		{"anthropic tokens only", map[string]string{"anthropic-ratelimit-tokens-limit": "80000"}, 80000, 0, 0, 0},
		{"openai tokens", map[string]string{"x-ratelimit-limit-tokens": "150000"}, 150000, 0, 0, 0},
		{"openai tokens below spec", map[string]string{"x-ratelimit-limit-tokens": "150000"}, 150000, 0, 0, 200000},
	}
	limit := func(b *bucket) int {
		if b == nil {
			return 0
		}
		return b.limit()
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec, err := ParseModelSpec("m", map[string]any{"provider": "anthropic", "model": "x", "tpm": tt.specTPM})
			if err != nil {
				t.Fatal(err)
			}
			g := newGovernor(spec, time.Second, zerolog.Nop())
			h := http.Header{}
			for k, v := range tt.header {
				h.Set(k, v)
			}
			g.ObserveResponse(http.StatusOK, h, 0)
			if got := limit(g.tpm); got != tt.wantTPM {
				t.Errorf("tokens per minute: got %d, want %d", got, tt.wantTPM)
			}
			if got := limit(g.in); got != tt.wantIn {
				t.Errorf("input tokens per minute: got %d, want %d", got, tt.wantIn)
			}
			if got := limit(g.out); got != tt.wantOut {
				t.Errorf("output tokens per minute: got %d, want %d", got, tt.wantOut)
			}
		})
	}
}

// TestAbandonedAcquireReturnsReservations: a caller cancelled while it
// waits for one budget gives back what it reserved in the others (the
// request was never sent) and its concurrency slot.
func TestAbandonedAcquireReturnsReservations(t *testing.T) {
	spec, err := ParseModelSpec("m", map[string]any{"provider": "anthropic", "model": "x",
		"tpm": 60000, "input_tpm": 600, "concurrency": 2})
	if err != nil {
		t.Fatal(err)
	}
	g := newGovernor(spec, time.Second, zerolog.Nop())
	// The first request empties the 600/min input bucket.
	first, err := g.acquire(t.Context(), 600, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer first.release(Usage{}, false)
	// The second reserves 1,600 of the total budget, then waits a minute
	// for input tokens, and is cancelled.
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if _, err := g.acquire(ctx, 600, 1000); err == nil {
		t.Fatal("second acquire: got no error, want the context's")
	}
	if got := g.tpm.tokens; got < 59300 {
		t.Errorf("total budget left: got %.0f tokens, want ~59400 (the abandoned reservation returned)", got)
	}
	if got := len(g.sem); got != 1 {
		t.Errorf("concurrency slots held: got %d, want 1 (the first request's)", got)
	}
}

// TestPauseIsCapped: a 429's Retry-After pauses the model, at most for
// maxPause however far off the provider's date is; without one the default
// pause applies, uncapped.
func TestPauseIsCapped(t *testing.T) {
	spec, err := ParseModelSpec("m", map[string]any{"provider": "openai", "model": "x"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name         string
		retryAfter   string
		defaultPause time.Duration
		want         time.Duration
	}{
		{"seconds", "7", time.Second, 7 * time.Second},
		{"a day", "86400", time.Second, maxPause},
		{"a date next year", time.Now().AddDate(1, 0, 0).UTC().Format(http.TimeFormat), time.Second, maxPause},
		{"absent", "", 2 * time.Minute, 2 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGovernor(spec, tt.defaultPause, zerolog.Nop())
			h := http.Header{}
			if tt.retryAfter != "" {
				h.Set("Retry-After", tt.retryAfter)
			}
			g.ObserveResponse(http.StatusTooManyRequests, h, 0)
			got := time.Until(g.pausedUntil)
			if got > tt.want || got < tt.want-time.Second {
				t.Errorf("pause: got %v, want %v", got.Round(time.Second), tt.want)
			}
		})
	}
}
