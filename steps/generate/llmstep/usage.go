package llmstep

import (
	"slices"
	"sync"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/llm"
)

// Usage accumulates one partition's LLM usage (pass Meter in every
// llm.Call) and the models that served it.
type Usage struct {
	Meter llm.Meter

	mu     sync.Mutex
	served []string
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

// Report adds the totals, with failed rows counted by the step, to the
// task's meter.
func (u *Usage) Report(t *engine.Task, failedRows int) {
	tot := u.Meter.Totals()
	u.mu.Lock()
	served := slices.Clone(u.served)
	u.mu.Unlock()
	slices.Sort(served)
	t.Usage.Add(engine.Usage{
		Requests: int(tot.Requests), Cached: int(tot.Cached), Failed: failedRows,
		InputTokens: tot.Usage.InputTokens, OutputTokens: tot.Usage.OutputTokens,
		CacheRead: tot.Usage.CacheReadTokens, CacheWrite: tot.Usage.CacheWriteTokens,
		CostUSD: tot.CostUSD, ServedModels: served,
	})
}

// RowDone reports one finished row to p: served from the request store
// (cached), or recorded as failed.
func RowDone(p engine.Progress, cached, failed bool) {
	n := [2]int{}
	if cached {
		n[0] = 1
	}
	if failed {
		n[1] = 1
	}
	p.Done(1, n[0], n[1])
}
