package intervene_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/sptflow/sptflow/llm"
	"github.com/sptflow/sptflow/steps/generate/llmstep"
	"github.com/sptflow/sptflow/steps/generate/llmstep/llmsteptest"
	"github.com/sptflow/sptflow/steps/spt"
)

// A batch that ends in error records fails the partition without a
// budget; within max_failed_rows the partition seals with the error
// records (generation_failed, as the original writes them), and the next
// run, from the same upstream, asks only that batch again.
func TestInterveneFailureBudget(t *testing.T) {
	dir, storeDir := t.TempDir(), t.TempDir()
	llmsteptest.WritePrompts(t, dir, "sycophancy")
	bad := map[string]llm.SimResponder{spt.Stage3GenerationToolName: badCount{}}
	with := map[string]any{"interventions": []any{"honesty_scare"}, "stage2_model": "m2"}

	rt, _ := llmsteptest.Runtime(t, storeDir, bad)
	_, _, err := run(t, rt, spec(dir, with), stage2)
	if !errors.Is(err, llmstep.ErrRowsFailed) || !strings.Contains(err.Error(), "1 of 1 batches have error records") {
		t.Fatalf("no budget: got %v, want 1 of 1 batches failed", err)
	}

	with["max_failed_rows"] = "100%"
	rt, _ = llmsteptest.Runtime(t, storeDir, bad)
	doc, res, err := run(t, rt, spec(dir, with), stage2)
	if err != nil || res.SealedFailedRows != 1 {
		t.Fatalf("budget 100%%: got %v and %d sealed failed rows, want nil and 1", err, res.SealedFailedRows)
	}
	rec := variant(doc, 0, "m2", "B").Obj("interventions").Obj("honesty_scare__version_4")
	if e, _ := rec.Str("error"); e != "generation_failed" {
		t.Errorf("sealed record: got error %q, want generation_failed", e)
	}

	rt, count := llmsteptest.Runtime(t, storeDir, nil)
	doc, res, err = run(t, rt, spec(dir, with), stage2)
	if err != nil || res.SealedFailedRows != 0 {
		t.Fatalf("retry: got %v and %d sealed failed rows, want nil and 0", err, res.SealedFailedRows)
	}
	if count.Count(spt.Stage3GenerationToolName) == 0 {
		t.Errorf("retry: the failed batch was not asked again")
	}
	rec = variant(doc, 0, "m2", "B").Obj("interventions").Obj("honesty_scare__version_4")
	if rec.Has("error") {
		t.Errorf("retry: still an error record")
	}
}
