package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/engine/store"
)

// simPipeline is the full pipeline's graph on sim models that reject 40%
// of stage-3 reviews, so batches take several rounds.
const simPipeline = `version: 1
name: estimate-sim
prompts: prompts
data: data
vars:
  topics: [sycophancy, reward_hacks]
models:
  opus: {provider: sim, model: claude-opus-4-1, max_tokens: 8000, prices: {input: 15, output: 75}}
  qwen32: {provider: sim, model: qwen/qwen3-32b, max_tokens: 2048, prices: {input: 0.1, output: 0.3}}
  sonnet: {provider: sim, model: claude-sonnet-4-5-20250929, max_tokens: 40000, prices: {input: 3, output: 15},
           sim: {review_rejection_rate: 0.4}}
nodes:
  generate: {kind: generate, foreach: {topic: ${topics}}, with: {model: opus, batches: 3, items_per_batch: 4}}
  infer: {kind: infer, foreach: {topic: ${topics}}, needs: [generate], with: {models: [qwen32]}}
  intervene: {kind: intervene, foreach: {topic: ${topics}}, needs: [infer],
              with: {model: sonnet, review_model: sonnet, version: version_4, batch_size: 2}}
  tag: {kind: tag, foreach: {topic: ${topics}}, needs: [intervene]}
`

// TestEstimateContainsWhatASimRunSends runs a pipeline with an empty store
// and checks, per node, that the request range the run recorded in its
// journal at its start (priced from forecasts: no upstream existed)
// contains the requests the run sent.
func TestEstimateContainsWhatASimRunSends(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("SPTFLOW_HOME", "")
	if err := exec.Command("cp", "-r", "../../prompts", filepath.Join(dir, "prompts")).Run(); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{"p.yaml": simPipeline, "go.mod": "module x\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"run", filepath.Join(dir, "p.yaml"), "--log-level", "error"}, &out, &errOut); err != nil {
		t.Fatalf("run: %v\n%s%s", err, out.String(), errOut.String())
	}
	st, err := store.Open(filepath.Join(dir, ".sptflow"))
	if err != nil {
		t.Fatal(err)
	}
	dirs, err := st.RunDirs()
	if err != nil || len(dirs) != 1 {
		t.Fatalf("run dirs: got %v, %v; want one", dirs, err)
	}
	evs, err := engine.ReadJournal(dirs[0])
	if err != nil {
		t.Fatal(err)
	}
	rec := engine.Summarize("run", evs)
	actual := map[string]int{}
	for _, n := range nodeUsage(evs) {
		actual[n.node] += n.Requests + n.Cached
	}
	checked := 0
	for _, ne := range rec.Estimates {
		got, x := int64(actual[ne.Node]), ne.Estimate
		if ne.Node == "total" {
			got = int64(rec.Usage.Requests + rec.Usage.Cached)
		}
		if got < x.Requests.Low || got > x.Requests.High || ne.Unpriced > 0 {
			t.Errorf("node %s: sent %d requests, outside the estimate %d–%d (%d unpriced)", ne.Node, got, x.Requests.Low, x.Requests.High, ne.Unpriced)
		}
		if got > 0 {
			checked++
		}
	}
	if checked != 4 { // generate, infer, intervene, total
		t.Errorf("estimates checked: got %d, want 4: %+v", checked, rec.Estimates)
	}
	if rec.Usage.CostUSD <= 0 {
		t.Errorf("the sim run cost nothing: %+v", rec.Usage)
	}
}

func TestEstimateFormatting(t *testing.T) {
	tests := []struct{ got, want string }{
		{num(0), "0"},
		{num(999), "999"},
		{num(12740), "12,740"},
		{num(-1234567), "-1,234,567"},
		{rangeText(engine.Range{Low: 3, High: 3}), "3"},
		{rangeText(engine.Range{Low: 4200, High: 8400}), "4,200–8,400"},
		{dollars(engine.Dollars{Low: 0.954, High: 1.886}), "$0.95–1.89"},
		{dollars(engine.Dollars{Low: 0.001, High: 0.004}), "$0.00"},
		{plural(1, "partition"), "1 partition"},
		{plural(14, "partition"), "14 partitions"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}
