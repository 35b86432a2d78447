package transport

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sptflow/sptflow/llm"
)

// RateLimit reads the rate-limit headers of a response: Anthropic
// `anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-*`
// (resets as RFC 3339 times), OpenAI `x-ratelimit-{limit,remaining,reset}-
// {requests,tokens}` (resets as durations like "6m0s" or "20ms") and
// OpenRouter `x-ratelimit-{limit,remaining,reset}` (reset in epoch ms).
// Reset is the longest of the resets found, relative to now.
func RateLimit(h http.Header, now time.Time) llm.RateLimitInfo {
	var r llm.RateLimitInfo
	r.RequestsLimit = firstInt(h, "Anthropic-Ratelimit-Requests-Limit", "X-Ratelimit-Limit-Requests", "X-Ratelimit-Limit")
	r.RequestsRemaining = firstInt(h, "Anthropic-Ratelimit-Requests-Remaining", "X-Ratelimit-Remaining-Requests", "X-Ratelimit-Remaining")
	r.TokensLimit = firstInt(h, "Anthropic-Ratelimit-Tokens-Limit", "X-Ratelimit-Limit-Tokens")
	r.TokensRemaining = firstInt(h, "Anthropic-Ratelimit-Tokens-Remaining", "X-Ratelimit-Remaining-Tokens")
	r.InputTokensLimit = firstInt(h, "Anthropic-Ratelimit-Input-Tokens-Limit")
	r.OutputTokensLimit = firstInt(h, "Anthropic-Ratelimit-Output-Tokens-Limit")
	for _, k := range []string{
		"Anthropic-Ratelimit-Requests-Reset", "Anthropic-Ratelimit-Tokens-Reset",
		"Anthropic-Ratelimit-Input-Tokens-Reset", "Anthropic-Ratelimit-Output-Tokens-Reset",
		"X-Ratelimit-Reset-Requests", "X-Ratelimit-Reset-Tokens", "X-Ratelimit-Reset",
	} {
		if d, ok := parseReset(h.Get(k), now); ok && d > r.Reset {
			r.Reset = d
		}
	}
	return r
}

func firstInt(h http.Header, keys ...string) int {
	for _, k := range keys {
		if v := strings.TrimSpace(h.Get(k)); v != "" {
			if n, err := strconv.Atoi(v); err == nil {
				return n
			}
		}
	}
	return 0
}

// parseReset reads a reset value as an RFC 3339 time, a Go-style duration
// ("1m30s", "20ms"), plain seconds, or epoch milliseconds.
func parseReset(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return max(t.Sub(now), 0), true
	}
	if d, err := time.ParseDuration(v); err == nil {
		return d, true
	}
	n, err := strconv.ParseFloat(v, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	if n > 1e12 { // epoch milliseconds
		return max(time.UnixMilli(int64(n)).Sub(now), 0), true
	}
	return time.Duration(n * float64(time.Second)), true
}
