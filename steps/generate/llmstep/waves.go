package llmstep

import (
	"context"
	"fmt"
	"math"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/llm"
)

// MayBatch reports whether spec's requests can go through its provider's
// batch API under the node's execution mode (node "" = the model entry's):
// batch, or auto (whose threshold is checked per wave).
func MayBatch(spec *llm.ModelSpec, node string) bool {
	return llm.UseBatch(spec, node, math.MaxInt)
}

// PlanPass is one planning pass over a stage's rows: it runs the rows'
// ordinary code with clients in plan mode (llm.Planner.Planning) and
// returns how many rows are still waiting for a response.
type PlanPass func(ctx context.Context) (waiting int, err error)

// WaveReport sums the waves of a stage.
type WaveReport struct {
	Waves    int
	Requests int
	CostUSD  float64
}

// Waves runs a stage's rows through the provider's batch API in waves
// (see llm.Planner): each planning pass collects the next request of every
// row still waiting, and the wave sends them, per model entry, as batches
// (llm.Client.RunBatch) when llm.UseBatch says so for the node's execution
// and the wave's size; a model's wave below its auto batch_threshold is
// left to the online pass. Waves ends when a pass collects nothing, when no
// model's wave went through the batch API, or after maxWaves waves; the
// caller then runs its ordinary pass with planner.Serving clients, served
// from the store. scope names the partition's ledger entries; stage names
// it in the log, one line per model and wave (requests, cost).
func Waves(ctx context.Context, t *engine.Task, pl *llm.Planner, execution, stage string, maxWaves int, pass PlanPass) (*WaveReport, error) {
	rep := &WaveReport{}
	for wave := 1; wave <= maxWaves; wave++ {
		waiting, err := pass(ctx)
		if err != nil {
			return rep, err
		}
		sent := false
		for _, p := range pl.Take() {
			spec := p.Client.Spec()
			if !llm.UseBatch(spec, execution, len(p.Requests)) {
				why := "wave below the batch threshold"
				if !MayBatch(spec, execution) {
					why = "model online"
				}
				t.Log.Info().Int("wave", wave).Str("model", spec.Name).Int("requests", len(p.Requests)).
					Msgf("%s: %s; the online pass sends these requests and what follows them", stage, why)
				pl.Harvested(p, nil)
				continue
			}
			br, err := p.Client.RunBatch(ctx, string(t.ID()), p.Requests)
			if err != nil {
				return rep, fmt.Errorf("%s batch wave %d: %w", stage, wave, err)
			}
			pl.Harvested(p, br)
			sent = true
			rep.Requests += len(p.Requests)
			rep.CostUSD += br.CostUSD
			t.Log.Info().Int("wave", wave).Str("model", spec.Name).Int("rows_waiting", waiting).
				Int("requests", len(p.Requests)).Int("batches", br.Batches).Int("adopted", br.Adopted).
				Int("stored", br.Succeeded).Int("refused", len(br.Failures)).Int("resubmitted", br.Again).
				Float64("cost_usd", br.CostUSD).Msgf("%s batch wave harvested", stage)
		}
		if !sent {
			return rep, nil
		}
		rep.Waves = wave
	}
	return rep, nil
}
