package intervene

import (
	"fmt"
	"time"

	"github.com/sptflow/sptflow/pyjson"
	"github.com/sptflow/sptflow/steps/spt"
)

// store puts the batch's records into its variants (spec §7.11).
func (j *job) store(b *batch, o *outcome) {
	key := b.intervention + spt.KeySep + b.version
	for i, t := range b.tasks {
		analysis := fmt.Sprintf("item_%d_of_%d_in_batch_%d_of_%d", i+1, len(b.tasks), b.number, b.of)
		var rec *pyjson.Object
		if o.failed() {
			rec = j.errorRecord(b, o, analysis)
		} else {
			rec = j.record(b, o, i, analysis)
		}
		ivs := t.target.Obj("interventions")
		if ivs == nil {
			ivs = pyjson.NewObject(1)
			t.target.Set("interventions", ivs)
		}
		ivs.Set(key, rec)
	}
}

// record is a success record, keys in the original's order.
func (j *job) record(b *batch, o *outcome, i int, analysis string) *pyjson.Object {
	el := o.result.Interventions[i]
	get := func(k string) any { v, _ := el.Get(k); return v }
	r := pyjson.NewObject(19)
	r.Set("thought_process", get("thought_process"))
	r.Set("intervention_type", b.intervention)
	for _, k := range []string{"selected_review_focus", "confidence", "I", "R", "P",
		"detection_difficulty_internal", "detection_difficulty_external", "faulty_data"} {
		r.Set(k, get(k))
	}
	r.Set("batch_thinking", o.result.Thinking)
	r.Set("stage_3_analysis", analysis)
	r.Set("generation_time", epoch(o.genRes.Time))
	r.Set("model_used", j.p.gen.Model)
	r.Set("review_model_used", j.p.review.Model)
	r.Set("num_stage_3_reviews_made", o.rounds)
	r.Set("stage_3_reviews_passed", o.passed)
	r.Set("stage_3_reviews_all_failed_due_to_overlong_context", o.allContextErrors())
	if o.genRes.Response.Simulated {
		r.Set("simulated", true)
	}
	return r
}

// allContextErrors is the original's flag: not passed, at least one
// review made, and every review a context-length failure.
func (o *outcome) allContextErrors() bool {
	if o.passed || len(o.ctxErrors) == 0 {
		return false
	}
	for _, c := range o.ctxErrors {
		if !c {
			return false
		}
	}
	return true
}

// errorRecord is a context_too_large or generation_failed record.
func (j *job) errorRecord(b *batch, o *outcome, analysis string) *pyjson.Object {
	r := pyjson.NewObject(19)
	r.Set("error", o.errKind)
	ctx := o.errKind == "context_too_large"
	if ctx {
		r.Set("error_message", o.errMessage)
	} else {
		r.Set("error_during_generation_or_review", o.errMessage)
	}
	r.Set("intervention_type", b.intervention)
	r.Set("generation_time", epoch(time.Now()))
	r.Set("model_used", j.p.gen.Model)
	r.Set("review_model_used", j.p.review.Model)
	r.Set("num_stage_3_reviews_made", o.rounds)
	r.Set("stage_3_reviews_passed", false)
	r.Set("stage_3_analysis", analysis)
	if ctx {
		r.Set("thought_process", "[ERROR: Context length exceeded - batch too large for model context window]")
	} else {
		r.Set("thought_process", "[ERROR: Generation failed - "+o.errMessage+"]")
	}
	r.Set("selected_review_focus", "N/A")
	what := map[bool]string{true: "[ERROR: Context length exceeded]", false: "[ERROR: Generation failed]"}[ctx]
	r.Set("I", what)
	r.Set("R", what)
	r.Set("P", "ERROR")
	r.Set("confidence", 0)
	r.Set("detection_difficulty_internal", "NA")
	r.Set("detection_difficulty_external", "NA")
	r.Set("faulty_data", true)
	if ctx {
		r.Set("batch_thinking", fmt.Sprintf("[ERROR: Context length exceeded for batch %d]", b.number))
	} else {
		r.Set("batch_thinking", fmt.Sprintf("[ERROR: Generation failed for batch %d]", b.number))
	}
	return r
}

// epoch is time.time(): seconds since the epoch as a float.
func epoch(t time.Time) float64 { return float64(t.UnixMicro()) / 1e6 }

// feedbackLine appends the batch's feedback line (spec §7.11 step 5).
func (j *job) feedbackLine(buf []byte, b *batch, o *outcome) ([]byte, error) {
	if o.failed() || o.result == nil || spt.Strip(o.result.Feedback) == "" {
		return buf, nil
	}
	line := pyjson.NewObject(6)
	line.Set("timestamp", spt.ISOFormat(o.genRes.Time))
	line.Set("intervention_config", b.intervention+spt.KeySep+b.version)
	line.Set("batch_number", b.number)
	line.Set("project_feedback", o.result.Feedback)
	line.Set("topic", j.p.Topic)
	line.Set("stage", 3)
	buf, err := pyjson.AppendMarshal(buf, line, pyjson.Line)
	return append(buf, '\n'), err
}

// reviewLines appends one line per review made (spec §7.10).
func (j *job) reviewLines(buf []byte, b *batch, o *outcome) ([]byte, error) {
	for _, rv := range o.reviews {
		line := pyjson.NewObject(10)
		line.Set("timestamp", rv.when)
		line.Set("dataset", j.p.Topic)
		line.Set("intervention_type", b.intervention)
		line.Set("batch_number", b.number)
		line.Set("review_model", j.p.review.Model)
		line.Set("verdict", rv.verdict)
		line.Set("thought_process", rv.thought)
		line.Set("written_evaluation", rv.evaluation)
		// Appended to the original's fields: which version, which round.
		line.Set("intervention_config", b.intervention+spt.KeySep+b.version)
		line.Set("review_round", rv.round)
		var err error
		if buf, err = pyjson.AppendMarshal(buf, line, pyjson.Line); err != nil {
			return nil, err
		}
		buf = append(buf, '\n')
	}
	return buf, nil
}
