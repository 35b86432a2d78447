package infer_test

import (
	"context"
	"testing"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/engine/enginetest"
	"github.com/sptflow/sptflow/steps/generate/llmstep"
	"github.com/sptflow/sptflow/steps/generate/llmstep/llmsteptest"
	"github.com/sptflow/sptflow/steps/infer"
)

// TestInferEstimate: with stage 1 at hand the rows are exact (item ×
// variant × model, B only where present); from a forecast an item is
// answered under A (low) or A and B (high); the forecast passes the items
// on with the models' answers.
func TestInferEstimate(t *testing.T) {
	rt, _ := llmsteptest.Runtime(t, t.TempDir(), nil)
	ctx := context.Background()
	est, err := enginetest.Estimate(ctx, infer.New(rt), spec("qwen", "llama"), nil, upstream(map[string]string{"batch_x.json": stage1}))
	if err != nil {
		t.Fatal(err)
	}
	if want := engine.Exactly(8); est.Requests != want {
		t.Errorf("exact: got %+v requests, want %+v (4 rows × 2 models)", est.Requests, want)
	}
	if est.Output == nil || est.Output.Items != engine.Exactly(3) {
		t.Fatalf("exact forecast: got %+v, want 3 items", est.Output)
	}

	f := &engine.Forecast{ID: "generate@sycophancy", Kind: "generate", Items: engine.Exactly(300), Shape: llmstep.PublishedShape(10, 1)}
	est, err = enginetest.Estimate(ctx, infer.New(rt), spec("qwen"), []*engine.Forecast{f})
	if err != nil {
		t.Fatal(err)
	}
	if want := (engine.Range{Low: 300, High: 600}); est.Requests != want {
		t.Errorf("forecast: got %+v requests, want %+v", est.Requests, want)
	}
	sh, ok := est.Output.Shape.(*llmstep.Shape)
	if !ok || len(sh.Models) != 1 || sh.Models[0] != "qwen/qwen3-32b" || sh.Files != 10 || sh.Answer <= 0 {
		t.Errorf("forecast shape: got %+v, want 10 files answered by qwen/qwen3-32b", est.Output.Shape)
	}
	s := spec("qwen")
	s.Options.Limit = 6
	if est, err = enginetest.Estimate(ctx, infer.New(rt), s, []*engine.Forecast{f}); err != nil || est.Requests != (engine.Range{Low: 6, High: 12}) {
		t.Errorf("--limit 6: got %+v, %v; want 6–12 requests", est.Requests, err)
	}
}
