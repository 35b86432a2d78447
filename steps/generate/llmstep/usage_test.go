package llmstep_test

import (
	"context"
	"testing"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/engine/enginetest"
	"github.com/sptflow/sptflow/llm"
	"github.com/sptflow/sptflow/steps/generate/llmstep"
	"github.com/sptflow/sptflow/steps/generate/llmstep/llmsteptest"
)

// recorder is an engine.Meter keeping every Add.
type recorder struct{ adds []engine.Usage }

func (r *recorder) Add(u engine.Usage) { r.adds = append(r.adds, u) }

// TestUsageFlowsPerRow: each finished row hands the usage since the last row
// to the task's meter (so progress shows requests, tokens and cost while a
// partition runs); Report adds only the rest, the failed rows and the models.
func TestUsageFlowsPerRow(t *testing.T) {
	rt, _ := llmsteptest.Runtime(t, t.TempDir(), nil)
	spec, err := llm.ParseModelSpec("m", llmsteptest.SimModel("m", nil).Raw)
	if err != nil {
		t.Fatal(err)
	}
	c, err := rt.Client(spec)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	task := &engine.Task{Progress: &enginetest.Progress{}, Usage: rec}
	var u llmstep.Usage
	for i, text := range []string{"first question", "second question"} {
		req := &llm.Request{Messages: []llm.Message{{Role: llm.RoleUser, Content: text}}}
		res, err := c.Do(context.Background(), llm.Call{Request: req, Meter: &u.Meter})
		if err != nil {
			t.Fatal(err)
		}
		u.Served(res.Response.Model)
		u.RowDone(task, false, false)
		if got := rec.adds[i]; got.Requests != 1 || got.InputTokens <= 0 || got.OutputTokens <= 0 {
			t.Errorf("row %d added %+v, want one request with its tokens", i, got)
		}
	}
	u.Report(task, 1)
	last := rec.adds[len(rec.adds)-1]
	if last.Requests != 0 || last.Failed != 1 || len(last.ServedModels) != 1 {
		t.Errorf("Report added %+v, want no new requests, 1 failed row and the served model", last)
	}
}
