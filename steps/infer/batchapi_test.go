package infer_test

import (
	"context"
	"errors"
	"math"
	"regexp"
	"strings"
	"testing"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/engine/enginetest"
	"github.com/sptflow/sptflow/llm"
	"github.com/sptflow/sptflow/llm/llmtest"
	"github.com/sptflow/sptflow/steps/generate/llmstep"
	"github.com/sptflow/sptflow/steps/generate/llmstep/llmsteptest"
	"github.com/sptflow/sptflow/steps/infer"
	"github.com/sptflow/sptflow/steps/spt/sptsim/sptfake"
)

// runClaude runs infer with an Anthropic target model against srv over
// the request store and batch ledger in dir.
func runClaude(t *testing.T, srv *llmtest.Server, dir, execution string) (*enginetest.Result, *llm.Runtime, error) {
	t.Helper()
	rt, done := llmsteptest.BatchRuntime(t, dir, nil)
	defer done()
	s := spec("claude")
	s.With["execution"] = execution
	s.Models["claude"] = engine.ModelEntry{Name: "claude", Pos: "test.yaml:1:1", Raw: map[string]any{
		"provider": "anthropic", "model": "claude-haiku-4-5", "max_tokens": 1024, "base_url": srv.URL,
		"api_key_env": "TEST_ANTHROPIC_KEY", "prices": map[string]any{"input": 1.0, "output": 5.0, "batch_discount": 0.5}}}
	res, err := enginetest.Run(context.Background(), infer.New(rt), s, upstream(map[string]string{"batch_x.json": stage1}))
	return res, rt, err
}

func newFake(t *testing.T, fate func(string, int) llmtest.BatchFate) *llmtest.Server {
	t.Helper()
	script := &sptfake.Script{}
	srv := llmtest.NewAnthropic(llmtest.Options{APIKey: "test-key", Script: script.Anthropic,
		Batch: llmtest.BatchScript{Polls: 1, Fate: fate}})
	t.Cleanup(srv.Close)
	return srv
}

// latency is the one field of a stage-2 record a batch result leaves out:
// how long the online call took.
var latency = regexp.MustCompile(`"generation_time": [0-9.e-]+`)

// TestInferBatch: with execution batch every answer comes from one batch,
// nothing is sent online, it costs half, and the records are the online
// run's (latency aside).
func TestInferBatch(t *testing.T) {
	online, ort, err := runClaude(t, newFake(t, nil), t.TempDir(), "online")
	if err != nil {
		t.Fatal(err)
	}
	srv := newFake(t, nil)
	batched, brt, err := runClaude(t, srv, t.TempDir(), "batch")
	if err != nil {
		t.Fatal(err)
	}
	if got := srv.Batches(); len(got) != 1 || got[0] != 4 {
		t.Errorf("batches: got %v, want one of 4 requests", got)
	}
	if got := srv.Stats().Billed["claude-haiku-4-5"].Replies; got != 0 {
		t.Errorf("online requests: got %d, want 0", got)
	}
	if got, want := brt.Totals().CostUSD, ort.Totals().CostUSD/2; want == 0 || math.Abs(got-want) > 1e-12 {
		t.Errorf("cost: got $%.6f, want half the online run's $%.6f", got, ort.Totals().CostUSD)
	}
	name := "stage_2/sycophancy/batch_x.json"
	if !strings.Contains(string(batched.Out.Files[name]), `"generation_time": 0.0,`) {
		t.Errorf("batched records: want generation_time 0.0 (a batch has no per-request latency):\n%s", batched.Out.Files[name])
	}
	got := latency.ReplaceAll(batched.Out.Files[name], []byte("T"))
	want := latency.ReplaceAll(online.Out.Files[name], []byte("T"))
	if string(got) != string(want) {
		t.Errorf("batch output differs from the online run's:\n got %s\nwant %s", got, want)
	}
}

// TestInferBatchRefused: a request the batch API refuses is a failed row
// (left out, asked again on the next run), not sent online.
func TestInferBatchRefused(t *testing.T) {
	srv := newFake(t, func(_ string, i int) llmtest.BatchFate {
		if i == 0 {
			return llmtest.BatchFate{Error: "messages.0.content: invalid"}
		}
		return llmtest.BatchFate{}
	})
	res, _, err := runClaude(t, srv, t.TempDir(), "batch")
	if !errors.Is(err, llmstep.ErrRowsFailed) {
		t.Fatalf("run: got %v, want ErrRowsFailed", err)
	}
	if got := srv.Stats().Billed["claude-haiku-4-5"].Replies; got != 0 {
		t.Errorf("online requests: got %d, want 0 (the refused request is not sent again)", got)
	}
	if res.Rows.Failed != 1 {
		t.Errorf("failed rows: got %d, want 1", res.Rows.Failed)
	}
}
