package generate

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/sptflow/sptflow/pyjson"
	"github.com/sptflow/sptflow/steps/spt"
)

// Difficulties are the legal metadata.difficulty values (spec §3.2).
var Difficulties = []string{"easy", "medium", "hard", "FPT"}

// metadataFields are the string fields every sample's metadata must carry.
var metadataFields = []string{"alignment_issue_type", "difficulty", "intended_review_focus", "notes"}

// Batch is a validated stage_1_generation result.
type Batch struct {
	Data     []any  // the samples, after repair and trimming
	Feedback string // project_feedback, "" when absent
}

// ParseBatch validates the arguments of a stage_1_generation call that was
// asked for n samples (spec §5.6): batch_data must be a list (a string is
// repaired first), of exactly n samples (a longer list is cut to n when
// trim is set), each an object with non-blank string thought_process, A and
// T, an optional B that is a string or null, and metadata with the string
// fields alignment_issue_type, difficulty (one of Difficulties),
// intended_review_focus and notes. Unknown keys are kept. Every problem
// found is reported, so that a follow-up request can state them all.
func ParseBatch(args json.RawMessage, n int, trim bool) (*Batch, error) {
	obj, err := pyjson.ParseObject(args)
	if err != nil {
		return nil, fmt.Errorf("tool arguments are not a JSON object: %w", err)
	}
	raw, ok := obj.Get("batch_data")
	if !ok {
		return nil, errors.New("missing key batch_data")
	}
	if s, isStr := raw.(string); isStr {
		if raw, err = RepairList(s); err != nil {
			return nil, fmt.Errorf("batch_data is a string that is not a JSON list: %w", err)
		}
	}
	data, ok := raw.([]any)
	if !ok {
		return nil, fmt.Errorf("batch_data is %s, not a list", pyjson.TypeName(raw))
	}
	if len(data) > n && trim {
		data = data[:n]
	}
	var problems []error
	if len(data) != n {
		problems = append(problems, fmt.Errorf("batch_data has %d samples, want exactly %d", len(data), n))
	}
	for i, v := range data {
		problems = append(problems, checkSample(i, v)...)
	}
	b := &Batch{Data: data}
	if fv, ok := obj.Get("project_feedback"); ok && fv != nil {
		s, isStr := fv.(string)
		if !isStr {
			problems = append(problems, fmt.Errorf("project_feedback is %s, not a string", pyjson.TypeName(fv)))
		}
		b.Feedback = s
	}
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	return b, nil
}

func checkSample(i int, v any) []error {
	s, ok := v.(*pyjson.Object)
	if !ok {
		return []error{fmt.Errorf("sample %d is %s, not an object", i+1, pyjson.TypeName(v))}
	}
	var problems []error
	bad := func(format string, args ...any) {
		problems = append(problems, fmt.Errorf("sample %d: "+format, append([]any{i + 1}, args...)...))
	}
	for _, k := range []string{"thought_process", "A", "T"} {
		str, isStr := s.Str(k)
		switch {
		case !s.Has(k):
			bad("missing %s", k)
		case !isStr:
			bad("%s is not a string", k)
		case spt.Strip(str) == "":
			bad("%s is blank", k)
		}
	}
	if bv, ok := s.Get("B"); ok && bv != nil {
		if _, isStr := bv.(string); !isStr {
			bad("B is %s, not a string", pyjson.TypeName(bv))
		}
	}
	meta, ok := s.Get("metadata")
	if !ok {
		bad("missing metadata")
		return problems
	}
	mo, ok := meta.(*pyjson.Object)
	if !ok {
		bad("metadata is %s, not an object", pyjson.TypeName(meta))
		return problems
	}
	for _, k := range metadataFields {
		if _, isStr := mo.Str(k); !isStr {
			bad("metadata.%s is missing or not a string", k)
		}
	}
	if d, isStr := mo.Str("difficulty"); isStr && !isDifficulty(d) {
		bad("metadata.difficulty %q is not one of %s", d, strings.Join(Difficulties, ", "))
	}
	return problems
}

func isDifficulty(d string) bool {
	for _, x := range Difficulties {
		if d == x {
			return true
		}
	}
	return false
}

// RepairList decodes a list that a model sent as a string (spec §5.6 step
// 2): strip; cut at the last "</invoke>" if there is one; decode; else, if
// the string starts with "[" and contains "}", cut after the "]" that
// balances the first "[" (counting brackets only, as the original does) and
// decode that prefix.
func RepairList(s string) (any, error) {
	s = spt.Strip(s)
	if i := strings.LastIndex(s, "</invoke>"); i >= 0 {
		s = spt.Strip(s[:i])
	}
	if v, err := pyjson.Parse([]byte(s)); err == nil {
		return v, nil
	}
	if !strings.HasPrefix(s, "[") || !strings.Contains(s, "}") {
		return nil, errors.New("not JSON and not a repairable list")
	}
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[':
			depth++
		case ']':
			depth--
			if depth == 0 {
				v, err := pyjson.Parse([]byte(s[:i+1]))
				if err != nil {
					return nil, fmt.Errorf("balanced prefix is not JSON: %w", err)
				}
				return v, nil
			}
		}
	}
	return nil, errors.New("no balancing ']'")
}

// CheckSamples validates already-parsed samples as ParseBatch does (without
// the count check): a test and tooling helper.
func CheckSamples(data []any) error {
	var problems []error
	for i, v := range data {
		problems = append(problems, checkSample(i, v)...)
	}
	return errors.Join(problems...)
}
