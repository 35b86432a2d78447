package transport

import (
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Backoff is a retryablehttp.Backoff: the server's Retry-After (or
// retry-after-ms) on any status, plus up to 10% jitter; otherwise
// exponential from min with equal jitter (half fixed, half random). Every
// wait is capped at max.
func Backoff(min, max time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil {
		if ra, ok := RetryAfter(resp.Header, time.Now()); ok {
			return capped(ra+jitter(ra/10), max)
		}
	}
	exp := float64(min) * math.Pow(2, float64(attempt))
	if exp > float64(max) || math.IsInf(exp, 0) {
		exp = float64(max)
	}
	base := time.Duration(exp)
	return capped(base/2+jitter(base/2), max)
}

func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return rand.N(d)
}

func capped(d, max time.Duration) time.Duration {
	if d > max {
		return max
	}
	if d < 0 {
		return 0
	}
	return d
}

// RetryAfter reads how long the server asked the client to wait:
// `retry-after-ms` (OpenAI, Anthropic), then `Retry-After` as seconds
// (fractions allowed) or as an HTTP date relative to now. A date in the
// past yields 0 with ok true.
func RetryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	if v := strings.TrimSpace(h.Get("Retry-After-Ms")); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms >= 0 {
			return time.Duration(ms * float64(time.Millisecond)), true
		}
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		if s < 0 {
			return 0, false
		}
		return time.Duration(s * float64(time.Second)), true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	if d := t.Sub(now); d > 0 {
		return d, true
	}
	return 0, true
}
