package generate_test

import (
	"context"
	"testing"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/engine/enginetest"
	"github.com/sptflow/sptflow/steps/generate"
	"github.com/sptflow/sptflow/steps/generate/llmstep"
	"github.com/sptflow/sptflow/steps/generate/llmstep/llmsteptest"
)

// TestGenerateEstimate: a batch is one ask (low) or max_attempts asks
// (high); the forecast holds batches × items_per_batch items (at most
// --limit); batches in the request store are counted as served by it.
func TestGenerateEstimate(t *testing.T) {
	dir := t.TempDir()
	llmsteptest.WritePrompts(t, dir, "sycophancy")
	tests := []struct {
		name      string
		with      map[string]any
		limit     int
		want      engine.Range
		wantItems int64
		wantFiles int64
	}{
		{"defaults", map[string]any{"model": "opus"}, 0, engine.Range{Low: 1, High: 3}, 30, 1},
		{"full.yaml topic", map[string]any{"model": "opus", "batches": 10, "items_per_batch": 30}, 0, engine.Range{Low: 10, High: 30}, 300, 10},
		{"one ask", map[string]any{"model": "opus", "batches": 4, "items_per_batch": 5, "max_attempts": 1}, 0, engine.Range{Low: 4, High: 4}, 20, 4},
		{"limit", map[string]any{"model": "opus", "batches": 10, "items_per_batch": 30}, 45, engine.Range{Low: 2, High: 6}, 45, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt, _ := llmsteptest.Runtime(t, t.TempDir(), nil)
			s := spec(dir, tt.with)
			s.Options.Limit = tt.limit
			est, err := enginetest.Estimate(context.Background(), generate.New(rt), s, nil)
			if err != nil {
				t.Fatal(err)
			}
			if est.Requests != tt.want || est.Cached != 0 {
				t.Errorf("requests: got %+v (%d cached), want %+v", est.Requests, est.Cached, tt.want)
			}
			if est.Output == nil || est.Output.Items != engine.Exactly(tt.wantItems) {
				t.Fatalf("forecast: got %+v, want %d items", est.Output, tt.wantItems)
			}
			if sh := est.Output.Shape.(*llmstep.Shape); sh.Files != tt.wantFiles || sh.T != llmstep.PublishedT {
				t.Errorf("forecast shape: got %+v, want %d files of the published sizes", sh, tt.wantFiles)
			}
		})
	}
}

func TestGenerateEstimateAfterARun(t *testing.T) {
	dir := t.TempDir()
	llmsteptest.WritePrompts(t, dir, "sycophancy")
	rt, count := llmsteptest.Runtime(t, t.TempDir(), nil)
	s := spec(dir, map[string]any{"model": "opus", "batches": 2, "items_per_batch": 3})
	if _, err := run(t, rt, s); err != nil {
		t.Fatal(err)
	}
	s = spec(dir, map[string]any{"model": "opus", "batches": 3, "items_per_batch": 3})
	est, err := enginetest.Estimate(context.Background(), generate.New(rt), s, nil)
	if err != nil {
		t.Fatal(err)
	}
	if est.Requests != (engine.Range{Low: 1, High: 3}) || est.Cached != 2 {
		t.Errorf("third batch: got %+v requests, %d cached; want 1–3 and 2", est.Requests, est.Cached)
	}
	if sent := count.Count("stage_1_generation"); sent != 2 {
		t.Errorf("estimating sent requests: got %d sent, want the run's 2", sent)
	}
}
