package llm

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/time/rate"
)

// defaultConcurrency bounds requests in flight per model when the model
// entry sets no concurrency.
const defaultConcurrency = 64

// maxPause caps a pause the provider asks for (Retry-After, a rate-limit
// window's reset): a far-off HTTP date from a skewed clock must not stop a
// model for hours. A model still limited when the pause ends gets another
// 429 and pauses again.
const maxPause = 60 * time.Second

// Governor paces the requests of one (provider, model) for every node of a
// run: a requests-per-minute limiter, tokens-per-minute buckets (total, and
// input and output separately), a concurrency limit, a shared pause after a
// 429, and a stop after quota exhaustion. Budgets come from the model entry
// and are lowered to what the provider's rate-limit headers announce. It
// implements Observer, so providers feed it every HTTP response.
type Governor struct {
	name         string
	log          zerolog.Logger
	defaultPause time.Duration

	sem  chan struct{}
	turn chan struct{} // held by the one caller waiting on rpm
	rpm  *rate.Limiter // nil = unlimited; its burst is the pace group
	// credit is what is left of the last group the limiter granted:
	// requests admitted without waiting (read and written holding turn).
	credit int
	spec   struct{ rpm, tpm, in, out int }
	share  float64 // of the limits providers announce; 0 = whole (share.go)

	mu           sync.Mutex
	tpm, in, out *bucket // nil = unlimited
	pausedUntil  time.Time
	quotaErr     error
	// A streak of connection failures, and the stop it led to (unreachable.go).
	connFails       int
	connFirst       time.Time
	unreachableSpan time.Duration
	unreachable     *UnreachableError
	outSum          int64
	outN            int64

	rateLimited atomic.Int64
}

var _ Observer = (*Governor)(nil)

// newGovernor builds the governor for spec; defaultPause is the pause after
// a 429 that carries no Retry-After.
func newGovernor(spec *ModelSpec, defaultPause time.Duration, log zerolog.Logger) *Governor {
	g := &Governor{name: spec.Provider + "/" + spec.Model, log: log, defaultPause: defaultPause,
		unreachableSpan: defaultUnreachableSpan}
	g.spec.rpm, g.spec.tpm, g.spec.in, g.spec.out = spec.RPM, spec.TPM, spec.InputTPM, spec.OutputTPM
	n := spec.Concurrency
	if n <= 0 {
		n = defaultConcurrency
	}
	g.sem = make(chan struct{}, n)
	g.turn = make(chan struct{}, 1)
	if spec.RPM > 0 {
		g.rpm = newRequestLimiter(spec.RPM)
	}
	g.tpm, g.in, g.out = optBucket(spec.TPM), optBucket(spec.InputTPM), optBucket(spec.OutputTPM)
	return g
}

// paceFraction is the share of a requests-per-minute limit the governor
// paces at. Pacing at exactly the limit leaves the provider's token bucket
// a driftless random walk that scheduling and network jitter drive to
// empty now and then (bench/llm measured ~1% 429s at 600/min); 2% headroom
// lets the bucket refill, so jitter is absorbed by its burst.
const paceFraction = 0.98

// perMinute is the limiter rate for a limit of n requests per minute.
func perMinute(n int) rate.Limit { return rate.Limit(float64(n) * paceFraction / 60) }

// paceGroup is how many requests the governor admits together under a
// limit of n requests per minute: half a second's worth, at least one.
// Providers enforce a per-minute limit over shorter windows too (OpenAI:
// "60,000 requests/minute may be enforced as 1,000 requests/second";
// Anthropic: a continuously refilled bucket, "60 RPM may be enforced as 1
// request per second"), so half a second's budget at once stays within
// either. Admitting a group on one timer instead of one request per timer
// halves the client's CPU per request (bench/llm: 0.96 -> 0.54 ms at 600
// requests/min): every timer wake-up of an otherwise idle process costs
// more than the request it admits.
func paceGroup(n int) int { return max(1, int(perMinute(n)/2)) }

// newRequestLimiter paces n requests per minute in groups of paceGroup(n).
func newRequestLimiter(n int) *rate.Limiter { return rate.NewLimiter(perMinute(n), paceGroup(n)) }

func optBucket(perMinute int) *bucket {
	if perMinute <= 0 {
		return nil
	}
	return newBucket(perMinute)
}

// ticket is a granted request slot; release it exactly once.
type ticket struct {
	g             *Governor
	inRes, outRes int
	totRes        int
	released      bool
}

// acquire waits until one more request may be sent with the estimated
// token counts: a concurrency slot, no pause in force, the request and
// token budgets. Every wait honours ctx. After quota exhaustion it fails
// with an error wrapping ErrQuotaExhausted.
func (g *Governor) acquire(ctx context.Context, estIn, estOut int) (*ticket, error) {
	if err := g.stopped(); err != nil {
		return nil, err
	}
	select {
	case g.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
	t := &ticket{g: g}
	if err := g.admit(ctx, t, estIn, estOut); err != nil {
		t.abandon()
		return nil, err
	}
	return t, nil
}

func (g *Governor) admit(ctx context.Context, t *ticket, estIn, estOut int) error {
	if err := g.waitPause(ctx); err != nil {
		return err
	}
	if err := g.waitTurn(ctx); err != nil {
		return err
	}
	var err error
	tpm, in, out := g.buckets()
	if tpm != nil {
		if t.totRes, err = tpm.take(ctx, estIn+estOut); err != nil {
			return err
		}
	}
	if in != nil {
		if t.inRes, err = in.take(ctx, estIn); err != nil {
			return err
		}
	}
	if out != nil {
		if t.outRes, err = out.take(ctx, estOut); err != nil {
			return err
		}
	}
	if err := g.waitPause(ctx); err != nil {
		return err
	}
	return g.stopped()
}

// waitTurn waits for the request limiter. One caller at a time waits on
// it: a reservation is taken only when it is this caller's turn, never
// ahead for every queued worker. Otherwise each of N waiting workers holds
// a future slot, and when the process stalls (or the machine pauses) past
// them, all N fire at once and burst into the provider's limit. The caller
// whose turn it is waits for a whole group (the limiter's burst, see
// paceGroup); the next callers take the rest of it without waiting, so at
// most two groups (about a second's budget) ever go out at once.
func (g *Governor) waitTurn(ctx context.Context) error {
	lim := g.limiter()
	if lim == nil {
		return nil
	}
	select {
	case g.turn <- struct{}{}:
	case <-ctx.Done():
		return context.Cause(ctx)
	}
	defer func() { <-g.turn }()
	if g.credit > 0 {
		g.credit--
		return nil
	}
	n := lim.Burst()
	if err := lim.WaitN(ctx, n); err != nil {
		return fmt.Errorf("wait for %s request budget: %w", g.name, err)
	}
	g.credit = n - 1
	return nil
}

func (g *Governor) limiter() *rate.Limiter {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.rpm
}

func (g *Governor) buckets() (tpm, in, out *bucket) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.tpm, g.in, g.out
}

// release settles the token reservations with the real usage (a request
// that failed without usage keeps its reservation: it may have been
// counted by the provider) and frees the concurrency slot.
func (t *ticket) release(u Usage, settle bool) {
	if t.released {
		return
	}
	t.released = true
	g := t.g
	tpm, in, out := g.buckets()
	if settle {
		realIn := int(u.InputTokens + u.CacheReadTokens + u.CacheWriteTokens)
		realOut := int(u.OutputTokens)
		if tpm != nil {
			tpm.settle(realIn + realOut - t.totRes)
		}
		if in != nil {
			in.settle(realIn - t.inRes)
		}
		if out != nil {
			out.settle(realOut - t.outRes)
		}
		g.recordOutput(realOut)
	}
	<-g.sem
}

// abandon returns the token reservations of a request that was never sent
// and frees its concurrency slot.
func (t *ticket) abandon() {
	if t.released {
		return
	}
	t.released = true
	tpm, in, out := t.g.buckets()
	for _, r := range []struct {
		b *bucket
		n int
	}{{tpm, t.totRes}, {in, t.inRes}, {out, t.outRes}} {
		if r.b != nil && r.n > 0 {
			r.b.settle(-r.n)
		}
	}
	<-t.g.sem
}

func (g *Governor) recordOutput(n int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.outSum += int64(n)
	g.outN++
}

// estimateOutput guesses the output tokens of a request: the running mean
// of this model's responses (with 20% headroom), or 1024 before the first,
// never more than maxTokens.
func (g *Governor) estimateOutput(maxTokens int) int {
	g.mu.Lock()
	est := 1024
	if g.outN > 0 {
		est = int(g.outSum/g.outN) * 6 / 5
	}
	g.mu.Unlock()
	if maxTokens > 0 && est > maxTokens {
		est = maxTokens
	}
	return est
}

// waitPause sleeps while a pause (after a 429) is in force.
func (g *Governor) waitPause(ctx context.Context) error {
	for {
		g.mu.Lock()
		d := time.Until(g.pausedUntil)
		g.mu.Unlock()
		if d <= 0 {
			return nil
		}
		if err := Sleep(ctx, d); err != nil {
			return err
		}
	}
}

// pause stops every worker of this model for d, at most maxPause (the
// default pause when d is 0), extending, never shortening, a pause already
// in force.
func (g *Governor) pause(d time.Duration, why string) {
	if d <= 0 {
		d = g.defaultPause
	} else {
		d = min(d, maxPause)
	}
	until := time.Now().Add(d)
	g.mu.Lock()
	extended := until.After(g.pausedUntil)
	if extended {
		g.pausedUntil = until
	}
	g.mu.Unlock()
	if extended {
		g.log.Warn().Str("model", g.name).Dur("pause", d).Str("reason", why).Msg("pausing model")
	}
}

// stopQuota makes every later acquire fail; requests in flight finish.
func (g *Governor) stopQuota(cause error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.quotaErr == nil {
		g.quotaErr = fmt.Errorf("%s: %w: %w", g.name, ErrQuotaExhausted, cause)
		g.log.Error().Str("model", g.name).Err(cause).Msg("quota exhausted: no new requests")
	}
}

func (g *Governor) stopped() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.unreachable != nil {
		return g.unreachable
	}
	return g.quotaErr
}

// RateLimited returns the number of 429 responses seen.
func (g *Governor) RateLimited() int64 { return g.rateLimited.Load() }

// ObserveResponse implements Observer: a 429 pauses the model for its
// Retry-After (or the default pause), and rate-limit headers lower the
// budgets to what the provider enforces.
func (g *Governor) ObserveResponse(status int, h http.Header, _ time.Duration) {
	g.connected()
	if status == http.StatusTooManyRequests {
		g.rateLimited.Add(1)
		g.pause(RetryAfterHeader(h, time.Now()), "429")
	}
	info, ok := ParseRateLimitHeaders(h, time.Now())
	if !ok {
		return
	}
	g.refine(info)
}

// refine lowers budgets to the announced limits and pauses until the
// window resets when the provider says nothing remains.
func (g *Governor) refine(info RateLimitInfo) {
	info = info.scaled(g.share)
	if l := minPositive(g.spec.rpm, info.RequestsLimit); l > 0 {
		g.setRPM(l)
	}
	// Anthropic's tokens-limit is the most restrictive of its input and
	// output limits, not a budget of input plus output: where those are
	// announced, only they are applied.
	total := info.TokensLimit
	if info.InputTokensLimit > 0 || info.OutputTokensLimit > 0 {
		total = 0
	}
	g.mu.Lock()
	g.tpm = refineBucket(g.tpm, g.spec.tpm, total)
	g.in = refineBucket(g.in, g.spec.in, info.InputTokensLimit)
	g.out = refineBucket(g.out, g.spec.out, info.OutputTokensLimit)
	g.mu.Unlock()
	if info.RequestsLimit > 0 && info.RequestsRemaining == 0 && info.Reset > 0 {
		g.pause(info.Reset, "no requests remaining in window")
	}
}

func (g *Governor) setRPM(l int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.rpm == nil {
		g.rpm = newRequestLimiter(l)
		return
	}
	if g.rpm.Limit() != perMinute(l) {
		g.rpm.SetLimit(perMinute(l))
		g.rpm.SetBurst(paceGroup(l))
	}
}

func refineBucket(b *bucket, spec, header int) *bucket {
	l := minPositive(spec, header)
	switch {
	case l <= 0:
		return b
	case b == nil:
		return newBucket(l)
	case b.limit() != l:
		b.setLimit(l)
	}
	return b
}

// minPositive returns the smaller of the positive values (0 if none).
func minPositive(a, b int) int {
	switch {
	case a <= 0:
		return b
	case b <= 0:
		return a
	}
	return min(a, b)
}
