package intervene_test

import (
	"context"
	"testing"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/engine/enginetest"
	"github.com/sptflow/sptflow/llm"
	"github.com/sptflow/sptflow/steps/generate/llmstep"
	"github.com/sptflow/sptflow/steps/generate/llmstep/llmsteptest"
	"github.com/sptflow/sptflow/steps/intervene"
	"github.com/sptflow/sptflow/steps/spt"
)

// TestInterveneEstimateExact prices the stage2 fixture's batches (per type:
// one for m1, one for m2), then, after a run whose reviews reject every
// batch, checks that the requests sent lie in the range and that a second
// estimate finds them all in the request store.
func TestInterveneEstimateExact(t *testing.T) {
	dir := t.TempDir()
	llmsteptest.WritePrompts(t, dir, "sycophancy")
	rt, count := llmsteptest.Runtime(t, t.TempDir(), map[string]llm.SimResponder{spt.Stage3ReviewToolName: rejectAll{}})
	s := spec(dir, nil)
	ctx := context.Background()
	est, err := enginetest.Estimate(ctx, intervene.New(rt), s, nil, upstream(stage2))
	if err != nil {
		t.Fatal(err)
	}
	if want := (engine.Range{Low: 8, High: 24}); est.Requests != want || est.Cached != 0 {
		t.Errorf("requests: got %+v (%d cached), want %+v (0 cached)", est.Requests, est.Cached, want)
	}
	if est.CostUSD.Low != 0 || est.InputTokens.Low <= 0 || est.OutputTokens.High <= est.OutputTokens.Low {
		t.Errorf("tokens and cost of sim models: got %+v", est)
	}
	if _, _, err := run(t, rt, s, stage2); err != nil {
		t.Fatal(err)
	}
	sent := int64(count.Count(spt.Stage3GenerationToolName) + count.Count(spt.Stage3ReviewToolName))
	if sent < est.Requests.Low || sent > est.Requests.High {
		t.Errorf("sent %d requests, outside the estimate %+v", sent, est.Requests)
	}
	again, err := enginetest.Estimate(ctx, intervene.New(rt), s, nil, upstream(stage2))
	if err != nil {
		t.Fatal(err)
	}
	if again.Requests.High != 0 || again.Cached != 8 {
		t.Errorf("after the run: got %+v requests, %d cached; want 0 and 8", again.Requests, again.Cached)
	}
}

// TestInterveneEstimateForecast prices stage 3 from a forecast of stage 2:
// ceil(items per file / batch_size) batches per file, intervention type,
// stage-2 model and version, each one generation and one review (low) or
// review_rounds of both (high).
func TestInterveneEstimateForecast(t *testing.T) {
	dir := t.TempDir()
	llmsteptest.WritePrompts(t, dir, "sycophancy")
	rt, _ := llmsteptest.Runtime(t, t.TempDir(), nil)
	tests := []struct {
		name   string
		with   map[string]any
		items  int64
		files  int64
		models []string
		want   engine.Range
	}{
		{"full.yaml topic", nil, 300, 10, []string{"qwen"}, engine.Range{Low: 600, High: 1800}},
		{"odd items", nil, 7, 1, []string{"qwen"}, engine.Range{Low: 16, High: 48}},
		{"two stage-2 models", nil, 4, 1, []string{"qwen", "llama"}, engine.Range{Low: 16, High: 48}},
		{"stage2_model", map[string]any{"stage2_model": "qwen"}, 4, 1, []string{"qwen", "llama"}, engine.Range{Low: 8, High: 24}},
		{"one type, one round", map[string]any{"interventions": []any{"honesty_scare"}, "review_rounds": 1}, 4, 1, []string{"qwen"}, engine.Range{Low: 4, High: 4}},
		{"batch_size 4", map[string]any{"batch_size": 4}, 30, 1, []string{"qwen"}, engine.Range{Low: 32, High: 96}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sh := llmstep.PublishedShape(tt.files, 1)
			sh.Models, sh.Answer = tt.models, llmstep.PublishedAnswer
			f := &engine.Forecast{ID: "infer@sycophancy", Kind: "infer", Items: engine.Exactly(tt.items), Shape: sh}
			est, err := enginetest.Estimate(context.Background(), intervene.New(rt), spec(dir, tt.with), []*engine.Forecast{f})
			if err != nil {
				t.Fatal(err)
			}
			if est.Requests != tt.want {
				t.Errorf("requests: got %+v, want %+v", est.Requests, tt.want)
			}
		})
	}
}
