package spt

import (
	"strings"
	"testing"
)

func TestReviewMessage(t *testing.T) {
	msg := ReviewMessage([]byte(`[{"S":"x"}]`), []byte(`{"batch_interventions":[]}`))
	parts := []string{ReviewIntro, "## Original Input Samples:", `[{"S":"x"}]`,
		"## Generated Stage 3 Output:", `{"batch_interventions":[]}`, ReviewClosing}
	at := 0
	for _, p := range parts {
		i := strings.Index(msg[at:], p)
		if i < 0 {
			t.Fatalf("review message: %q missing or out of order in:\n%s", p, msg)
		}
		at += i + len(p)
	}
	if !strings.Contains(ReviewIntro, "entire batch") || !strings.Contains(ReviewClosing, "stage_3_review") {
		t.Errorf("review texts lost their instructions: intro %q, closing %q", ReviewIntro, ReviewClosing)
	}
}
