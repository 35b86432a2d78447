package enginetest

import (
	"context"
	"fmt"

	"github.com/rs/zerolog"

	"github.com/sptflow/sptflow/engine"
)

// Estimate resolves spec with step, digests the plan's inputs from disk,
// and asks the step (an engine.Estimator) what running it would cost with
// the given existing upstream outputs and forecasts of the others.
func Estimate(ctx context.Context, step engine.Step, spec *engine.PartitionSpec, ups []*engine.Forecast, upstream ...engine.Upstream) (engine.Estimate, error) {
	est, ok := step.(engine.Estimator)
	if !ok {
		return engine.Estimate{}, fmt.Errorf("kind %s is not an estimator", step.Kind())
	}
	plan, err := step.Resolve(spec)
	if err != nil {
		return engine.Estimate{}, fmt.Errorf("resolve %s: %w", spec.ID, err)
	}
	inputs, err := MatchInputs(spec.ProjectRoot, plan.Inputs)
	if err != nil {
		return engine.Estimate{}, err
	}
	task := &engine.Task{Spec: spec, Params: plan.Params, Plan: plan, Inputs: inputs, Upstream: upstream, Log: zerolog.Nop()}
	return est.Estimate(ctx, task, ups)
}
