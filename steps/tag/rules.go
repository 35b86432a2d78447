package tag

import (
	"fmt"
	"strings"

	"github.com/sptflow/sptflow/pyjson"
)

// recordTags returns the intervention-level tags of one record in the order
// of spec §8.3. irf is the item's intended_review_focus (nil if missing); sc
// is scratch storage for the leakage scan.
func recordTags(rec *pyjson.Object, irf any, sc *scan) ([]string, error) {
	var tags []string
	conf, err := confidenceTags(rec)
	if err != nil {
		return nil, err
	}
	tags = append(tags, conf...)
	faulty, _ := rec.Get("faulty_data")
	if truthy(faulty) {
		tags = append(tags, DataIsFaulty)
	}
	mismatch, err := mismatchingFocus(irf, rec)
	if err != nil {
		return nil, err
	}
	if mismatch {
		tags = append(tags, MismatchingReviewFocus)
	}
	tags = append(tags, difficultyTags(rec)...)
	leak, err := leakage(rec, sc)
	if err != nil {
		return nil, err
	}
	if leak {
		tags = append(tags, TrainingDataLeakage)
	}
	if passed, ok := rec.Get("stage_3_reviews_passed"); ok && passed == false {
		tags = append(tags, FailedExternalReview)
	}
	return tags, nil
}

var confidenceThresholds = []struct {
	below float64
	tag   string
}{{5, ConfidenceBelow5}, {4, ConfidenceBelow4}, {3, ConfidenceBelow3}, {2, ConfidenceBelow2}}

// confidenceTags applies confidence_below_5..2: confidence present, not
// null, and below the threshold. As in Python, booleans count as 0 and 1.
func confidenceTags(rec *pyjson.Object) ([]string, error) {
	v, _ := rec.Get("confidence")
	if v == nil {
		return nil, nil
	}
	c, ok := numeric(v)
	if !ok {
		return nil, fmt.Errorf("confidence is %s, not a number", pyjson.TypeName(v))
	}
	var tags []string
	for _, th := range confidenceThresholds {
		if c < th.below {
			tags = append(tags, th.tag)
		}
	}
	return tags, nil
}

// numeric returns a JSON number or boolean as a float, as Python compares it.
func numeric(v any) (float64, bool) {
	switch x := v.(type) {
	case pyjson.Number:
		return x.Float64(), true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

// truthy is Python's bool() of a decoded JSON value.
func truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case pyjson.Number:
		return x.Float64() != 0
	case string:
		return x != ""
	case []any:
		return len(x) > 0
	case *pyjson.Object:
		return x.Len() > 0
	}
	return true
}

// mismatchingFocus is the raw substring rule: both focuses non-empty and
// neither a substring of the other (case-sensitive, no list splitting).
func mismatchingFocus(irf any, rec *pyjson.Object) (bool, error) {
	srf, _ := rec.Get("selected_review_focus")
	if !truthy(irf) || !truthy(srf) {
		return false, nil
	}
	is, ok1 := irf.(string)
	ss, ok2 := srf.(string)
	if !ok1 || !ok2 {
		return false, fmt.Errorf("review focuses are %s and %s, want strings", pyjson.TypeName(irf), pyjson.TypeName(srf))
	}
	return !strings.Contains(ss, is) && !strings.Contains(is, ss), nil
}

// difficultyRank orders detection difficulties; anything else ranks 0.
func difficultyRank(v any) int {
	switch v {
	case "easy":
		return 1
	case "medium":
		return 2
	case "hard":
		return 3
	}
	return 0
}

var (
	externalTags = [4]string{"", EasyExternal, MediumExternal, HardExternal}
	internalTags = [4]string{"", EasyInternal, MediumInternal, HardInternal}
)

// difficultyTags applies the external, internal and easier-externally tags.
func difficultyTags(rec *pyjson.Object) []string {
	ext, _ := rec.Get("detection_difficulty_external")
	in, _ := rec.Get("detection_difficulty_internal")
	re, ri := difficultyRank(ext), difficultyRank(in)
	var tags []string
	if re > 0 {
		tags = append(tags, externalTags[re])
	}
	if ri > 0 {
		tags = append(tags, internalTags[ri])
	}
	if truthy(ext) && truthy(in) && re > 0 && ri > 0 && re < ri {
		tags = append(tags, EasierExternally)
	}
	return tags
}

// leakage applies training_data_leakage to the record's I and R texts.
func leakage(rec *pyjson.Object, sc *scan) (bool, error) {
	i, err := text(rec, "I")
	if err != nil {
		return false, err
	}
	r, err := text(rec, "R")
	if err != nil {
		return false, err
	}
	return leaks(i, r, sc), nil
}

// text returns a string field; missing, null and other falsy values are "".
func text(rec *pyjson.Object, key string) (string, error) {
	v, _ := rec.Get(key)
	if !truthy(v) {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%s is %s, not a string", key, pyjson.TypeName(v))
	}
	return s, nil
}
