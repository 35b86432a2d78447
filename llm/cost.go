package llm

import (
	"fmt"
	"sync"
)

// Cost returns the USD cost of usage at these prices; batch applies
// BatchDiscount. A provider-reported cost (OpenRouter usage.cost) wins when
// the spec sets no prices.
func (p Prices) Cost(u Usage, batch bool) float64 {
	if p.IsZero() {
		if u.ProviderCostUSD != nil {
			return *u.ProviderCostUSD
		}
		return 0
	}
	c := (float64(u.InputTokens)*p.Input + float64(u.OutputTokens)*p.Output +
		float64(u.CacheReadTokens)*p.CacheRead + float64(u.CacheWriteTokens)*p.CacheWrite) / 1e6
	if batch {
		c *= 1 - p.BatchDiscount
	}
	return c
}

// Totals are the usage and cost of calls made (not served from the store).
type Totals struct {
	Requests    int64 // calls that succeeded and were stored
	Cached      int64 // calls served from the request store
	Failed      int64 // calls that ended in an error
	Attempts    int64 // HTTP requests sent, retries included (one per call of a local provider)
	RateLimited int64 // 429 responses seen (Runtime totals only)
	Usage       Usage // tokens of every response received, stored or not
	CostUSD     float64
	// FailedUsage and FailedCostUSD are the part of Usage and CostUSD paid
	// for responses that were not stored (they failed validation).
	FailedUsage   Usage
	FailedCostUSD float64
	// SavedUSD is what the calls served from the store originally cost.
	SavedUSD float64
}

// Meter accumulates Totals; it is safe for concurrent use. A Runtime keeps
// one for the run; callers may pass their own (per node) in Call.Meter.
type Meter struct {
	mu sync.Mutex
	t  Totals
}

// Totals returns a snapshot.
func (m *Meter) Totals() Totals {
	if m == nil {
		return Totals{}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.t
}

func (m *Meter) add(f func(*Totals)) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	f(&m.t)
}

// charge adds the tokens and cost of one attempt (stored or not: a
// response that failed validation was still paid for).
func (m *Meter) charge(u Usage, cost float64) {
	m.add(func(t *Totals) {
		t.Usage.InputTokens += u.InputTokens
		t.Usage.OutputTokens += u.OutputTokens
		t.Usage.CacheReadTokens += u.CacheReadTokens
		t.Usage.CacheWriteTokens += u.CacheWriteTokens
		t.CostUSD += cost
	})
}

// wasted adds the usage and cost of a response that was not stored (it
// was charged already).
func (m *Meter) wasted(u Usage, cost float64) {
	m.add(func(t *Totals) { t.FailedUsage.add(u); t.FailedCostUSD += cost })
}

func (m *Meter) sent() { m.add(func(t *Totals) { t.Attempts++ }) }

func (m *Meter) succeeded() { m.add(func(t *Totals) { t.Requests++ }) }

func (m *Meter) failed() { m.add(func(t *Totals) { t.Failed++ }) }

func (m *Meter) cached(saved float64) { m.add(func(t *Totals) { t.Cached++; t.SavedUSD += saved }) }

// EstimateInputTokens is a provider-independent estimate of a request's
// input tokens: about four bytes per token over the system prompt, messages
// and tool schemas, plus a small per-message overhead.
func EstimateInputTokens(req *Request) int {
	n := len(req.System) + len(req.JSONSchema)
	for _, m := range req.Messages {
		n += len(m.Content) + 16
	}
	for _, t := range req.Tools {
		n += len(t.Name) + len(t.Description) + len(t.InputSchema)
	}
	return n/4 + 8
}

// budget enforces RuntimeConfig.MaxCostUSD: spent plus the estimates of
// requests in flight may never exceed the limit.
type budget struct {
	mu       sync.Mutex
	max      float64
	spent    float64
	reserved float64
}

// reserve claims est dollars for what, or returns an error matching
// ErrBudgetExceeded when starting it would exceed the budget: it says
// what is committed already (spent, and reserved by requests in flight)
// besides the estimate, since the estimate alone may be under the limit.
func (b *budget) reserve(what string, est float64) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.max > 0 && b.spent+b.reserved+est > b.max {
		committed := fmt.Sprintf("$%.4f spent", b.spent)
		if b.reserved > 0 {
			committed += fmt.Sprintf(" and $%.4f reserved by requests in flight", b.reserved)
		}
		return fmt.Errorf("%s: %s + estimated $%.4f = $%.4f: %w (max $%.2f)",
			what, committed, est, b.spent+b.reserved+est, ErrBudgetExceeded, b.max)
	}
	b.reserved += est
	return nil
}

// settle replaces a reservation by the real cost.
func (b *budget) settle(est, cost float64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.reserved -= est
	b.spent += cost
}
