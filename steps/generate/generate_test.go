package generate_test

import (
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/engine/enginetest"
	"github.com/sptflow/sptflow/llm"
	"github.com/sptflow/sptflow/pyjson"
	"github.com/sptflow/sptflow/steps/generate"
	"github.com/sptflow/sptflow/steps/generate/llmstep"
	"github.com/sptflow/sptflow/steps/generate/llmstep/llmsteptest"
	"github.com/sptflow/sptflow/steps/spt"
	"github.com/sptflow/sptflow/steps/spt/sptsim"
)

func spec(dir string, with map[string]any) *engine.PartitionSpec {
	s := enginetest.Spec("generate", dir, with, engine.KV{Key: "topic", Value: "sycophancy"})
	s.Models["opus"] = llmsteptest.SimModel("opus", nil)
	return s
}

func run(t *testing.T, rt *llm.Runtime, s *engine.PartitionSpec) (*enginetest.Result, error) {
	t.Helper()
	return enginetest.Run(context.Background(), generate.New(rt), s)
}

func batchFiles(out *enginetest.Output) []string {
	var names []string
	for _, p := range out.Paths() {
		if strings.HasPrefix(p, "stage_1/") {
			names = append(names, p)
		}
	}
	return names
}

func TestGenerateWritesOriginalShape(t *testing.T) {
	dir := t.TempDir()
	llmsteptest.WritePrompts(t, dir, "sycophancy")
	rt, count := llmsteptest.Runtime(t, t.TempDir(), nil)
	res, err := run(t, rt, spec(dir, map[string]any{"model": "opus", "batches": 3, "items_per_batch": 4}))
	if err != nil {
		t.Fatal(err)
	}
	files := batchFiles(res.Out)
	if len(files) != 3 || count.Count(spt.Stage1ToolName) != 3 {
		t.Fatalf("got %d files and %d requests, want 3 and 3: %v", len(files), count.Count(spt.Stage1ToolName), files)
	}
	for i, f := range files {
		doc, err := pyjson.ParseObject(res.Out.Files[f])
		if err != nil {
			t.Fatal(err)
		}
		wantKeys := []string{"batch_id", "generation_timestamp", "model_used", "stage", "topic", "data", "project_feedback", "simulated"}
		if got := doc.Keys(); !slices.Equal(got, wantKeys) {
			t.Errorf("%s keys: got %v, want %v", f, got, wantKeys)
		}
		id, _ := doc.Str("batch_id")
		if path.Base(f) != "batch_"+id+".json" || !strings.HasPrefix(id, "sycophancy_") || !strings.HasSuffix(id, fmt.Sprintf("_batch_%03d", i+1)) {
			t.Errorf("%s: batch id %q does not follow <topic>_<time>_batch_<NNN>", f, id)
		}
		if n, _ := doc.Num("stage"); n != "1" {
			t.Errorf("stage: got %s, want 1", n)
		}
		data, _ := spt.Data(doc)
		if len(data) != 4 {
			t.Errorf("%s: got %d samples, want 4", f, len(data))
		}
		if !strings.Contains(string(res.Out.Files[f]), "\n  \"batch_id\": ") {
			t.Errorf("%s is not indented by 2", f)
		}
		if err := generate.CheckSamples(data); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	if res.Rows.Total != 3 || res.Rows.Rows != 3 || res.Rows.Usage.Requests != 3 {
		t.Errorf("progress: got total %d, rows %d, requests %d", res.Rows.Total, res.Rows.Rows, res.Rows.Usage.Requests)
	}
}

func TestGenerateRerunIsCachedAndIdentical(t *testing.T) {
	dir, storeDir := t.TempDir(), t.TempDir()
	llmsteptest.WritePrompts(t, dir, "sycophancy")
	rt, count := llmsteptest.Runtime(t, storeDir, nil)
	with := map[string]any{"model": "opus", "batches": 2, "items_per_batch": 3}
	first, err := run(t, rt, spec(dir, with))
	if err != nil {
		t.Fatal(err)
	}
	rt2, count2 := llmsteptest.Runtime(t, storeDir, nil)
	with["batches"] = 3
	second, err := run(t, rt2, spec(dir, with))
	if err != nil {
		t.Fatal(err)
	}
	if got := count.Count(spt.Stage1ToolName) + count2.Count(spt.Stage1ToolName); got != 3 {
		t.Errorf("requests over both runs: got %d, want 3 (raising batches 2 -> 3 sends only the third)", got)
	}
	for _, p := range batchFiles(first.Out) {
		if string(first.Out.Files[p]) != string(second.Out.Files[p]) {
			t.Errorf("%s differs between runs", p)
		}
	}
	if got := len(batchFiles(second.Out)); got != 3 {
		t.Errorf("second run: got %d files, want 3", got)
	}
	if fb := second.Out.Files["feedback/cumulative_sycophancy.jsonl"]; len(fb) > 0 {
		for _, line := range strings.Split(strings.TrimSuffix(string(fb), "\n"), "\n") {
			o, err := pyjson.ParseObject([]byte(line))
			if err != nil || !slices.Equal(o.Keys(), []string{"timestamp", "batch_id", "project_feedback", "topic", "stage"}) {
				t.Errorf("feedback line %q: keys %v, err %v", line, o.Keys(), err)
			}
		}
	}
}

// shortThenFixed answers with one sample too few, then correctly once the
// follow-up states the problem.
type shortThenFixed struct{ always bool }

func (s shortThenFixed) Respond(req *llm.Request, seed uint64) (*llm.Response, error) {
	resp, err := sptsim.Stage1{}.Respond(req, seed)
	if err != nil || (len(req.Messages) > 1 && !s.always) {
		return resp, err
	}
	args, _ := pyjson.ParseObject(resp.ToolCalls[0].Arguments)
	data := args.Arr("batch_data")
	args.Set("batch_data", data[:len(data)-1])
	resp.ToolCalls[0].Arguments, _ = pyjson.Marshal(args, pyjson.Line)
	return resp, nil
}

func TestGenerateAsksAgainWithTheProblem(t *testing.T) {
	dir := t.TempDir()
	llmsteptest.WritePrompts(t, dir, "sycophancy")
	rt, count := llmsteptest.Runtime(t, t.TempDir(), map[string]llm.SimResponder{spt.Stage1ToolName: shortThenFixed{}})
	res, err := run(t, rt, spec(dir, map[string]any{"model": "opus", "batches": 1, "items_per_batch": 3}))
	if err != nil {
		t.Fatal(err)
	}
	if got := len(batchFiles(res.Out)); got != 1 {
		t.Fatalf("got %d files, want 1", got)
	}
	reqs := count.Requests()
	last := reqs[len(reqs)-1]
	if len(last.Messages) != 3 || !strings.Contains(last.Messages[2].Content, "has 2 samples, want exactly 3") {
		t.Errorf("follow-up request does not state the problem: %+v", last.Messages)
	}
}

func TestGenerateFailedBatchDoesNotStopTheTopic(t *testing.T) {
	dir, storeDir := t.TempDir(), t.TempDir()
	llmsteptest.WritePrompts(t, dir, "sycophancy")
	rt, _ := llmsteptest.Runtime(t, storeDir, map[string]llm.SimResponder{spt.Stage1ToolName: shortThenFixed{always: true}})
	res, err := run(t, rt, spec(dir, map[string]any{"model": "opus", "batches": 2, "items_per_batch": 3, "max_attempts": 2}))
	if !errors.Is(err, llmstep.ErrRowsFailed) {
		t.Fatalf("got error %v, want ErrRowsFailed", err)
	}
	if res.Rows.Failed != 2 || len(batchFiles(res.Out)) != 0 {
		t.Errorf("got %d failed rows and files %v, want 2 failed and none written", res.Rows.Failed, batchFiles(res.Out))
	}
	// The next run (a fixed model) asks again and succeeds.
	rt2, count2 := llmsteptest.Runtime(t, storeDir, nil)
	res, err = run(t, rt2, spec(dir, map[string]any{"model": "opus", "batches": 2, "items_per_batch": 3, "max_attempts": 2}))
	if err != nil || len(batchFiles(res.Out)) != 2 || count2.Count(spt.Stage1ToolName) != 2 {
		t.Errorf("retry run: err %v, files %v, requests %d", err, batchFiles(res.Out), count2.Count(spt.Stage1ToolName))
	}
}

func TestGenerateLimitIsAPrefix(t *testing.T) {
	dir, storeDir := t.TempDir(), t.TempDir()
	llmsteptest.WritePrompts(t, dir, "sycophancy")
	rt, count := llmsteptest.Runtime(t, storeDir, nil)
	s := spec(dir, map[string]any{"model": "opus", "batches": 4, "items_per_batch": 3})
	s.Options.Limit = 5
	trial, err := run(t, rt, s)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(batchFiles(trial.Out)); got != 2 {
		t.Fatalf("--limit 5 with 3 items per batch: got %d batches, want 2", got)
	}
	trialReqs := count.Requests()
	rt2, count2 := llmsteptest.Runtime(t, t.TempDir(), nil)
	if _, err := run(t, rt2, spec(dir, map[string]any{"model": "opus", "batches": 4, "items_per_batch": 3})); err != nil {
		t.Fatal(err)
	}
	full := map[int]bool{}
	for _, r := range count2.Requests() {
		full[r.Replica] = true
	}
	for _, r := range trialReqs {
		if !full[r.Replica] || r.Replica > 1 {
			t.Errorf("trial request replica %d is not among the full run's first requests", r.Replica)
		}
	}
}

func TestGenerateResolveErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		with map[string]any
		want string
	}{
		{map[string]any{}, "with.model is required"},
		{map[string]any{"model": "nope"}, `unknown model "nope"`},
		{map[string]any{"model": "opus", "batches": 0}, "batches: 0: must be at least 1"},
		{map[string]any{"model": "opus", "batchs": 2}, "batchs: unknown parameter"},
		{map[string]any{"model": "opus", "trim_excess": "yes"}, "trim_excess: want true or false"},
		{map[string]any{"model": "opus", "max_failed_rows": "lots"}, `max_failed_rows: "lots": want a count`},
		{map[string]any{"model": "opus", "max_failed_rows": 1.5}, "max_failed_rows: 1.5: a fraction must be between 0 and 1"},
	}
	for _, tt := range tests {
		_, err := generate.New(nil).Resolve(spec(dir, tt.with))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("with %v: got %v, want an error containing %q", tt.with, err, tt.want)
		}
	}
}
