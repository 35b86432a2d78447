package intervene_test

import (
	"context"
	"sync/atomic"
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
	if again.Requests.High != 0 || again.Cached != sent {
		t.Errorf("after the run: got %+v requests, %d cached; want 0 and %d (every round the run sent)", again.Requests, again.Cached, sent)
	}
}

// TestInterveneEstimateResumes: a partition whose review loops the request
// store holds in part (here: a run with one review round, all rejected,
// before the pipeline asks for three) is priced from where the store
// stops, and what a run then sends lies in that range.
func TestInterveneEstimateResumes(t *testing.T) {
	dir := t.TempDir()
	llmsteptest.WritePrompts(t, dir, "sycophancy")
	rt, count := llmsteptest.Runtime(t, t.TempDir(), map[string]llm.SimResponder{spt.Stage3ReviewToolName: rejectAll{}})
	if _, _, err := run(t, rt, spec(dir, map[string]any{"review_rounds": 1}), stage2); err != nil {
		t.Fatal(err)
	}
	first := int64(count.Count(spt.Stage3GenerationToolName) + count.Count(spt.Stage3ReviewToolName))
	s := spec(dir, map[string]any{"review_rounds": 3})
	est, err := enginetest.Estimate(context.Background(), intervene.New(rt), s, nil, upstream(stage2))
	if err != nil {
		t.Fatal(err)
	}
	// 4 batches: round 1 stored (generation and review); rounds 2 and 3 left.
	if want := (engine.Range{Low: 8, High: 16}); est.Requests != want || est.Cached != first || first != 8 {
		t.Errorf("got %+v requests, %d cached; want %+v and %d (the first run's 8)", est.Requests, est.Cached, want, first)
	}
	if _, _, err := run(t, rt, s, stage2); err != nil {
		t.Fatal(err)
	}
	sent := int64(count.Count(spt.Stage3GenerationToolName)+count.Count(spt.Stage3ReviewToolName)) - first
	if sent < est.Requests.Low || sent > est.Requests.High {
		t.Errorf("sent %d requests, outside the estimate %+v", sent, est.Requests)
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

// reviewsDown answers reviews that fail validation (nothing is stored)
// while down is set, and rejects every batch after.
type reviewsDown struct{ down *atomic.Bool }

func (r reviewsDown) Respond(req *llm.Request, seed uint64) (*llm.Response, error) {
	if r.down.Load() {
		return &llm.Response{StopReason: llm.StopToolUse, ToolCalls: []llm.ToolCall{{Name: spt.Stage3ReviewToolName,
			Arguments: []byte(`{"thought_process": "x"}`)}}}, nil
	}
	return rejectAll{}.Respond(req, seed)
}

// TestInterveneEstimateReviewMissing: a batch whose first generation is
// stored but not its review (a run stopped between them) is priced for
// that review and the rounds after it, not counted as served.
func TestInterveneEstimateReviewMissing(t *testing.T) {
	dir := t.TempDir()
	llmsteptest.WritePrompts(t, dir, "sycophancy")
	down := &atomic.Bool{}
	down.Store(true)
	rt, count := llmsteptest.Runtime(t, t.TempDir(), map[string]llm.SimResponder{spt.Stage3ReviewToolName: reviewsDown{down}})
	s := spec(dir, map[string]any{"review_rounds": 3})
	if _, _, err := run(t, rt, s, stage2); err != nil {
		t.Fatal(err)
	}
	est, err := enginetest.Estimate(context.Background(), intervene.New(rt), s, nil, upstream(stage2))
	if err != nil {
		t.Fatal(err)
	}
	// 4 batches, each with its round-1 generation stored: low one review
	// each; high that review, then 2 more rounds of both.
	if want := (engine.Range{Low: 4, High: 20}); est.Requests != want || est.Cached != 4 {
		t.Errorf("got %+v requests, %d cached; want %+v and 4", est.Requests, est.Cached, want)
	}
	down.Store(false)
	before := int64(count.Count(spt.Stage3GenerationToolName) + count.Count(spt.Stage3ReviewToolName))
	if _, _, err := run(t, rt, s, stage2); err != nil {
		t.Fatal(err)
	}
	sent := int64(count.Count(spt.Stage3GenerationToolName)+count.Count(spt.Stage3ReviewToolName)) - before
	if sent < est.Requests.Low || sent > est.Requests.High {
		t.Errorf("sent %d requests, outside the estimate %+v", sent, est.Requests)
	}
}
