package llmtest

import (
	"math"
	"net/http"
	"strconv"
	"time"
)

// bucket is a token bucket refilled continuously at perMinute/60 per
// second, holding window's worth. A request larger than the bucket is let
// through when the bucket is full, leaving it in debt.
type bucket struct {
	perMinute float64
	rate      float64 // per second
	capacity  float64
	level     float64
	last      time.Time
}

func newBucket(perMinute float64, window time.Duration) *bucket {
	rate := perMinute / 60
	c := max(1, rate*window.Seconds())
	return &bucket{perMinute: perMinute, rate: rate, capacity: c, level: c, last: time.Now()}
}

func (b *bucket) refill(now time.Time) {
	b.level = min(b.capacity, b.level+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
}

// wait is how long until n can be taken (0 = now).
func (b *bucket) wait(n float64) time.Duration {
	need := min(n, b.capacity)
	if b.level >= need {
		return 0
	}
	return time.Duration((need - b.level) / b.rate * float64(time.Second))
}

func (b *bucket) take(n float64) { b.level -= n }

// state reports the bucket as per-minute rate-limit headers do: the limit,
// what remains (bucket fullness scaled to the limit) and the time until
// full.
func (b *bucket) state() (limit, remaining int, reset time.Duration) {
	frac := max(0, b.level) / b.capacity
	reset = time.Duration((b.capacity - b.level) / b.rate * float64(time.Second))
	return int(b.perMinute), int(math.Floor(frac * b.perMinute)), reset
}

// rateState is what the rate-limit headers of one response say.
type rateState struct {
	reqLimit, reqRemaining int
	reqReset               time.Duration
	tokLimit, tokRemaining int
	tokReset               time.Duration
}

// Limits reported when no budget is enforced.
const (
	nominalRPM = 10000
	nominalTPM = 2000000
)

// admit charges the request to the buckets, or answers 429 and returns
// false when it is over budget. It always sets the rate-limit headers.
func (f *Fake) admit(w http.ResponseWriter, x *exchange) bool {
	tokens := float64(estimateTokens(x.content()) + x.maxTokens())
	f.mu.Lock()
	reqs, toks := f.bucketsLocked(x.str("model"))
	now := time.Now()
	var wait time.Duration
	kind := ""
	if reqs != nil {
		reqs.refill(now)
		if d := reqs.wait(1); d > wait {
			wait, kind = d, "requests"
		}
	}
	if toks != nil {
		toks.refill(now)
		if d := toks.wait(tokens); d > wait {
			wait, kind = d, "tokens"
		}
	}
	if wait == 0 {
		if reqs != nil {
			reqs.take(1)
		}
		if toks != nil {
			toks.take(tokens)
		}
	} else {
		f.limited++
	}
	rs := rateStateOf(reqs, toks, int(tokens))
	f.mu.Unlock()
	f.dialect.rateHeaders(w.Header(), rs)
	if wait == 0 {
		return true
	}
	w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
	if f.dialect.retryAfterMs() {
		w.Header().Set("Retry-After-Ms", strconv.FormatInt(max(1, wait.Milliseconds()), 10))
	}
	f.dialect.writeError(w, &Fault{Status: 429, ErrorType: kind, Message: "Rate limit reached for " + kind +
		" per minute (enforced by the fake server)"}, f.opts.Flavor)
	return false
}

// bucketsLocked returns the request and token buckets that pay for a
// request to model: the server's, or with Options.PerModel the model's own
// (made on its first request).
func (f *Fake) bucketsLocked(model string) (reqs, toks *bucket) {
	if !f.opts.PerModel {
		return f.reqs, f.toks
	}
	b, ok := f.perModel[model]
	if !ok {
		b = f.newBuckets()
		if f.perModel == nil {
			f.perModel = map[string][2]*bucket{}
		}
		f.perModel[model] = b
	}
	return b[0], b[1]
}

// newBuckets makes the request and token buckets of the enforced budgets
// (nil when unlimited).
func (f *Fake) newBuckets() [2]*bucket {
	window := f.opts.BurstWindow
	if window <= 0 {
		window = time.Second
	}
	var b [2]*bucket
	if f.opts.RPM > 0 {
		b[0] = newBucket(float64(f.opts.RPM), window)
	}
	if f.opts.TPM > 0 {
		b[1] = newBucket(float64(f.opts.TPM), window)
	}
	return b
}

func rateStateOf(reqs, toks *bucket, tokens int) rateState {
	rs := rateState{reqLimit: nominalRPM, reqRemaining: nominalRPM - 1, tokLimit: nominalTPM,
		tokRemaining: nominalTPM - tokens, reqReset: 6 * time.Millisecond, tokReset: time.Millisecond}
	if reqs != nil {
		rs.reqLimit, rs.reqRemaining, rs.reqReset = reqs.state()
	}
	if toks != nil {
		rs.tokLimit, rs.tokRemaining, rs.tokReset = toks.state()
	}
	return rs
}
