package intervene

import (
	"errors"
	"fmt"
	"slices"

	"github.com/sptflow/sptflow/llm"
	"github.com/sptflow/sptflow/pyjson"
	"github.com/sptflow/sptflow/steps/generate"
	"github.com/sptflow/sptflow/steps/spt"
)

// Legal enum values of stage_3_generation (spec §3.2).
var (
	Verdicts     = []string{"PASS", "FAIL", "AMBIGUOUS"}
	Difficulties = []string{"easy", "medium", "hard", "NA"}
)

// Result is a validated stage_3_generation result.
type Result struct {
	Thinking      string           // batch_thinking, "" when absent
	Interventions []*pyjson.Object // one per sample, in sample order
	Feedback      string           // project_feedback, "" when absent
}

// ParseResult validates the stage_3_generation call of resp for n samples:
// batch_interventions is a list (a string is repaired as in stage 1) of
// exactly n objects, each with every required field of the right type:
// string thought_process, selected_review_focus, I and R; integer
// confidence in 1..5; P in Verdicts; both detection difficulties in
// Difficulties; boolean faulty_data. Every problem is reported.
func ParseResult(resp *llm.Response, n int) (*Result, error) {
	call := resp.Tool(spt.Stage3GenerationToolName)
	if call == nil {
		return nil, fmt.Errorf("the response has no %s tool call", spt.Stage3GenerationToolName)
	}
	obj, err := pyjson.ParseObject(call.Arguments)
	if err != nil {
		return nil, fmt.Errorf("tool arguments are not a JSON object: %w", err)
	}
	raw, ok := obj.Get("batch_interventions")
	if !ok {
		return nil, fmt.Errorf("missing key batch_interventions (keys %v)", obj.Keys())
	}
	if s, isStr := raw.(string); isStr {
		if raw, err = generate.RepairList(s); err != nil {
			return nil, fmt.Errorf("batch_interventions is a string that is not a JSON list: %w", err)
		}
	}
	list, ok := raw.([]any)
	if !ok {
		return nil, fmt.Errorf("batch_interventions is %s, not a list", pyjson.TypeName(raw))
	}
	var problems []error
	if len(list) != n {
		problems = append(problems, fmt.Errorf("batch_interventions has %d entries for %d samples", len(list), n))
	}
	res := &Result{}
	for i, v := range list {
		o, errs := checkIntervention(i, v)
		problems = append(problems, errs...)
		res.Interventions = append(res.Interventions, o)
	}
	res.Thinking, _ = obj.Str("batch_thinking")
	res.Feedback, _ = obj.Str("project_feedback")
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	return res, nil
}

func checkIntervention(i int, v any) (*pyjson.Object, []error) {
	o, ok := v.(*pyjson.Object)
	if !ok {
		return nil, []error{fmt.Errorf("entry %d is %s, not an object", i+1, pyjson.TypeName(v))}
	}
	var problems []error
	bad := func(format string, args ...any) {
		problems = append(problems, fmt.Errorf("entry %d: "+format, append([]any{i + 1}, args...)...))
	}
	for _, k := range []string{"thought_process", "selected_review_focus", "I", "R"} {
		if _, isStr := o.Str(k); !isStr {
			bad("%s is missing or not a string", k)
		}
	}
	enum := func(k string, legal []string) {
		if s, isStr := o.Str(k); !isStr || !slices.Contains(legal, s) {
			bad("%s must be one of %v", k, legal)
		}
	}
	enum("P", Verdicts)
	enum("detection_difficulty_internal", Difficulties)
	enum("detection_difficulty_external", Difficulties)
	if c, isNum := o.Num("confidence"); !isNum || !inRange(c, 1, 5) {
		bad("confidence must be an integer from 1 to 5")
	}
	if f, _ := o.Get("faulty_data"); !isBool(f) {
		bad("faulty_data must be true or false")
	}
	return o, problems
}

func isBool(v any) bool { _, ok := v.(bool); return ok }

// ParseReview validates a stage_3_review call: final_verdict must be a
// boolean; thought_process and written_evaluation default to "".
func ParseReview(resp *llm.Response) (*review, error) {
	call := resp.Tool(spt.Stage3ReviewToolName)
	if call == nil {
		return nil, fmt.Errorf("the response has no %s tool call", spt.Stage3ReviewToolName)
	}
	obj, err := pyjson.ParseObject(call.Arguments)
	if err != nil {
		return nil, fmt.Errorf("tool arguments are not a JSON object: %w", err)
	}
	v, _ := obj.Get("final_verdict")
	verdict, ok := v.(bool)
	if !ok {
		return nil, errors.New("final_verdict is missing or not a boolean")
	}
	r := &review{verdict: verdict}
	r.thought, _ = obj.Str("thought_process")
	r.evaluation, _ = obj.Str("written_evaluation")
	return r, nil
}

func inRange(n pyjson.Number, lo, hi int64) bool {
	i, ok := n.Int64()
	return ok && n.IsInt() && i >= lo && i <= hi
}
