package llmstep

import (
	"slices"
	"sync"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/llm"
)

// Usage accumulates one partition's LLM usage (pass Meter in every
// llm.Call) and the models that served it, and hands it to the task's
// meter as rows finish, so progress shows requests, tokens and cost live.
type Usage struct {
	Meter llm.Meter

	mu       sync.Mutex
	served   []string
	reported llm.Totals // what was already added to the task's meter
}

// Served records the model that served a response.
func (u *Usage) Served(model string) {
	if model == "" {
		return
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if !slices.Contains(u.served, model) {
		u.served = append(u.served, model)
	}
}

// RowDone reports one finished row to the task's progress (served from the
// request store, or recorded as failed) and the usage incurred since the
// last report to its meter.
func (u *Usage) RowDone(t *engine.Task, cached, failed bool) {
	n := [2]int{}
	if cached {
		n[0] = 1
	}
	if failed {
		n[1] = 1
	}
	t.Progress.Done(1, n[0], n[1])
	t.Usage.Add(u.delta())
}

// Report adds what was not reported yet, the failed rows counted by the
// step and the served models to the task's meter. Call it once, at the end.
func (u *Usage) Report(t *engine.Task, failedRows int) {
	d := u.delta()
	u.mu.Lock()
	served := slices.Clone(u.served)
	u.mu.Unlock()
	slices.Sort(served)
	d.Failed, d.ServedModels = failedRows, served
	t.Usage.Add(d)
}

// delta returns the usage since the last call.
func (u *Usage) delta() engine.Usage {
	u.mu.Lock()
	defer u.mu.Unlock()
	now := u.Meter.Totals()
	prev := u.reported
	u.reported = now
	return engine.Usage{
		Requests: int(now.Requests - prev.Requests), Cached: int(now.Cached - prev.Cached),
		InputTokens:   now.Usage.InputTokens - prev.Usage.InputTokens,
		OutputTokens:  now.Usage.OutputTokens - prev.Usage.OutputTokens,
		CacheRead:     now.Usage.CacheReadTokens - prev.Usage.CacheReadTokens,
		CacheWrite:    now.Usage.CacheWriteTokens - prev.Usage.CacheWriteTokens,
		CostUSD:       now.CostUSD - prev.CostUSD,
		ServedCostUSD: now.SavedUSD - prev.SavedUSD,
	}
}
