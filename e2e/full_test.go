package e2e

import (
	"regexp"
	"strconv"
	"testing"

	"github.com/sptflow/sptflow/llm/llmtest"
	"github.com/sptflow/sptflow/pyjson"
	"github.com/sptflow/sptflow/steps/spt"
)

// experiment is a small experiment over pipelines/full.yaml for the fake
// servers: the given topics at a small size, and no client-side rate
// limits (the fakes do not enforce any; full.yaml's tier limits would only
// slow the test down).
func experiment(topics string, batches, items int) string {
	return `extends: ../full.yaml
name: spt-e2e
vars:
  topics: ` + topics + `
  batches: ` + strconv.Itoa(batches) + `
  items_per_batch: ` + strconv.Itoa(items) + `
models:
  opus: {rpm: 0, input_tpm: 0, output_tpm: 0}
  sonnet: {rpm: 0, input_tpm: 0, output_tpm: 0}
  qwen32: {rpm: 0}
`
}

const e2ePipeline = "pipelines/experiments/e2e.yaml"

// fullShapes is what full.yaml's stages write with real (non-sim) providers.
func fullShapes() []stageShape {
	models := []string{"qwen/qwen3-32b"}
	ivs := []string{"honesty_scare__version_4", "split_personality__version_4"}
	return []stageShape{
		{dir: "stage_1"},
		{dir: "stage_2", item: []string{"inferences"}, variant: []string{}, models: models},
		{dir: "stage_3", item: []string{"inferences"}, variant: []string{"interventions"}, record: []string{},
			models: models, recordKeys: ivs},
		{dir: "stage_3_tagged", item: []string{"inferences"}, variant: []string{"interventions", "tags"},
			record: []string{"tags", "id_numeric", "id_string"}, models: models, recordKeys: ivs},
	}
}

var summaryRE = regexp.MustCompile(`llm calls: (\d+) new, (\d+) cached, (\d+) failed \((\d+) attempts, (\d+) rate-limited\)`)

// TestFullPipelineWithFaults runs full.yaml on two topics against the fake
// Anthropic (stages 1 and 3) and OpenRouter (stage 2) servers, with 429s
// with and without Retry-After, 500/502/529, a truncated tool call,
// malformed tool JSON and a max-tokens stop injected: the run completes and
// every stage's files have the original shapes.
func TestFullPipelineWithFaults(t *testing.T) {
	t.Parallel()
	p := newProject(t)
	p.write(e2ePipeline, experiment("[sycophancy, reward_hacks]", 2, 3))
	f := newFakes(t, p, fakeOptions{faults: map[kind][]llmtest.Fault{
		stage1: {llmtest.RateLimited("1"), {ToolArgs: `{"batch_data": [{"thought_process": "cut`, Truncate: true},
			llmtest.Overloaded(), {ToolArgs: `{"batch_data": [{"A": }]}`}},
		stage2: {llmtest.RateLimited(""), llmtest.ServerError(502), {Text: "An answer cut short by the tok", StopReason: "length"}},
		stage3: {llmtest.ServerError(500), {ToolArgs: `{"batch_thinking": "x", "batch_interventions": [`}, llmtest.RateLimited("1")},
		review: {llmtest.Overloaded()},
	}})
	out := p.run("run", e2ePipeline, "tag", "export")
	m := summaryRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no llm summary in the output:\n%s", tail(out, 20))
	}
	t.Logf("%s; fake requests: %d anthropic, %d openrouter", m[0], len(f.anthropic.requests()), len(f.openrouter.requests()))
	if m[3] != "0" {
		t.Errorf("failed calls: got %s, want 0 (every fault is retried)\n%s", m[3], m[0])
	}
	if n, _ := strconv.Atoi(m[5]); n < 3 {
		t.Errorf("rate-limited attempts: got %d, want at least the 3 injected 429s\n%s", n, m[0])
	}
	c := checkShapes(t, p.data(), []string{"sycophancy", "reward_hacks"}, fullShapes())
	if c.files["stage_1"] != 4 || c.items["stage_3_tagged"] != 12 {
		t.Errorf("got %d stage-1 files and %d tagged items, want 4 and 12", c.files["stage_1"], c.items["stage_3_tagged"])
	}
	if c.verdicts["stage_3_tagged PASS"] == 0 || c.verdicts["stage_3_tagged FAIL"] == 0 || c.variants["stage_3_tagged B"] == 0 {
		t.Errorf("degenerate data: verdicts %v, variants %v", c.verdicts, c.variants)
	}
	if !hasStop(t, p.data()+"/stage_2/sycophancy", "max_tokens") && !hasStop(t, p.data()+"/stage_2/reward_hacks", "max_tokens") {
		t.Errorf("the injected max-tokens stop is not recorded as stop_reason max_tokens in stage 2")
	}
	for _, k := range []kind{stage1, stage2, stage3, review} {
		if f.count(k) == 0 {
			t.Errorf("the fakes saw no %s request", k)
		}
	}
}

// hasStop reports whether a stage-2 record under dir has stop_reason stop.
func hasStop(t *testing.T, dir, stop string) bool {
	t.Helper()
	for _, name := range batchNames(t, dir) {
		items, _ := spt.Data(readDoc(t, dir+"/"+name))
		for _, it := range items {
			infs := it.(*pyjson.Object).Obj("inferences")
			for _, m := range infs.Keys() {
				for _, v := range infs.Obj(m).Keys() {
					if s, _ := infs.Obj(m).Obj(v).Str("stop_reason"); s == stop {
						return true
					}
				}
			}
		}
	}
	return false
}
