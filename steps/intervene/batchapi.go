package intervene

import (
	"context"
	"errors"
	"sync"

	"github.com/rs/zerolog"
	"golang.org/x/sync/errgroup"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/llm"
	"github.com/sptflow/sptflow/steps/generate/llmstep"
)

// caller is what the row code needs of a model: an *llm.Client, or in a
// batch run an *llm.PlanClient.
type caller interface {
	Do(ctx context.Context, call llm.Call) (*llm.Result, error)
}

var (
	_ caller = (*llm.Client)(nil)
	_ caller = (*llm.PlanClient)(nil)
)

// viaBatch sends the partition's generate-and-review rounds through the
// provider's batch API when the execution mode says so (the node's
// with.execution, else each model entry's), as waves: a planning pass runs
// every waiting batch's rounds (process) with clients in plan mode, which
// get as far as the request store answers and collect the next request;
// the wave sends them (first generations, then their reviews, then the
// regenerations of the rejected, ...), each wave only the batches that
// still wait. A generate-and-review round takes two waves, so there are at
// most 2 × review_rounds. Afterwards the rows' calls go through the
// planner's serving clients, and the ordinary pass writes what an online
// run writes, from the store; in auto, what a wave below the model's
// batch_threshold would have sent goes online there.
func (j *job) viaBatch(ctx context.Context, t *engine.Task) error {
	if !llmstep.MayBatch(j.p.gen, j.p.execution) && !llmstep.MayBatch(j.p.review, j.p.execution) {
		return nil
	}
	pl := llm.NewPlanner()
	plan := *j
	plan.gen, plan.review = pl.Planning(j.genClient), pl.Planning(j.reviewClient)
	waiting := make([]bool, len(j.batches))
	for i := range waiting {
		waiting[i] = true
	}
	pass := func(ctx context.Context) (int, error) { return plan.planPass(ctx, waiting) }
	rep, err := llmstep.Waves(ctx, t, pl, j.p.execution, "stage-3", 2*j.p.ReviewRounds, pass)
	if err != nil {
		return err
	}
	if rep.Waves > 0 {
		t.Log.Info().Int("waves", rep.Waves).Int("requests", rep.Requests).Float64("cost_usd", rep.CostUSD).
			Msg("stage-3 batch waves done; the online pass is served from the store")
	}
	j.gen, j.review = pl.Serving(j.genClient), pl.Serving(j.reviewClient)
	return nil
}

// planPass runs the rounds of every waiting batch in plan mode, silently
// and without writing anything (its outcomes are dropped), and marks the
// batches that no longer wait for a response. It returns how many still
// do.
func (j *job) planPass(ctx context.Context, waiting []bool) (int, error) {
	var (
		mu    sync.Mutex
		still int
	)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(planWorkers)
	for i, b := range j.batches {
		if !waiting[i] {
			continue
		}
		g.Go(func() error {
			_, err := j.process(gctx, zerolog.Nop(), b, &llmstep.Usage{})
			if errors.Is(err, llm.ErrPlanned) {
				mu.Lock()
				still++
				mu.Unlock()
				return nil
			}
			waiting[i] = false
			return err
		})
	}
	err := g.Wait()
	return still, err
}

// planWorkers bounds the batches planned at once (a planning pass only
// reads the request store).
const planWorkers = 16
