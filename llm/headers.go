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
	if v := strings.TrimSpace(headerValue(h, hRetryAfterMs)); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms > 0 {
			return time.Duration(ms * float64(time.Millisecond))
		}
	}
	return ParseRetryAfter(headerValue(h, hRetryAfter), now)
}

// Canonical names of the rate-limit headers, looked up directly in the
// header map (http.Header.Get canonicalises, allocating, on every call; the
// governor reads these on every response).
var (
	hAnthReqLimit  = http.CanonicalHeaderKey("anthropic-ratelimit-requests-limit")
	hAnthReqRemain = http.CanonicalHeaderKey("anthropic-ratelimit-requests-remaining")
	hAnthReqReset  = http.CanonicalHeaderKey("anthropic-ratelimit-requests-reset")
	hAnthTokLimit  = http.CanonicalHeaderKey("anthropic-ratelimit-tokens-limit")
	hAnthTokRemain = http.CanonicalHeaderKey("anthropic-ratelimit-tokens-remaining")
	hAnthInLimit   = http.CanonicalHeaderKey("anthropic-ratelimit-input-tokens-limit")
	hAnthOutLimit  = http.CanonicalHeaderKey("anthropic-ratelimit-output-tokens-limit")
	hOAIReqLimit   = http.CanonicalHeaderKey("x-ratelimit-limit-requests")
	hOAIReqRemain  = http.CanonicalHeaderKey("x-ratelimit-remaining-requests")
	hOAIReqReset   = http.CanonicalHeaderKey("x-ratelimit-reset-requests")
	hOAITokLimit   = http.CanonicalHeaderKey("x-ratelimit-limit-tokens")
	hOAITokRemain  = http.CanonicalHeaderKey("x-ratelimit-remaining-tokens")
	hRetryAfterMs  = http.CanonicalHeaderKey("retry-after-ms")
	hRetryAfter    = http.CanonicalHeaderKey("retry-after")
)

// headerValue is h.Get for a name already in canonical form.
func headerValue(h http.Header, canonical string) string {
	if v := h[canonical]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// ParseRateLimitHeaders reads Anthropic (anthropic-ratelimit-*) and
// OpenAI-style (x-ratelimit-*) rate-limit headers. ok is false when none is
// present.
func ParseRateLimitHeaders(h http.Header, now time.Time) (info RateLimitInfo, ok bool) {
	num := func(name string) int {
		v := headerValue(h, name)
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
	info.RequestsLimit = max(num(hAnthReqLimit), num(hOAIReqLimit))
	info.RequestsRemaining = max(num(hAnthReqRemain), num(hOAIReqRemain))
	info.TokensLimit = max(num(hAnthTokLimit), num(hOAITokLimit))
	info.TokensRemaining = max(num(hAnthTokRemain), num(hOAITokRemain))
	info.InputTokensLimit = num(hAnthInLimit)
	info.OutputTokensLimit = num(hAnthOutLimit)
	info.Reset = max(resetIn(headerValue(h, hAnthReqReset), now), resetIn(headerValue(h, hOAIReqReset), now))
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
