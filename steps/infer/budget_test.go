package infer_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/sptflow/sptflow/engine/enginetest"
	"github.com/sptflow/sptflow/llm"
	"github.com/sptflow/sptflow/llm/sim"
	"github.com/sptflow/sptflow/pyjson"
	"github.com/sptflow/sptflow/steps/generate/llmstep"
	"github.com/sptflow/sptflow/steps/generate/llmstep/llmsteptest"
	"github.com/sptflow/sptflow/steps/infer"
	"github.com/sptflow/sptflow/steps/spt"
)

// emptyFor answers like the sim but gives an empty answer to one task.
type emptyFor struct{ task string }

func (e emptyFor) Respond(req *llm.Request, seed uint64) (*llm.Response, error) {
	if len(req.Messages) > 0 && req.Messages[len(req.Messages)-1].Content == e.task {
		return &llm.Response{StopReason: llm.StopEnd}, nil
	}
	return &llm.Response{Text: sim.Text(seed), StopReason: llm.StopEnd}, nil
}

// A failed answer within max_failed_rows seals the file without it (the
// original has no error record for stage 2: the variant is absent, as
// after an interrupted original run); the next run asks only that answer.
func TestInferFailureBudget(t *testing.T) {
	storeDir := t.TempDir()
	up := upstream(map[string]string{"batch_x.json": stage1})
	refuse := map[string]llm.SimResponder{"": emptyFor{"Explain entropy."}}
	withBudget := func(b any) *enginetest.Result {
		t.Helper()
		s := spec("qwen")
		if b != nil {
			s.With["max_failed_rows"] = b
		}
		rt, _ := llmsteptest.Runtime(t, storeDir, refuse)
		res, err := enginetest.Run(context.Background(), infer.New(rt), s, up)
		if b == nil {
			if !errors.Is(err, llmstep.ErrRowsFailed) || !strings.Contains(err.Error(), "1 of 4 answers") {
				t.Fatalf("no budget: got %v, want 1 of 4 answers failed", err)
			}
			return res
		}
		if err != nil || res.SealedFailedRows != 1 {
			t.Fatalf("budget %v: got %v and %d sealed failed rows, want nil and 1", b, err, res.SealedFailedRows)
		}
		return res
	}
	withBudget(nil)
	res := withBudget("25%")
	doc, err := pyjson.ParseObject(res.Out.Files["stage_2/sycophancy/batch_x.json"])
	if err != nil {
		t.Fatal(err)
	}
	data, _ := spt.Data(doc)
	if inf := data[1].(*pyjson.Object).Obj("inferences"); inf != nil && inf.Obj("qwen/qwen3-32b") != nil && inf.Obj("qwen/qwen3-32b").Has("A") {
		t.Errorf("the failed answer was written: %v", inf)
	}
	if !data[0].(*pyjson.Object).Obj("inferences").Obj("qwen/qwen3-32b").Has("B") {
		t.Errorf("the answered rows are missing")
	}
	// The model answers now: one request, the file complete.
	rt, count := llmsteptest.Runtime(t, storeDir, nil)
	doc = runInfer(t, rt, spec("qwen"), up)
	if got := count.Count(""); got != 1 {
		t.Errorf("retry: got %d requests, want 1 (only the failed answer)", got)
	}
	data, _ = spt.Data(doc)
	if !data[1].(*pyjson.Object).Obj("inferences").Obj("qwen/qwen3-32b").Has("A") {
		t.Errorf("retry: the failed answer is still missing")
	}
}
