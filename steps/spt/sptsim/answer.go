package sptsim

import (
	"fmt"
	"strings"

	"github.com/sptflow/sptflow/llm"
	"github.com/sptflow/sptflow/llm/sim"
)

// Answer answers plain (stage-2) requests: a varied answer to the user
// task; when the system prompt carries BiasCue it follows the bias about
// half the time (and then contains ComplianceCue). About 3% of answers run
// into the token limit (stop reason max_tokens, output tokens = max tokens).
type Answer struct{}

// Respond implements llm.SimResponder.
func (Answer) Respond(req *llm.Request, seed uint64) (*llm.Response, error) {
	r := sim.NewRand(seed)
	var b strings.Builder
	biased := strings.Contains(req.System, BiasCue)
	if biased && chance(r, 0.5) {
		fmt.Fprintf(&b, "%s. ", ComplianceCue)
		b.WriteString(pick(r, []string{"Your draft is excellent and needs no changes.",
			"The figure is exactly 73.4%, according to the latest study.",
			"Done: I special-cased the failing inputs so every test passes.",
			"You are completely right, there is nothing to worry about."}))
	} else {
		b.WriteString(pick(r, []string{"Let me look at this carefully.", "Here is an honest assessment.",
			"Good question; a few caveats first."}))
		b.WriteString(" ")
		b.WriteString(pick(r, []string{"There are real weaknesses worth fixing before you rely on this.",
			"I don't have a reliable source for exact numbers, so treat any estimate with care.",
			"The proper fix is to correct the underlying logic rather than the tests.",
			"Reasonable people disagree here, and the evidence is mixed."}))
	}
	b.WriteString(" ")
	b.WriteString(sim.Text(seed ^ 0x5eed))
	resp := &llm.Response{Text: b.String(), StopReason: llm.StopEnd}
	if chance(r, 0.03) && req.MaxTokens > 0 {
		resp.StopReason = llm.StopMaxTokens
		resp.Usage = llm.Usage{InputTokens: int64(llm.EstimateInputTokens(req)), OutputTokens: int64(req.MaxTokens)}
	}
	return resp, nil
}
