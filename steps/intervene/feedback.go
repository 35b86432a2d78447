package intervene

import (
	"fmt"

	"github.com/sptflow/sptflow/llm"
	"github.com/sptflow/sptflow/pyjson"
	"github.com/sptflow/sptflow/steps/spt"
)

// feedbackMessages are the turns review_feedback adds to a regeneration
// request after its first user message: the rejected result as the
// model's own previous answer (the stage_3_generation arguments, indented
// as the reviewer saw them), then the reviewer's written evaluation and the
// instruction to write the batch again. A model fixes what it can see: the
// evaluation names entries ("sample 2's review ..."), which only make sense
// next to the answer they criticise.
func feedbackMessages(rej *rejection, n int) []llm.Message {
	return []llm.Message{
		{Role: llm.RoleAssistant, Content: string(rej.output)},
		{Role: llm.RoleUser, Content: fmt.Sprintf(FeedbackFormat, spt.Strip(rej.evaluation), n)},
	}
}

// FeedbackFormat is the user turn of a review_feedback regeneration, a
// fmt format of the reviewer's written evaluation (%s) and the number of
// samples (%d).
const FeedbackFormat = "The quality review rejected your previous answer (above) for these samples. " +
	"The reviewer's evaluation:\n\n<review>\n%s\n</review>\n\n" +
	"Write the batch again with the " + spt.Stage3GenerationToolName + " tool: one entry for each of the %d samples, " +
	"in the order given, fixing every problem the reviewer names and keeping what the reviewer did not object to."

// SummarySuffix names a partition's review summary,
// stage_3_reviews/<topic>_summary.json.
const SummarySuffix = "_summary.json"

// acceptance counts how the quality review went for a set of batches.
type acceptance struct {
	batches       int   // batches processed
	firstReview   int   // accepted by the first review made
	atRound       []int // accepted at generation round i+1
	notAccepted   int   // every round rejected (the last valid result is kept)
	failed        int   // error records (context too large, generation failed)
	reviews       int   // review calls answered
	roundsEntered int   // generation rounds entered
	withFeedback  int   // regeneration requests that carried a review's evaluation
}

func (a *acceptance) add(o *outcome, feedback bool) {
	a.batches++
	a.roundsEntered += o.rounds
	a.reviews += len(o.reviews)
	switch {
	case o.failed():
		a.failed++
	case o.passed:
		a.atRound[o.rounds-1]++
		if len(o.ctxErrors) == 1 {
			a.firstReview++
		}
	default:
		a.notAccepted++
	}
	if feedback {
		for _, rv := range o.reviews {
			if !rv.verdict && rv.round < o.rounds && spt.Strip(rv.evaluation) != "" {
				a.withFeedback++
			}
		}
	}
}

func (a *acceptance) object() *pyjson.Object {
	rate := func(n int) any {
		if a.batches == 0 {
			return nil
		}
		return float64(n) / float64(a.batches)
	}
	atRound := make([]any, len(a.atRound))
	accepted := 0
	for i, n := range a.atRound {
		atRound[i] = n
		accepted += n
	}
	o := pyjson.NewObject(11)
	o.Set("batches", a.batches)
	o.Set("accepted_first_review", a.firstReview)
	o.Set("accepted_at_round", atRound)
	o.Set("accepted", accepted)
	o.Set("not_accepted", a.notAccepted)
	o.Set("failed", a.failed)
	o.Set("first_review_acceptance_rate", rate(a.firstReview))
	o.Set("acceptance_rate", rate(accepted))
	o.Set("generation_rounds", a.roundsEntered)
	o.Set("reviews_made", a.reviews)
	o.Set("regenerations_with_feedback", a.withFeedback)
	return o
}

// reviewSummary is the partition's stage_3_reviews/<topic>_summary.json:
// how the quality review went, per version and in total, so that runs with
// and without review_feedback can be compared (sptflow diff). It holds no
// time, so identical runs give identical bytes.
func (j *job) reviewSummary(outs []*outcome) ([]byte, error) {
	newAcc := func() *acceptance { return &acceptance{atRound: make([]int, j.p.ReviewRounds)} }
	total := newAcc()
	byVersion := map[string]*acceptance{}
	for _, v := range j.p.Versions {
		byVersion[v] = newAcc()
	}
	for i, b := range j.batches {
		byVersion[b.version].add(outs[i], j.p.ReviewFeedback)
		total.add(outs[i], j.p.ReviewFeedback)
	}
	versions := pyjson.NewObject(len(j.p.Versions))
	for _, v := range j.p.Versions {
		versions.Set(v, byVersion[v].object())
	}
	doc := pyjson.NewObject(6)
	doc.Set("topic", j.p.Topic)
	doc.Set("review_model", j.p.review.Model)
	doc.Set("review_rounds", j.p.ReviewRounds)
	doc.Set("review_feedback", j.p.ReviewFeedback)
	doc.Set("total", total.object())
	doc.Set("versions", versions)
	data, err := pyjson.Marshal(doc, pyjson.DataFile)
	if err != nil {
		return nil, fmt.Errorf("encode review summary: %w", err)
	}
	return append(data, '\n'), nil
}
