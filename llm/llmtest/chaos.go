package llmtest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
)

// FaultRates are the probabilities of the faults a Chaos draws for each
// request (one draw per request; together at most 1), and a quota.
type FaultRates struct {
	RateLimit   float64 // 429 with Retry-After: 1
	ServerError float64 // 500 or 503 (Anthropic: 529 overloaded or 500)
	Reset       float64 // the connection closes without a response
	Truncation  float64 // the reply is cut midway by max tokens
	// Malformed: the tool arguments are not valid JSON (a request without a
	// forced tool gets a 200 whose body is cut JSON).
	Malformed   float64
	StreamError float64 // a streamed reply ends with an error event
	// QuotaAfter > 0 refuses every request after the first QuotaAfter (of
	// every provider the Chaos serves) for exhausted quota: Anthropic's 400
	// "credit balance is too low", OpenAI's 429 insufficient_quota,
	// OpenRouter's 402.
	QuotaAfter int
}

// Fault kinds a Chaos counts.
const (
	FaultRateLimit   = "rate_limit"
	FaultServerError = "server_error"
	FaultReset       = "reset"
	FaultTruncation  = "truncation"
	FaultMalformed   = "malformed"
	FaultStreamError = "stream_error"
	FaultQuota       = "quota"
)

// Check reports rates outside [0, 1], a sum above 1, or a negative quota.
func (r FaultRates) Check() error {
	var errs []error
	sum := 0.0
	for _, c := range r.rates() {
		if c.rate < 0 || c.rate > 1 {
			errs = append(errs, fmt.Errorf("%s rate %g: want a probability in [0, 1]", c.kind, c.rate))
		}
		sum += c.rate
	}
	if sum > 1+1e-9 {
		errs = append(errs, fmt.Errorf("fault rates add up to %g: want at most 1", sum))
	}
	if r.QuotaAfter < 0 {
		errs = append(errs, fmt.Errorf("quota after %d requests: want 0 (no quota) or more", r.QuotaAfter))
	}
	return errors.Join(errs...)
}

type kindRate struct {
	kind string
	rate float64
}

func (r FaultRates) rates() []kindRate {
	return []kindRate{{FaultRateLimit, r.RateLimit}, {FaultServerError, r.ServerError}, {FaultReset, r.Reset},
		{FaultTruncation, r.Truncation}, {FaultMalformed, r.Malformed}, {FaultStreamError, r.StreamError}}
}

// Chaos draws random faults (seeded, so a sequence of requests gets the
// same faults) for the fake servers that share it, and counts them. Safe
// for concurrent use.
type Chaos struct {
	rates FaultRates

	mu     sync.Mutex
	rng    *rand.Rand
	n      int            // requests drawn for
	counts map[string]int // faults served, by kind
}

// NewChaos checks r and returns a Chaos drawing with seed.
func NewChaos(r FaultRates, seed uint64) (*Chaos, error) {
	if err := r.Check(); err != nil {
		return nil, err
	}
	return &Chaos{rates: r, rng: rand.New(rand.NewPCG(seed, 0xc4a05)), counts: map[string]int{}}, nil
}

// Dialects a Chaos shapes its faults for.
const (
	DialectAnthropic  = "anthropic"
	DialectOpenAI     = "openai"
	DialectOpenRouter = "openrouter"
)

// Script returns an Options.Script for a server of the dialect: a drawn
// fault, else what next answers (nil: the default reply).
func (c *Chaos) Script(dialect string, next func(Request) Fault) func(Request) Fault {
	return func(r Request) Fault {
		if f, ok := c.Draw(r, dialect); ok {
			return f
		}
		if next == nil {
			return Fault{}
		}
		return next(r)
	}
}

// Draw decides whether request r (to a server of the dialect) gets a fault
// and which.
func (c *Chaos) Draw(r Request, dialect string) (Fault, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	if q := c.rates.QuotaAfter; q > 0 && c.n > q {
		c.counts[FaultQuota]++
		return quotaFault(dialect), true
	}
	u, pick := c.rng.Float64(), c.rng.IntN(2)
	for _, kr := range c.rates.rates() {
		if u < kr.rate {
			c.counts[kr.kind]++
			return faultOf(kr.kind, r, dialect, pick), true
		}
		u -= kr.rate
	}
	return Fault{}, false
}

func quotaFault(dialect string) Fault {
	if dialect == DialectOpenRouter {
		return PaymentRequired()
	}
	return QuotaExhausted() // Anthropic: the 400 "credit balance is too low"
}

func faultOf(kind string, r Request, dialect string, pick int) Fault {
	switch kind {
	case FaultRateLimit:
		return RateLimited("1")
	case FaultServerError:
		if dialect == DialectAnthropic {
			return ServerError([]int{529, 500}[pick])
		}
		return ServerError([]int{500, 503}[pick])
	case FaultReset:
		return ConnReset()
	case FaultTruncation:
		return Fault{Truncate: true}
	case FaultMalformed:
		if _, tool := r.JSON()["tool_choice"]; tool {
			return Fault{ToolArgs: `{"malformed": [1, 2`}
		}
		return Fault{Body: `{"id": "malformed", "choices": [{"message": {"content": "cut`}
	case FaultStreamError:
		return Fault{StreamError: true}
	}
	return Fault{}
}

// Counts returns the faults served so far, by kind (only kinds served).
func (c *Chaos) Counts() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.counts))
	for k, n := range c.counts {
		out[k] = n
	}
	return out
}

// Kinds returns the fault kinds in the order Draw tries them, quota last.
func Kinds() []string {
	var ks []string
	for _, kr := range (FaultRates{}).rates() {
		ks = append(ks, kr.kind)
	}
	return append(ks, FaultQuota)
}
