package infer

import (
	"context"
	"fmt"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/llm"
	"github.com/sptflow/sptflow/steps/generate/llmstep"
)

// viaBatch sends the partition's missing answers through the provider's
// batch API, per target model, when the execution mode says so (the node's
// with.execution, else the model entry's; auto from batch_threshold
// requests on). Every request is known up front (A+T and B+T of every
// item), so one RunBatch per model gets them all into the request store;
// the online pass that follows is served from it and writes what an online
// run writes. A request the provider refused is a failed row (asked again
// on the next run), not sent online.
func (j *job) viaBatch(ctx context.Context, t *engine.Task) error {
	j.refused = map[llm.RequestKey]error{}
	for mi, c := range j.clients {
		if !llmstep.MayBatch(j.p.specs[mi], j.p.execution) {
			continue
		}
		var reqs []*llm.Request
		for _, r := range j.rows {
			if r.model == mi && !c.Cached(r.req) {
				reqs = append(reqs, r.req)
			}
		}
		spec := j.p.specs[mi]
		if !llm.UseBatch(spec, j.p.execution, len(reqs)) {
			continue
		}
		t.Log.Info().Int("requests", len(reqs)).Str("model", spec.Name).Msg("stage 2 through the batch API")
		rep, err := c.RunBatch(ctx, string(t.ID()), reqs)
		if err != nil {
			return fmt.Errorf("stage-2 batch of %s: %w", spec.Name, err)
		}
		for k, err := range rep.Failures {
			j.refused[k] = err
		}
		t.Log.Info().Str("model", spec.Name).Int("batches", rep.Batches).Int("adopted", rep.Adopted).Int("stored", rep.Succeeded).
			Int("refused", len(rep.Failures)).Int("resubmitted", rep.Again).Float64("cost_usd", rep.CostUSD).Msg("stage-2 batch harvested")
	}
	return nil
}
