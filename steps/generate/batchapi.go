package generate

import (
	"context"
	"fmt"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/llm"
	"github.com/sptflow/sptflow/steps/spt"
)

// viaBatch sends the first asks of the partition's n batches through the
// provider's batch API when the execution mode says so (the node's
// with.execution, else the model entry's; auto from batch_threshold
// requests on). It returns when every result is in the request store, so
// the online pass that follows is served from the store and writes what
// an online run writes; follow-up asks after a rejected batch go online.
// The report names the requests the provider refused (nil when online).
func (s *Step) viaBatch(ctx context.Context, t *engine.Task, p *params, c *llm.Client, prompts *spt.Prompts, n int) (*llm.BatchReport, error) {
	reqs := make([]*llm.Request, 0, n)
	for b := range n {
		req, err := firstRequest(p, prompts, b)
		if err != nil {
			return nil, err
		}
		if !c.Cached(req) {
			reqs = append(reqs, req)
		}
	}
	if !llm.UseBatch(p.spec, p.execution, len(reqs)) {
		return nil, nil
	}
	t.Log.Info().Int("requests", len(reqs)).Str("model", p.spec.Name).Msg("stage 1 through the batch API")
	rep, err := c.RunBatch(ctx, string(t.ID()), reqs)
	if err != nil {
		return nil, fmt.Errorf("stage-1 batch: %w", err)
	}
	t.Log.Info().Int("batches", rep.Batches).Int("adopted", rep.Adopted).Int("stored", rep.Succeeded).
		Int("refused", len(rep.Failures)).Int("resubmitted", rep.Again).Float64("cost_usd", rep.CostUSD).Msg("stage-1 batch harvested")
	return rep, nil
}
