package llm

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Pricer prices requests to one model entry before they are sent: how many
// the request store would answer, their tokens and what they would cost.
// It builds no provider, so it needs no API key. Safe for concurrent use.
type Pricer struct {
	rt   *Runtime
	spec *ModelSpec
}

// Pricer returns the pricer of spec.
func (r *Runtime) Pricer(spec *ModelSpec) *Pricer { return &Pricer{rt: r, spec: spec} }

// Spec returns the model entry priced.
func (p *Pricer) Spec() *ModelSpec { return p.spec }

// Cached reports whether the request store holds a success for req; a
// store that cannot tell says no (the estimate errs on the high side).
func (p *Pricer) Cached(req *Request) bool {
	key, _ := KeyOf(req, p.spec)
	_, ok, _ := LookupRecord(p.rt.cfg.Records, key)
	return ok
}

// Stored returns the response the request store holds for req, if it
// holds a success: what a run would be served instead of sending req.
func (p *Pricer) Stored(req *Request) (*Response, bool) {
	key, _ := KeyOf(req, p.spec)
	rec, ok, _ := LookupRecord(p.rt.cfg.Records, key)
	if !ok {
		return nil, false
	}
	return rec.Response, true
}

// minCachedPrefix is the shortest prompt prefix Anthropic caches (1,024
// tokens for Opus and Sonnet models).
const minCachedPrefix = 1024

// Tokens estimates the input tokens of req as the model receives it (the
// spec applied: the no-think suffix, say) and how many of them are a
// prefix the provider serves from its prompt cache after the first request
// (the tools and the system prompt, which the anthropic provider marks
// cache_control; 0 for providers that cache nothing or when the spec has
// no cache prices).
func (p *Pricer) Tokens(req *Request) (in, prefix int) {
	r := p.spec.Apply(req)
	in = EstimateInputTokens(r)
	if !p.caches() {
		return in, 0
	}
	n := len(r.System)
	for _, t := range r.Tools {
		n += len(t.Name) + len(t.Description) + len(t.InputSchema)
	}
	if prefix = n / 4; prefix < minCachedPrefix {
		return in, 0
	}
	return in, prefix
}

// caches reports whether the provider caches the system prompt and the
// spec prices cache reads.
func (p *Pricer) caches() bool {
	return p.spec.Provider == "anthropic" && p.spec.Prices.CacheRead > 0
}

// Output is an output-token estimate per request and where it comes from.
type Output struct {
	Tokens int
	// Stored is the number of stored responses it is the mean of; 0 when
	// Tokens is the caller's assumption (capped by max_tokens).
	Stored int
	Basis  string
}

// minHistory is how many stored responses an output estimate needs before
// it replaces the caller's assumption.
const minHistory = 3

// Output estimates the output tokens of a request whose forced tool is
// tool ("" for a text answer): the mean over this provider and model's
// stored responses of that tool when there are at least minHistory, else
// assumed (what the caller expects from the request's content, explained
// by why), never more than max_tokens.
func (p *Pricer) Output(tool string, assumed int, why string) Output {
	what := p.spec.Name
	if tool != "" {
		what += "/" + tool
	}
	maxTokens := p.spec.MaxTokens
	capped := func(n int) int {
		if maxTokens > 0 && n > maxTokens {
			return maxTokens
		}
		return n
	}
	if h, ok := p.rt.history().get(histKey{p.spec.Provider, p.spec.Model, tool}); ok && h.n >= minHistory {
		t := capped(int(h.out / int64(h.n)))
		return Output{Tokens: t, Stored: h.n,
			Basis: fmt.Sprintf("output tokens of %s: %d per request, the mean of %d stored responses", what, t, h.n)}
	}
	t := capped(assumed)
	basis := fmt.Sprintf("output tokens of %s: %d per request assumed (%s; no stored responses)", what, t, why)
	if t < assumed {
		basis = fmt.Sprintf("output tokens of %s: %d per request assumed (max_tokens; %s would be %d; no stored responses)", what, t, why, assumed)
	}
	return Output{Tokens: t, Basis: basis}
}

// Volume is a group of like requests to one model: a low–high count, the
// input tokens of each (Prefix of them a cached prefix that all share) and
// the output tokens of each.
type Volume struct {
	Low, High     int64
	Input, Prefix int
	Output        int
}

// Priced is what a Volume costs; Low counts go with the low cost.
type Priced struct {
	InputLow, InputHigh         int64
	CacheReadLow, CacheReadHigh int64
	OutputLow, OutputHigh       int64
	CostLow, CostHigh           float64
}

// Price prices v at the spec's prices. With a cached prefix the first
// request writes the cache and the others read it (a run sends a node's
// requests minutes apart at most, within the cache's lifetime).
func (p *Pricer) Price(v Volume) Priced {
	in, read, out, lo := p.cost(v, v.Low)
	inH, readH, outH, hi := p.cost(v, v.High)
	return Priced{InputLow: in, InputHigh: inH, CacheReadLow: read, CacheReadHigh: readH,
		OutputLow: out, OutputHigh: outH, CostLow: lo, CostHigh: hi}
}

func (p *Pricer) cost(v Volume, n int64) (in, read, out int64, usd float64) {
	if n <= 0 {
		return 0, 0, 0, 0
	}
	u := Usage{InputTokens: n * int64(v.Input), OutputTokens: n * int64(v.Output)}
	if v.Prefix > 0 {
		u.InputTokens = n * int64(v.Input-v.Prefix)
		u.CacheWriteTokens = int64(v.Prefix)
		u.CacheReadTokens = (n - 1) * int64(v.Prefix)
	}
	in = u.InputTokens + u.CacheWriteTokens + u.CacheReadTokens
	return in, u.CacheReadTokens, u.OutputTokens, p.spec.Prices.Cost(u, false)
}

// PriceNote is a basis line when the spec has no prices ("" otherwise):
// its requests are counted but not priced.
func (p *Pricer) PriceNote() string {
	if p.spec.Prices.IsZero() && p.spec.Provider != "sim" {
		return fmt.Sprintf("model %s has no prices: its requests are priced at $0", p.spec.Name)
	}
	return ""
}

// historyLimit bounds the stored responses an output estimate reads: the
// most recent ones.
const historyLimit = 2000

// histKey groups stored responses: provider, model and forced tool.
type histKey struct{ provider, model, tool string }

type histStat struct {
	n   int
	out int64
}

// outputHistory is the mean output of stored responses per histKey, read
// once per Runtime, when an estimate first asks.
type outputHistory struct {
	stats map[histKey]histStat
}

func (h *outputHistory) get(k histKey) (histStat, bool) {
	s, ok := h.stats[k]
	return s, ok
}

// rangeRecords is what history needs of a RecordStore besides Get: the
// request store's record log and per-file store provide it.
type rangeRecords interface {
	Range(fn func(key [32]byte, modTime time.Time) bool) error
}

// historyState is the Runtime's lazily read history.
type historyState struct {
	once sync.Once
	h    *outputHistory
}

func (r *Runtime) history() *outputHistory {
	r.hist.once.Do(func() { r.hist.h = readHistory(r.cfg.Records) })
	return r.hist.h
}

// readHistory reads the historyLimit most recent records of rs. A store
// that cannot list its keys, and records that do not decode, give no
// history.
func readHistory(rs RecordStore) *outputHistory {
	h := &outputHistory{stats: map[histKey]histStat{}}
	lister, ok := rs.(rangeRecords)
	if !ok {
		return h
	}
	type kt struct {
		k [32]byte
		t time.Time
	}
	var all []kt
	_ = lister.Range(func(k [32]byte, t time.Time) bool { all = append(all, kt{k, t}); return true })
	slices.SortFunc(all, func(a, b kt) int { return b.t.Compare(a.t) })
	read := 0 // records read; the request objects beside them do not count
	for _, e := range all {
		if read == historyLimit {
			break
		}
		data, ok, err := rs.Get(e.k)
		if err != nil || !ok {
			continue
		}
		var rec struct {
			Object   string `json:"request_object"`
			OK       bool   `json:"ok"`
			Provider string `json:"provider"`
			Model    string `json:"model"`
			Response *struct {
				ToolCalls []struct {
					Name string `json:"name"`
				} `json:"tool_calls"`
				Usage Usage `json:"usage"`
			} `json:"response"`
		}
		if json.Unmarshal(data, &rec) != nil || rec.Object != "" {
			continue
		}
		if read++; !rec.OK || rec.Response == nil {
			continue
		}
		tool := ""
		if len(rec.Response.ToolCalls) > 0 {
			tool = rec.Response.ToolCalls[0].Name
		}
		k := histKey{rec.Provider, rec.Model, tool}
		s := h.stats[k]
		s.n++
		s.out += rec.Response.Usage.OutputTokens
		h.stats[k] = s
	}
	return h
}
