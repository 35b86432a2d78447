package generate_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/sptflow/sptflow/llm"
	"github.com/sptflow/sptflow/steps/generate/llmstep"
	"github.com/sptflow/sptflow/steps/generate/llmstep/llmsteptest"
	"github.com/sptflow/sptflow/steps/spt"
	"github.com/sptflow/sptflow/steps/spt/sptsim"
)

// refuseReplica answers like the stage-1 sim but refuses (plain text, no
// tool call) every request of one batch.
type refuseReplica struct{ replica int }

func (r refuseReplica) Respond(req *llm.Request, seed uint64) (*llm.Response, error) {
	if req.Replica == r.replica {
		return &llm.Response{Text: "I can't help with that.", StopReason: llm.StopEnd}, nil
	}
	return sptsim.Stage1{}.Respond(req, seed)
}

func TestGenerateFailureBudget(t *testing.T) {
	tests := []struct {
		budget  any
		sealed  bool
		wantErr string
	}{
		{nil, false, "1 of 3 batches: rows failed"},
		{0, false, "1 of 3 batches: rows failed"},
		{1, true, ""},
		{"1", true, ""},
		{"50%", true, ""}, // floor(1.5) = 1
		{0.34, true, ""},  // floor(1.02) = 1
		{0.2, false, "1 of 3 batches, over max_failed_rows 20% (0 allowed): rows failed"},
	}
	for _, tt := range tests {
		dir := t.TempDir()
		llmsteptest.WritePrompts(t, dir, "sycophancy")
		rt, _ := llmsteptest.Runtime(t, t.TempDir(), map[string]llm.SimResponder{spt.Stage1ToolName: refuseReplica{1}})
		with := map[string]any{"model": "opus", "batches": 3, "items_per_batch": 2, "max_attempts": 1}
		if tt.budget != nil {
			with["max_failed_rows"] = tt.budget
		}
		res, err := run(t, rt, spec(dir, with))
		if !tt.sealed {
			if !errors.Is(err, llmstep.ErrRowsFailed) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("budget %v: got error %v, want %q", tt.budget, err, tt.wantErr)
			}
			continue
		}
		if err != nil || res.SealedFailedRows != 1 || len(batchFiles(res.Out)) != 2 {
			t.Errorf("budget %v: got error %v, %d sealed failed rows, files %v; want nil, 1 and 2 files",
				tt.budget, err, res.SealedFailedRows, batchFiles(res.Out))
		}
	}
}

// A partition sealed with a failed batch asks only that batch again on
// the next run; once answered, its output is complete and final, and the
// batches written before are unchanged.
func TestGenerateFailedBatchIsRetried(t *testing.T) {
	dir, storeDir := t.TempDir(), t.TempDir()
	llmsteptest.WritePrompts(t, dir, "sycophancy")
	with := map[string]any{"model": "opus", "batches": 3, "items_per_batch": 2, "max_attempts": 2, "max_failed_rows": 1}
	rt, count := llmsteptest.Runtime(t, storeDir, map[string]llm.SimResponder{spt.Stage1ToolName: refuseReplica{1}})
	first, err := run(t, rt, spec(dir, with))
	if err != nil || first.SealedFailedRows != 1 {
		t.Fatalf("first run: got %v and %d sealed failed rows, want nil and 1", err, first.SealedFailedRows)
	}
	// 2 answered; the refused one: 2 asks of 2 attempts each.
	if got := count.Count(spt.Stage1ToolName); got != 6 {
		t.Errorf("first run: got %d requests, want 6", got)
	}
	// Still refused: the same output, only the failed batch asked again.
	rt, count = llmsteptest.Runtime(t, storeDir, map[string]llm.SimResponder{spt.Stage1ToolName: refuseReplica{1}})
	again, err := run(t, rt, spec(dir, with))
	if err != nil || again.SealedFailedRows != 1 || count.Count(spt.Stage1ToolName) != 4 {
		t.Errorf("second run: got %v, %d sealed failed rows, %d requests; want nil, 1, 4", err, again.SealedFailedRows, count.Count(spt.Stage1ToolName))
	}
	// Answered: complete.
	rt, count = llmsteptest.Runtime(t, storeDir, nil)
	last, err := run(t, rt, spec(dir, with))
	if err != nil || last.SealedFailedRows != 0 || count.Count(spt.Stage1ToolName) != 1 {
		t.Fatalf("last run: got %v, %d sealed failed rows, %d requests; want nil, 0, 1", err, last.SealedFailedRows, count.Count(spt.Stage1ToolName))
	}
	files := batchFiles(last.Out)
	if len(files) != 3 {
		t.Fatalf("last run: got files %v, want 3", files)
	}
	for _, f := range batchFiles(first.Out) {
		if !bytes.Equal(first.Out.Files[f], last.Out.Files[f]) {
			t.Errorf("%s changed after the retry", f)
		}
	}
}

func TestParseBudget(t *testing.T) {
	tests := []struct {
		in      any
		rows    int
		want    int
		wantErr string
	}{
		{0, 10, 0, ""},
		{3, 10, 3, ""},
		{3.0, 10, 3, ""},
		{"3", 10, 3, ""},
		{0.05, 100, 5, ""},
		{0.05, 39, 1, ""},
		{0.05, 19, 0, ""},
		{"5%", 100, 5, ""},
		{" 2.5 % ", 200, 5, ""},
		{"100%", 7, 7, ""},
		{"0%", 7, 0, ""},
		{-1, 10, 0, "must be at least 0"},
		{1.5, 10, 0, "a fraction must be between 0 and 1"},
		{"101%", 10, 0, "from 0% to 100%"},
		{"lots", 10, 0, "want a count"},
		{true, 10, 0, "want a count"},
	}
	for _, tt := range tests {
		b, err := llmstep.ParseBudget(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseBudget(%v): got %v, want an error containing %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || b.Limit(tt.rows) != tt.want {
			t.Errorf("ParseBudget(%v).Limit(%d): got %d (%v), want %d", tt.in, tt.rows, b.Limit(tt.rows), err, tt.want)
		}
	}
}
