package llm

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ParseRetryAfter reads a Retry-After value given as seconds (fractions
// allowed) or as an HTTP date; it returns 0 when absent or unreadable.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		if s < 0 {
			return 0
		}
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0)
	}
	return 0
}

// RetryAfterHeader reads retry-after-ms (OpenAI, Anthropic), then
// Retry-After; 0 when neither says anything usable.
func RetryAfterHeader(h http.Header, now time.Time) time.Duration {
	if v := strings.TrimSpace(h.Get("Retry-After-Ms")); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms > 0 {
			return time.Duration(ms * float64(time.Millisecond))
		}
	}
	return ParseRetryAfter(h.Get("Retry-After"), now)
}

// ParseRateLimitHeaders reads Anthropic (anthropic-ratelimit-*) and
// OpenAI-style (x-ratelimit-*) rate-limit headers. ok is false when none is
// present.
func ParseRateLimitHeaders(h http.Header, now time.Time) (info RateLimitInfo, ok bool) {
	num := func(name string) int {
		v := h.Get(name)
		if v == "" {
			return 0
		}
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return 0
		}
		ok = true
		return n
	}
	info.RequestsLimit = max(num("anthropic-ratelimit-requests-limit"), num("x-ratelimit-limit-requests"))
	info.RequestsRemaining = max(num("anthropic-ratelimit-requests-remaining"), num("x-ratelimit-remaining-requests"))
	info.TokensLimit = max(num("anthropic-ratelimit-tokens-limit"), num("x-ratelimit-limit-tokens"))
	info.TokensRemaining = max(num("anthropic-ratelimit-tokens-remaining"), num("x-ratelimit-remaining-tokens"))
	info.InputTokensLimit = num("anthropic-ratelimit-input-tokens-limit")
	info.OutputTokensLimit = num("anthropic-ratelimit-output-tokens-limit")
	info.Reset = max(resetIn(h.Get("anthropic-ratelimit-requests-reset"), now),
		resetIn(h.Get("x-ratelimit-reset-requests"), now))
	return info, ok
}

// resetIn reads a reset given as an RFC 3339 time (Anthropic), a Go-style
// duration such as "6m0s" or "20ms" (OpenAI), or seconds.
func resetIn(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return max(t.Sub(now), 0)
	}
	if d, err := time.ParseDuration(v); err == nil {
		return max(d, 0)
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && s > 0 {
		return time.Duration(s * float64(time.Second))
	}
	return 0
}
