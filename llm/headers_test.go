package llm_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/sptflow/sptflow/llm"
)

func header(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

func TestParseRateLimitHeaders(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name   string
		h      http.Header
		want   llm.RateLimitInfo
		wantOK bool
	}{
		{"none", header("Content-Type", "application/json"), llm.RateLimitInfo{}, false},
		{"openai", header("x-ratelimit-limit-requests", "600", "x-ratelimit-remaining-requests", "0",
			"x-ratelimit-reset-requests", "6m0s", "x-ratelimit-limit-tokens", "150000",
			"x-ratelimit-remaining-tokens", " 149000 "),
			llm.RateLimitInfo{RequestsLimit: 600, TokensLimit: 150000, TokensRemaining: 149000, Reset: 6 * time.Minute}, true},
		{"anthropic", header("anthropic-ratelimit-requests-limit", "50", "anthropic-ratelimit-requests-remaining", "49",
			"anthropic-ratelimit-requests-reset", now.Add(2*time.Second).Format(time.RFC3339),
			"anthropic-ratelimit-input-tokens-limit", "40000", "anthropic-ratelimit-output-tokens-limit", "8000"),
			llm.RateLimitInfo{RequestsLimit: 50, RequestsRemaining: 49, InputTokensLimit: 40000, OutputTokensLimit: 8000,
				Reset: 2 * time.Second}, true},
		{"unreadable numbers", header("x-ratelimit-limit-requests", "many"), llm.RateLimitInfo{}, false},
		{"reset in seconds", header("x-ratelimit-limit-requests", "10", "x-ratelimit-reset-requests", "1.5"),
			llm.RateLimitInfo{RequestsLimit: 10, Reset: 1500 * time.Millisecond}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := llm.ParseRateLimitHeaders(tt.h, now)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("got: %+v, %v\nwant: %+v, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestRetryAfterHeader(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name string
		h    http.Header
		want time.Duration
	}{
		{"absent", header(), 0},
		{"seconds", header("Retry-After", "3"), 3 * time.Second},
		{"fraction", header("retry-after", "0.25"), 250 * time.Millisecond},
		{"http date", header("Retry-After", now.Add(7*time.Second).Format(http.TimeFormat)), 7 * time.Second},
		{"past date", header("Retry-After", now.Add(-time.Minute).Format(http.TimeFormat)), 0},
		{"ms wins", header("retry-after-ms", "120", "Retry-After", "3"), 120 * time.Millisecond},
		{"bad ms falls back", header("retry-after-ms", "x", "Retry-After", "2"), 2 * time.Second},
		{"negative", header("Retry-After", "-1"), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := llm.RetryAfterHeader(tt.h, now); got != tt.want {
				t.Errorf("got: %v, want: %v", got, tt.want)
			}
		})
	}
}
