package llm_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sptflow/sptflow/llm"
)

// listedRecords is a RecordStore that can list its keys, as the request
// store's record log can.
type listedRecords struct {
	mu   sync.Mutex
	data map[[32]byte][]byte
}

func (l *listedRecords) Get(k [32]byte) ([]byte, bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	d, ok := l.data[k]
	return d, ok, nil
}

func (l *listedRecords) Put(k [32]byte, d []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.data[k] = d
	return nil
}

func (l *listedRecords) Range(fn func([32]byte, time.Time) bool) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for k := range l.data {
		if !fn(k, time.Now()) {
			break
		}
	}
	return nil
}

func TestPricerPrice(t *testing.T) {
	prices := map[string]any{"input": 3.0, "output": 15.0, "cache_read": 0.3, "cache_write": 3.75}
	tests := []struct {
		name         string
		provider     string
		v            llm.Volume
		wantLo, want float64
	}{
		// low: 1,000 uncached × $3 + 4,000 written × $3.75 + 1,000 out × $15;
		// high: 3,000 × $3 + 4,000 × $3.75 + 8,000 read × $0.30 + 3,000 × $15.
		{"cached prefix", "anthropic", llm.Volume{Low: 1, High: 3, Input: 5000, Prefix: 4000, Output: 1000}, 0.033, 0.0714},
		{"no prefix", "openai", llm.Volume{Low: 2, High: 2, Input: 5000, Output: 1000}, 0.06, 0.06},
		{"none", "openai", llm.Volume{}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt := newRuntime(t, newMemRecords(), &fakeProvider{}, nil)
			p := rt.Pricer(testSpec(t, map[string]any{"provider": tt.provider, "prices": prices}))
			got := p.Price(tt.v)
			if math.Abs(got.CostLow-tt.wantLo) > 1e-9 || math.Abs(got.CostHigh-tt.want) > 1e-9 {
				t.Errorf("cost: got $%g–%g, want $%g–%g", got.CostLow, got.CostHigh, tt.wantLo, tt.want)
			}
			if tt.v.Prefix > 0 && got.CacheReadHigh != (tt.v.High-1)*int64(tt.v.Prefix) {
				t.Errorf("cache reads: got %d, want %d", got.CacheReadHigh, (tt.v.High-1)*int64(tt.v.Prefix))
			}
		})
	}
}

func TestPricerTokensCachedPrefix(t *testing.T) {
	prices := map[string]any{"input": 3.0, "output": 15.0, "cache_read": 0.3}
	long, short := strings.Repeat("s", 8000), "be brief"
	tests := []struct {
		name       string
		provider   string
		prices     map[string]any
		system     string
		wantPrefix int
	}{
		{"anthropic, long system prompt", "anthropic", prices, long, 2000},
		{"anthropic, below the minimum", "anthropic", prices, short, 0},
		{"anthropic without cache prices", "anthropic", map[string]any{"input": 3.0}, long, 0},
		{"openai", "openai", prices, long, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt := newRuntime(t, newMemRecords(), &fakeProvider{}, nil)
			p := rt.Pricer(testSpec(t, map[string]any{"provider": tt.provider, "prices": tt.prices}))
			req := userReq("question")
			req.System = tt.system
			in, prefix := p.Tokens(req)
			if prefix != tt.wantPrefix || in != llm.EstimateInputTokens(p.Spec().Apply(req)) {
				t.Errorf("got %d in, %d prefix; want %d in, %d prefix", in, prefix, llm.EstimateInputTokens(req), tt.wantPrefix)
			}
		})
	}
}

// TestPricerOutputFromHistory: without stored responses the caller's
// assumption (capped by max_tokens) is used; with three or more of the
// same model, their mean, read from the request store.
func TestPricerOutputFromHistory(t *testing.T) {
	rs := &listedRecords{data: map[[32]byte][]byte{}}
	spec := testSpec(t, map[string]any{"max_tokens": 256})
	rt := newRuntime(t, rs, &fakeProvider{}, nil)
	if got := rt.Pricer(spec).Output("", 1000, "a guess"); got.Tokens != 256 || got.Stored != 0 || !strings.Contains(got.Basis, "max_tokens") {
		t.Errorf("without history: got %+v, want 256 (max_tokens) assumed", got)
	}
	c := newClient(t, rt, spec)
	for i := range 3 {
		if _, err := c.Do(context.Background(), llm.Call{Request: userReq(fmt.Sprint("q", i))}); err != nil {
			t.Fatal(err)
		}
	}
	later := newRuntime(t, rs, &fakeProvider{}, nil)
	got := later.Pricer(spec).Output("", 1000, "a guess")
	if got.Tokens != 50 || got.Stored != 3 || !strings.Contains(got.Basis, "mean of 3 stored responses") {
		t.Errorf("with history: got %+v, want 50, the mean of 3 stored responses", got)
	}
	if other := later.Pricer(spec).Output("some_tool", 100, "a guess"); other.Stored != 0 || other.Tokens != 100 {
		t.Errorf("another tool: got %+v, want the assumption", other)
	}
}
