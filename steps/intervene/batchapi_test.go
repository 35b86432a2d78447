package intervene_test

import (
	"context"
	"errors"
	"maps"
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/engine/enginetest"
	"github.com/sptflow/sptflow/llm"
	"github.com/sptflow/sptflow/llm/llmtest"
	"github.com/sptflow/sptflow/steps/generate/llmstep/llmsteptest"
	"github.com/sptflow/sptflow/steps/intervene"
	"github.com/sptflow/sptflow/steps/spt/sptsim/sptfake"
)

// anthropicRun is one run of intervene against a fake Anthropic server
// (stage-3 answers and reviews from sptsim, half the reviews rejecting)
// over the request store and batch ledger in dir.
type anthropicRun struct {
	srv *llmtest.Server
	rt  *llm.Runtime
	res *enginetest.Result
}

func runAnthropic(t *testing.T, srv *llmtest.Server, dir, prompts string, with map[string]any) *anthropicRun {
	t.Helper()
	return runAnthropicModel(t, srv, dir, prompts, with, nil)
}

func runAnthropicModel(t *testing.T, srv *llmtest.Server, dir, prompts string, with, model map[string]any) *anthropicRun {
	t.Helper()
	r, err := tryAnthropic(t, srv, dir, prompts, with, model, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// tryAnthropic is one run; tweak, if set, changes the runtime's
// configuration.
func tryAnthropic(t *testing.T, srv *llmtest.Server, dir, prompts string, with, model map[string]any, tweak func(*llm.RuntimeConfig)) (*anthropicRun, error) {
	t.Helper()
	rt, done := llmsteptest.BatchRuntime(t, dir, tweak)
	defer done()
	s := spec(prompts, with)
	s.Models["sonnet"] = engine.ModelEntry{Name: "sonnet", Pos: "test.yaml:1:1", Raw: map[string]any{
		"provider": "anthropic", "model": "claude-sonnet-4-5", "max_tokens": 4096, "base_url": srv.URL,
		"api_key_env": "TEST_ANTHROPIC_KEY",
		"prices":      map[string]any{"input": 3.0, "output": 15.0, "batch_discount": 0.5}}}
	maps.Copy(s.Models["sonnet"].Raw, model)
	res, err := enginetest.Run(context.Background(), intervene.New(rt), s, upstream(stage2))
	return &anthropicRun{srv: srv, rt: rt, res: res}, err
}

func newAnthropicFake(t *testing.T) *llmtest.Server {
	t.Helper()
	script := &sptfake.Script{Sim: llm.SimOptions{ReviewRejectionRate: 0.6}}
	srv := llmtest.NewAnthropic(llmtest.Options{APIKey: "test-key", Script: script.Anthropic})
	t.Cleanup(srv.Close)
	return srv
}

// stamps are the times in stage-3 outputs: when a response was stored.
var stamps = regexp.MustCompile(`("generation_time": |"timestamp": ")[0-9.:T-]+`)

// TestBatchWavesEqualOnline: intervene with execution batch sends its
// generate-and-review rounds as batch waves (rejected batches are
// regenerated with the review's feedback in later waves), sends nothing
// online, pays half, and writes what an online run writes: the same
// records as an online run against a fresh store (times aside), and, byte
// for byte, what an online run over its store writes.
func TestBatchWavesEqualOnline(t *testing.T) {
	prompts := t.TempDir()
	llmsteptest.WritePrompts(t, prompts, "sycophancy")
	with := map[string]any{"review_feedback": true}

	online := runAnthropic(t, newAnthropicFake(t), t.TempDir(), prompts, with)
	if n := len(online.srv.Batches()); n != 0 {
		t.Fatalf("online run created %d batches", n)
	}

	dir := t.TempDir()
	batchWith := map[string]any{"review_feedback": true, "execution": "batch"}
	batched := runAnthropic(t, newAnthropicFake(t), dir, prompts, batchWith)
	st := batched.srv.Stats()
	if st.Billed != nil && st.Billed["claude-sonnet-4-5"].Replies != 0 {
		t.Errorf("batch run sent %d requests online, want 0", st.Billed["claude-sonnet-4-5"].Replies)
	}
	waves := batched.srv.Batches()
	t.Logf("batch waves (requests per batch): %v; cost online $%.6f, batch $%.6f", waves,
		online.rt.Totals().CostUSD, batched.rt.Totals().CostUSD)
	if len(waves) < 3 {
		t.Errorf("batches created: got %v, want at least 3 waves (generate, review, regenerate the rejected)", waves)
	}
	for i := 1; i < len(waves); i++ {
		if waves[i] > waves[0] {
			t.Errorf("wave %d holds %d requests, more than the first wave's %d (only rows that need it)", i+1, waves[i], waves[0])
		}
	}

	reviews := string(batched.res.Out.Files["stage_3_reviews/sycophancy_reviews.jsonl"])
	if !strings.Contains(reviews, `"verdict": false`) || !strings.Contains(reviews, `"review_round": 2`) {
		t.Fatalf("no rejected review and regeneration in the batch run; the test needs them:\n%s", reviews)
	}
	if got, want := batched.rt.Totals().CostUSD, online.rt.Totals().CostUSD/2; math.Abs(got-want) > 1e-9 || want == 0 {
		t.Errorf("cost: batch run $%.6f, want half the online run's $%.6f", got, online.rt.Totals().CostUSD)
	}
	compareOutputs(t, "batch run vs online run (times aside)", masked(batched.res.Out.Files), masked(online.res.Out.Files))

	// An online run over the batch run's store sends nothing and writes
	// the same bytes.
	again := runAnthropic(t, newAnthropicFake(t), dir, prompts, with)
	if st := again.srv.Stats(); st.Requests != 0 {
		t.Errorf("online rerun over the batch store sent %d requests, want 0", st.Requests)
	}
	compareOutputs(t, "online rerun vs batch run", again.res.Out.Files, batched.res.Out.Files)
}

func masked(files map[string][]byte) map[string][]byte {
	out := map[string][]byte{}
	for k, v := range files {
		out[k] = stamps.ReplaceAll(v, []byte("${1}T"))
	}
	return out
}

func compareOutputs(t *testing.T, what string, got, want map[string][]byte) {
	t.Helper()
	if g, w := slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)); !slices.Equal(g, w) {
		t.Fatalf("%s: files\n got %v\nwant %v", what, g, w)
	}
	for name, w := range want {
		if string(got[name]) != string(w) {
			t.Errorf("%s: %s differs:\n got %s\nwant %s", what, name, got[name], w)
		}
	}
}

// TestBatchWavesAutoTail: in auto, the waves go through the batch API
// while they hold at least the model's batch_threshold requests; the
// smaller tail (the regenerations of the few rejected batches and their
// reviews) goes online, and the outputs are still the online run's.
func TestBatchWavesAutoTail(t *testing.T) {
	prompts := t.TempDir()
	llmsteptest.WritePrompts(t, prompts, "sycophancy")
	with := map[string]any{"review_feedback": true}
	online := runAnthropic(t, newAnthropicFake(t), t.TempDir(), prompts, with)
	auto := runAnthropicModel(t, newAnthropicFake(t), t.TempDir(), prompts, with,
		map[string]any{"execution": "auto", "batch_threshold": 3})
	if got := auto.srv.Batches(); !slices.Equal(got, []int{4, 4}) {
		t.Errorf("batches: got %v, want [4 4] (first generations and their reviews; the waves of 2 go online)", got)
	}
	if got := auto.srv.Stats().Billed["claude-sonnet-4-5"].Replies; got == 0 {
		t.Errorf("online requests: got 0, want the tail's")
	}
	if got, full := auto.rt.Totals().CostUSD, online.rt.Totals().CostUSD; got >= full || got <= full/2 {
		t.Errorf("cost: auto $%.6f, want between half and all of the online run's $%.6f", got, full)
	}
	compareOutputs(t, "auto run vs online run (times aside)", masked(auto.res.Out.Files), masked(online.res.Out.Files))
}

// TestBatchWavesCrash: a run that dies in a later wave, after the
// provider created its batch and before its id was recorded, is resumed
// by the next run: the earlier waves come from the store, the interrupted
// wave's batch is adopted (no batch is created twice), and the outputs
// are the uninterrupted run's.
func TestBatchWavesCrash(t *testing.T) {
	prompts := t.TempDir()
	llmsteptest.WritePrompts(t, prompts, "sycophancy")
	with := map[string]any{"review_feedback": true, "execution": "batch"}
	whole := runAnthropic(t, newAnthropicFake(t), t.TempDir(), prompts, with)

	srv, dir := newAnthropicFake(t), t.TempDir()
	created := 0
	crash := errors.New("killed at the batch hook")
	hook := func(point string) error {
		if point == llm.HookBatchCreated {
			if created++; created == 3 {
				return crash
			}
		}
		return nil
	}
	if _, err := tryAnthropic(t, srv, dir, prompts, with, nil, func(c *llm.RuntimeConfig) { c.BatchHook = hook }); !errors.Is(err, crash) {
		t.Fatalf("interrupted run: got %v, want the crash", err)
	}
	resumed := runAnthropic(t, srv, dir, prompts, with)
	if got, want := srv.Batches(), whole.srv.Batches(); !slices.Equal(got, want) {
		t.Errorf("batches over both runs: got %v, want the uninterrupted run's %v", got, want)
	}
	if st := srv.Stats(); st.Billed["claude-sonnet-4-5"].Replies != 0 {
		t.Errorf("resumed run sent %d requests online, want 0", st.Billed["claude-sonnet-4-5"].Replies)
	}
	compareOutputs(t, "resumed vs uninterrupted (times aside)", masked(resumed.res.Out.Files), masked(whole.res.Out.Files))
}

// TestBatchWavesNoWait: without waiting, a run ends at the first wave
// still in flight; the reruns harvest it and go on with the next waves,
// never resubmitting, and end with the outputs of a run that waited.
func TestBatchWavesNoWait(t *testing.T) {
	prompts := t.TempDir()
	llmsteptest.WritePrompts(t, prompts, "sycophancy")
	with := map[string]any{"review_feedback": true, "execution": "batch"}
	whole := runAnthropic(t, newAnthropicFake(t), t.TempDir(), prompts, with)

	script := &sptfake.Script{Sim: llm.SimOptions{ReviewRejectionRate: 0.6}}
	srv := llmtest.NewAnthropic(llmtest.Options{APIKey: "test-key", Script: script.Anthropic,
		Batch: llmtest.BatchScript{Polls: 1}})
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	noWait := func(c *llm.RuntimeConfig) { c.BatchNoWait = true }
	var last *anthropicRun
	for run := 1; ; run++ {
		r, err := tryAnthropic(t, srv, dir, prompts, with, nil, noWait)
		if err == nil {
			last = r
			break
		}
		if !errors.Is(err, llm.ErrBatchesInFlight) {
			t.Fatalf("run %d: got %v, want batches in flight", run, err)
		}
		if got := len(srv.Batches()); got != run {
			t.Fatalf("after run %d: %d batches created, want %d (one new wave per run, none resubmitted)", run, got, run)
		}
	}
	if got, want := srv.Batches(), whole.srv.Batches(); !slices.Equal(got, want) {
		t.Errorf("batches over the runs: got %v, want the waiting run's %v", got, want)
	}
	compareOutputs(t, "no-wait runs vs a waiting run (times aside)", masked(last.res.Out.Files), masked(whole.res.Out.Files))
}

// TestBatchWavesNodeWins: the node's with.execution wins over the model
// entry's, both ways.
func TestBatchWavesNodeWins(t *testing.T) {
	prompts := t.TempDir()
	llmsteptest.WritePrompts(t, prompts, "sycophancy")
	for _, tc := range []struct {
		node, entry string
		batched     bool
	}{
		{"online", "batch", false},
		{"batch", "online", true},
		{"", "batch", true},
		{"", "online", false},
	} {
		with := map[string]any{}
		if tc.node != "" {
			with["execution"] = tc.node
		}
		r := runAnthropicModel(t, newAnthropicFake(t), t.TempDir(), prompts, with, map[string]any{"execution": tc.entry})
		if got := len(r.srv.Batches()) > 0; got != tc.batched {
			t.Errorf("node %q, entry %q: batched %v, want %v", tc.node, tc.entry, got, tc.batched)
		}
	}
}
