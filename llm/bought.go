package llm

import "sync"

// boughtSet holds what a runtime paid for request keys through the batch
// API that no call of the run has been answered with yet: the results a
// RunBatch harvested (stored, or paid for and unusable) and the canaries
// it sent online. The first call of the run that gets such a key
// (Client.Do) takes its entry over, so the caller's meter (the
// partition's) counts the request and its cost as its own, as it would
// an online call's, not as served from the store; later calls for the
// same key are served from the store as usual. The runtime's own totals
// counted them when they were paid.
type boughtSet struct {
	mu sync.Mutex
	m  map[RequestKey]*Totals
}

// add records a payment for key.
func (b *boughtSet) add(key RequestKey, f func(*Totals)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.m == nil {
		b.m = map[RequestKey]*Totals{}
	}
	t := b.m[key]
	if t == nil {
		t = &Totals{}
		b.m[key] = t
	}
	f(t)
}

// take returns and forgets what was paid for key, if anything.
func (b *boughtSet) take(key RequestKey) (Totals, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	t, ok := b.m[key]
	if !ok {
		return Totals{}, false
	}
	delete(b.m, key)
	return *t, true
}

// absorb adds the calls, tokens and cost of t (calls made on the caller's
// behalf) to m.
func (m *Meter) absorb(t Totals) { m.add(func(s *Totals) { s.plus(t) }) }

// plus adds the calls made, tokens and cost of o to t (not the calls
// served from the store, nor the rate limits seen).
func (t *Totals) plus(o Totals) {
	t.Requests += o.Requests
	t.Failed += o.Failed
	t.Attempts += o.Attempts
	t.Usage.add(o.Usage)
	t.CostUSD += o.CostUSD
	t.FailedUsage.add(o.FailedUsage)
	t.FailedCostUSD += o.FailedCostUSD
}
