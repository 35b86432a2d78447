package llm

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// TestGovernorStopsUnreachableModel: connection failures stop a model only
// when unreachableFailures of them come in a row over at least the span;
// any HTTP response ends the streak; once stopped, acquire refuses with
// the *UnreachableError.
func TestGovernorStopsUnreachableModel(t *testing.T) {
	tests := []struct {
		name     string
		span     time.Duration
		events   string // f: connection failure, r: HTTP response
		stopped  bool
		failures int
	}{
		{"four failures", 0, "ffff", false, 0},
		{"five failures", 0, "fffff", true, 5},
		{"a response ends the streak", 0, "ffffrffff", false, 0},
		{"five after a response", 0, "ffrfffff", true, 5},
		{"five failures within the span", time.Hour, "ffffffff", false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGovernor(&ModelSpec{Provider: "anthropic", Model: "m"}, time.Second, zerolog.Nop())
			g.unreachableSpan = tt.span
			var last error
			for _, ev := range tt.events {
				if ev == 'r' {
					g.ObserveResponse(http.StatusOK, http.Header{}, 0)
					continue
				}
				last = g.ObserveConnFailure("http://127.0.0.1:9", "connection refused")
			}
			_, err := g.acquire(t.Context(), 1, 1)
			u, ok := errors.AsType[*UnreachableError](err)
			if ok != tt.stopped || (last != nil) != tt.stopped {
				t.Fatalf("got acquire error %v, last observation %v; want stopped %v", err, last, tt.stopped)
			}
			if !tt.stopped {
				return
			}
			if !errors.Is(err, ErrUnreachable) || u.Failures != tt.failures || u.Target != "http://127.0.0.1:9" || u.Cause != "connection refused" {
				t.Errorf("got %+v; want %d failures at http://127.0.0.1:9, connection refused, matching ErrUnreachable", u, tt.failures)
			}
		})
	}
}
