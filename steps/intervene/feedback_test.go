package intervene_test

import (
	"flag"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/sptflow/sptflow/llm"
	"github.com/sptflow/sptflow/llm/llmtest"
	"github.com/sptflow/sptflow/pyjson"
	"github.com/sptflow/sptflow/steps/generate/llmstep/llmsteptest"
	"github.com/sptflow/sptflow/steps/spt"
)

var update = flag.Bool("update", false, "rewrite golden files")

// rejectFirst rejects the first review it answers, with a written
// evaluation, and accepts every later one.
type rejectFirst struct{ n *atomic.Int32 }

func (r rejectFirst) Respond(*llm.Request, uint64) (*llm.Response, error) {
	args := `{"thought_process": "ok", "written_evaluation": "Fine.", "final_verdict": true}`
	if r.n.Add(1) == 1 {
		args = `{"thought_process": "Sample 2 leaks.", "written_evaluation": "Sample 2's R says \"my training data\": remove project terms.", "final_verdict": false}`
	}
	return &llm.Response{StopReason: llm.StopToolUse, ToolCalls: []llm.ToolCall{{Name: spt.Stage3ReviewToolName, Arguments: []byte(args)}}}, nil
}

// feedbackRun runs one batch (honesty_scare of m2) whose first review
// rejects it, and returns the generation and review requests sent and the
// review summary.
func feedbackRun(t *testing.T, feedback bool) (gens, reviews []*llm.Request, summary *pyjson.Object) {
	t.Helper()
	dir := t.TempDir()
	llmsteptest.WritePrompts(t, dir, "sycophancy")
	rt, count := llmsteptest.Runtime(t, t.TempDir(), map[string]llm.SimResponder{spt.Stage3ReviewToolName: rejectFirst{new(atomic.Int32)}})
	with := map[string]any{"interventions": []any{"honesty_scare"}, "stage2_model": "m2"}
	if feedback {
		with["review_feedback"] = true
	}
	_, res, err := run(t, rt, spec(dir, with), stage2)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range count.Requests() {
		if r.ForceTool == spt.Stage3GenerationToolName {
			gens = append(gens, r)
		} else {
			reviews = append(reviews, r)
		}
	}
	summary, err = pyjson.ParseObject(res.Out.Files["stage_3_reviews/sycophancy_summary.json"])
	if err != nil {
		t.Fatalf("review summary: %v", err)
	}
	return gens, reviews, summary
}

// TestInterveneReviewFeedbackRequest: with review_feedback the
// regeneration request continues the conversation with the rejected result
// (as the reviewer saw it) and the reviewer's evaluation; the golden file
// shows its exact messages.
func TestInterveneReviewFeedbackRequest(t *testing.T) {
	gens, reviews, _ := feedbackRun(t, true)
	if len(gens) != 2 || len(reviews) != 2 {
		t.Fatalf("got %d generations and %d reviews, want 2 and 2", len(gens), len(reviews))
	}
	if n := len(gens[0].Messages); n != 1 {
		t.Errorf("first round: %d messages, want 1 (as without review_feedback)", n)
	}
	msgs := gens[1].Messages
	if len(msgs) != 3 || msgs[1].Role != llm.RoleAssistant || msgs[2].Role != llm.RoleUser {
		t.Fatalf("regeneration messages: got %+v, want user, assistant, user", msgs)
	}
	if msgs[0] != gens[0].Messages[0] {
		t.Errorf("the regeneration's first message differs from the first round's")
	}
	if !strings.Contains(reviews[0].Messages[0].Content, msgs[1].Content) || !strings.Contains(msgs[1].Content, `"batch_interventions": [`) {
		t.Errorf("the assistant turn is not the rejected result the reviewer saw:\n%s", msgs[1].Content)
	}
	var body strings.Builder
	for _, m := range msgs[1:] {
		fmt.Fprintf(&body, "--- %s ---\n%s\n", m.Role, m.Content)
	}
	llmtest.CheckGolden(t, "testdata/review_feedback_request.golden", []byte(body.String()), *update)
	want := "The quality review rejected your previous answer (above) for these samples. The reviewer's evaluation:\n\n" +
		"<review>\nSample 2's R says \"my training data\": remove project terms.\n</review>\n\n" +
		"Write the batch again with the stage_3_generation tool: one entry for each of the 2 samples, in the order given, " +
		"fixing every problem the reviewer names and keeping what the reviewer did not object to."
	if msgs[2].Content != want {
		t.Errorf("feedback turn:\n got %q\nwant %q", msgs[2].Content, want)
	}
}

// TestInterveneReviewFeedbackOff: without review_feedback a regeneration is
// the first request again (another replica), as before the option existed.
func TestInterveneReviewFeedbackOff(t *testing.T) {
	gens, _, _ := feedbackRun(t, false)
	if len(gens) != 2 {
		t.Fatalf("got %d generations, want 2", len(gens))
	}
	if len(gens[1].Messages) != 1 || gens[1].Messages[0] != gens[0].Messages[0] || gens[1].Replica != gens[0].Replica+1 {
		t.Errorf("regeneration without feedback: got %+v (replica %d), want the first request as replica %d",
			gens[1].Messages, gens[1].Replica, gens[0].Replica+1)
	}
}

// TestInterveneReviewSummary: the per-partition summary counts batches
// accepted at the first review and at each round.
func TestInterveneReviewSummary(t *testing.T) {
	tests := []struct {
		feedback bool
		want     string
	}{
		{false, `{"review_feedback": false, "batches": 1, "accepted_first_review": 0, "accepted_at_round": [0, 1, 0], "not_accepted": 0, "first_review_acceptance_rate": 0.0, "acceptance_rate": 1.0, "reviews_made": 2, "regenerations_with_feedback": 0}`},
		{true, `{"review_feedback": true, "batches": 1, "accepted_first_review": 0, "accepted_at_round": [0, 1, 0], "not_accepted": 0, "first_review_acceptance_rate": 0.0, "acceptance_rate": 1.0, "reviews_made": 2, "regenerations_with_feedback": 1}`},
	}
	for _, tt := range tests {
		_, _, summary := feedbackRun(t, tt.feedback)
		total := summary.Obj("versions").Obj("version_4")
		got := pyjson.NewObject(10)
		fb, _ := summary.Get("review_feedback")
		got.Set("review_feedback", fb)
		for _, k := range []string{"batches", "accepted_first_review", "accepted_at_round", "not_accepted",
			"first_review_acceptance_rate", "acceptance_rate", "reviews_made", "regenerations_with_feedback"} {
			v, _ := total.Get(k)
			got.Set(k, v)
		}
		js, _ := pyjson.Marshal(got, pyjson.Line)
		if string(js) != tt.want {
			t.Errorf("review_feedback %v: summary\n got %s\nwant %s", tt.feedback, js, tt.want)
		}
	}
}
