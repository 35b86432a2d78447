package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sptflow/sptflow/pyjson"
	"github.com/sptflow/sptflow/steps/spt"
)

// Partial reruns of full.yaml (two topics) against the fake servers: what
// a change re-runs, and which requests it sends, seen in the run's journal
// lines and the servers' request logs.

const twoTopics = "[sycophancy, reward_hacks]"

// rerunProject is a project with the e2e experiment and fakes whose
// stage-1 replicas differ.
func rerunProject(t *testing.T, batches int) (*project, *fakes) {
	p := newProject(t)
	p.write(e2ePipeline, experiment(twoTopics, batches, 3))
	return p, newFakes(t, p, fakeOptions{varyRepeats: true})
}

// executed returns the partitions a run's log says were executed.
func executed(t *testing.T, out string) []string {
	t.Helper()
	var parts []string
	for line := range strings.Lines(out) {
		var e struct {
			Partition string `json:"partition"`
			Status    string `json:"status"`
		}
		if json.Unmarshal([]byte(line), &e) == nil && e.Status == "executed" {
			parts = append(parts, e.Partition)
		}
	}
	slices.Sort(parts)
	return parts
}

// since returns the requests received after the first n.
func since(rs []received, n int) []received { return rs[n:] }

func mark(f *fakes) (int, int) { return len(f.anthropic.requests()), len(f.openrouter.requests()) }

// after returns the requests both servers received after a mark.
func after(f *fakes, a, o int) []received {
	return append(since(f.anthropic.requests(), a), since(f.openrouter.requests(), o)...)
}

// TestRunOnePartitionCallsOnlyItsTopic: `run … intervene@sycophancy` on a
// fresh project runs sycophancy's generate, infer and intervene and sends
// no request about reward_hacks.
func TestRunOnePartitionCallsOnlyItsTopic(t *testing.T) {
	t.Parallel()
	p, f := rerunProject(t, 2)
	out := p.run("run", e2ePipeline, "intervene@sycophancy")
	want := []string{"generate@sycophancy", "infer@sycophancy", "intervene@sycophancy"}
	if got := executed(t, out); !slices.Equal(got, want) {
		t.Errorf("executed %v, want %v", got, want)
	}
	for _, r := range f.all() {
		if strings.Contains(strings.ToLower(r.user), "reward hacks") {
			t.Errorf("%s request about reward hacks: %.80q", r.kind, r.user)
		}
	}
	if f.count(stage1) != 2 || f.count(stage2) == 0 || f.count(stage3) == 0 {
		t.Errorf("got %d stage-1, %d stage-2 and %d stage-3 requests, want 2 and some", f.count(stage1), f.count(stage2), f.count(stage3))
	}
	if _, err := os.Stat(filepath.Join(p.data(), "stage_1", "reward_hacks")); err == nil {
		t.Errorf("stage_1/reward_hacks was written")
	}
}

// TestRaisingBatchesSendsOnlyTheThirdBatch: batches 2 -> 3 sends one
// stage-1 request per topic, then stage-2 and stage-3 requests for the new
// batch files' items only.
func TestRaisingBatchesSendsOnlyTheThirdBatch(t *testing.T) {
	t.Parallel()
	p, f := rerunProject(t, 2)
	p.run("run", e2ePipeline, "tag", "export")
	old := bodyCounts(f.all())
	a, o := mark(f)
	p.write(e2ePipeline, experiment(twoTopics, 3, 3))
	p.run("run", e2ePipeline, "tag", "export")
	newTasks := map[string]bool{}
	for _, topic := range []string{"sycophancy", "reward_hacks"} {
		files := batchNames(t, filepath.Join(p.data(), "stage_1", topic))
		if len(files) != 3 || !strings.HasSuffix(files[2], "_batch_003.json") {
			t.Fatalf("%s: got files %v, want three, the last batch 3", topic, files)
		}
		items, _ := spt.Data(readDoc(t, filepath.Join(p.data(), "stage_1", topic, files[2])))
		for _, it := range items {
			task, _ := it.(*pyjson.Object).Str("T")
			newTasks[task] = true
		}
	}
	perKind := map[kind]int{}
	for _, r := range after(f, a, o) {
		perKind[r.kind]++
		// A new stage-1 batch is a new replica of the same body.
		if old[r.body] > 0 && r.kind != stage1 {
			t.Errorf("%s request sent again: %.80q", r.kind, r.user)
		}
		if r.kind == stage2 && !newTasks[r.user] {
			t.Errorf("stage-2 request for an old item: %.80q", r.user)
		}
		if r.kind == stage3 && !mentionsAny(r.user, newTasks) {
			t.Errorf("stage-3 request without a sample of the new batch")
		}
	}
	if perKind[stage1] != 2 || perKind[stage2] == 0 || perKind[stage3] == 0 {
		t.Errorf("got %v new requests, want 2 stage-1 and some stage-2 and stage-3", perKind)
	}
}

func mentionsAny(text string, tasks map[string]bool) bool {
	for task := range tasks {
		if strings.Contains(text, "**User Message (T):** "+task+"\n") {
			return true
		}
	}
	return false
}

// TestAddingAStage2ModelSendsOnlyItsRequests: a second target model in
// infer sends that model's stage-2 answers and the stage-3 batches of its
// answers, nothing else.
func TestAddingAStage2ModelSendsOnlyItsRequests(t *testing.T) {
	t.Parallel()
	p, f := rerunProject(t, 2)
	p.run("run", e2ePipeline, "tag", "export")
	old := bodyCounts(f.all())
	a, o := mark(f)
	p.write("pipelines/experiments/e2e_llama.yaml", `extends: e2e.yaml
name: spt-e2e-llama
models:
  llama70: {provider: openrouter, model: meta-llama/llama-3.3-70b-instruct, max_tokens: 2048, temperature: 0.8}
vars:
  stage2_models: [qwen32, llama70]
`)
	out := p.run("run", "pipelines/experiments/e2e_llama.yaml", "tag", "export")
	want := []string{"export", "infer@reward_hacks", "infer@sycophancy", "intervene@reward_hacks", "intervene@sycophancy",
		"tag@reward_hacks", "tag@sycophancy"}
	if got := executed(t, out); !slices.Equal(got, want) {
		t.Errorf("executed %v, want %v", got, want)
	}
	perKind := map[kind]int{}
	for _, r := range after(f, a, o) {
		perKind[r.kind]++
		if old[r.body] > 0 {
			t.Errorf("%s request sent again: %.80q", r.kind, r.user)
		}
		if r.kind == stage2 && r.model != "meta-llama/llama-3.3-70b-instruct" {
			t.Errorf("stage-2 request to %s, want only the new model", r.model)
		}
	}
	if perKind[stage1] != 0 || perKind[stage2] == 0 || perKind[stage3] == 0 {
		t.Errorf("got %v new requests, want no stage-1 and some stage-2 and stage-3", perKind)
	}
	// The experiment materializes into its own tree (data/spt-e2e-llama), never into its base's.
	checkShapes(t, filepath.Join(p.dir, "data", "spt-e2e-llama"), []string{"sycophancy", "reward_hacks"}, []stageShape{{dir: "stage_3", item: []string{"inferences"},
		variant: []string{"interventions"}, record: []string{}, models: []string{"qwen/qwen3-32b", "meta-llama/llama-3.3-70b-instruct"},
		recordKeys: []string{"honesty_scare__version_4", "split_personality__version_4"}}})
}

// TestEditingOneStage3PromptRerunsOnlyThatTopic: editing sycophancy's
// split-personality prompt re-runs intervene, tag and export for
// sycophancy and sends only split-personality generations (and their
// reviews) for it.
func TestEditingOneStage3PromptRerunsOnlyThatTopic(t *testing.T) {
	t.Parallel()
	p, f := rerunProject(t, 2)
	p.run("run", e2ePipeline, "tag", "export")
	a, o := mark(f)
	prompt := filepath.Join(p.dir, "prompts", filepath.FromSlash(spt.Stage3File("sycophancy", "split_personality")))
	text, err := os.ReadFile(prompt)
	if err != nil {
		t.Fatal(err)
	}
	p.write("prompts/"+spt.Stage3File("sycophancy", "split_personality"), string(text)+"\nKeep every review under 200 words.\n")
	out := p.run("run", e2ePipeline, "tag", "export")
	want := []string{"export", "intervene@sycophancy", "tag@sycophancy"}
	if got := executed(t, out); !slices.Equal(got, want) {
		t.Errorf("executed %v, want %v", got, want)
	}
	perKind := map[kind]int{}
	for _, r := range after(f, a, o) {
		perKind[r.kind]++
		if r.kind == stage3 && (!strings.Contains(r.user, "Keep every review under 200 words.") || !strings.Contains(r.user, "Sycophancy")) {
			t.Errorf("stage-3 request not from the edited prompt: %.80q", r.user)
		}
	}
	if perKind[stage1]+perKind[stage2] != 0 || perKind[stage3] == 0 {
		t.Errorf("got %v new requests, want stage-3 generations (and reviews) only", perKind)
	}
}
