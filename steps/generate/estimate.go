package generate

import (
	"context"
	"fmt"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/llm"
	"github.com/sptflow/sptflow/steps/generate/llmstep"
	"github.com/sptflow/sptflow/steps/spt"
)

// feedbackTokens is the assumed size of a batch's project_feedback.
const feedbackTokens = 100

// Estimate implements engine.KindEstimator. Every batch the request store does
// not hold is asked once (low) or max_attempts times (high: each ask
// rejected by validation and followed up with the conversation so far).
// Output tokens per batch are the mean of stored stage-1 responses of the
// model, else items_per_batch items of the published data's item size.
// The forecast is batches × items_per_batch items (at most --limit) of
// that size.
func (s *Step) Estimate(ctx context.Context, p params, t *engine.Task, _ []*engine.Forecast) (engine.Estimate, error) {
	if s.rt == nil {
		return engine.Estimate{}, fmt.Errorf("estimate: no LLM runtime configured for kind %s", Kind)
	}
	prompts, err := spt.LoadPrompts(p.prompts)
	if err != nil {
		return engine.Estimate{}, fmt.Errorf("load prompts: %w", err)
	}
	pr := s.rt.Pricer(p.spec)
	var tally llmstep.Tally
	var mean llmstep.Mean
	n := p.batchCount()
	for b := range n {
		req, err := firstRequest(&p, prompts, b)
		if err != nil {
			return engine.Estimate{}, fmt.Errorf("build batch %d request: %w", b+1, err)
		}
		if pr.Cached(req) {
			tally.Cached++
			continue
		}
		mean.Add(pr.Tokens(req))
	}
	itemTokens := llmstep.PublishedItem / llmstep.BytesPerToken
	out := pr.Output(spt.Stage1ToolName, p.ItemsPerBatch*itemTokens+feedbackTokens,
		fmt.Sprintf("%d items × %d tokens, the published data's item size, + %d of feedback", p.ItemsPerBatch, itemTokens, feedbackTokens))
	first := mean.Volume(mean.N, mean.N, out.Tokens)
	tally.Add(pr, first, out.Basis)
	if p.MaxAttempts > 1 {
		more := first
		more.Low, more.High = 0, mean.N*int64(p.MaxAttempts-1)
		more.Input += out.Tokens + 100 // the rejected answer and the problems
		tally.Add(pr, more, fmt.Sprintf("%s: high counts %d follow-up asks per batch (every ask rejected by validation)", t.Spec.Node, p.MaxAttempts-1))
	}
	tally.Output = &engine.Forecast{Items: engine.Exactly(p.items(n)), Shape: llmstep.PublishedShape(int64(n), itemScale(&p, out))}
	return tally.Estimate, nil
}

// items is how many items n batches hold: at most --limit.
func (p *params) items(n int) int64 {
	items := int64(n * p.ItemsPerBatch)
	if p.Limit > 0 {
		items = min(items, int64(p.Limit))
	}
	return items
}

// itemScale is the item size that stored stage-1 responses of the model
// show, relative to the published data's (1 without history).
func itemScale(p *params, out llm.Output) float64 {
	if out.Stored == 0 || p.ItemsPerBatch == 0 {
		return 1
	}
	perItem := float64(max(out.Tokens-feedbackTokens, 1)*llmstep.BytesPerToken) / float64(p.ItemsPerBatch)
	return perItem / llmstep.PublishedItem
}
