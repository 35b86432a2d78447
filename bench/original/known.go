package main

import (
	"regexp"
	"slices"
	"strconv"

	"github.com/sptflow/sptflow/pyjson"
)

// The stage-3 analysis differs from the original on purpose (README "Where
// sptflow differs from the original on purpose", steps/analyze/doc.go). The
// rules below name each such change and the JSON paths it touches, so the
// comparison reports those differences by rule and lists every other one in
// full: an unexplained difference is a finding.

// rule explains differences of some kinds at some paths of some files.
type rule struct {
	reason string
	file   *regexp.Regexp // the path of the file relative to the tree
	path   *regexp.Regexp // the JSON path
	kinds  []kind
}

// setOrder names arrays whose order in the original follows Python set
// order, which changes from process to process: they are sorted on both
// sides before comparing, so only a different set of values shows. An
// array of objects is sorted by the string member by.
type setOrder struct {
	file, path *regexp.Regexp
	by         string
}

// ruleSet is what -known selects.
type ruleSet struct {
	rules []rule
	sets  []setOrder
}

func re(s string) *regexp.Regexp { return regexp.MustCompile(s) }

const (
	difficulty = "detection difficulty read from detection_difficulty_internal/_external " +
		"(the original read a field that does not exist, so its figures were always empty)"
	setOrderReason = "duplicate_prompts lists topics and sources sorted, and groups entries by the first " +
		"(the original: Python set order, which changes from process to process); the same entries once sorted"
	duplicates = "duplicate_prompts counts a duplicate for the first of its sorted topics (the original: the first in set order, which changes per process)"
)

var knownRules = map[string]ruleSet{
	"analysis": {
		rules: []rule{
			{"no analysis_timestamp (two runs give identical bytes)",
				re(`^summary_report\.json$`), re(`^\$\.analysis_timestamp$`), []kind{onlyInOrig}},
			{difficulty, re(`\.json$`),
				re(`(^\$|\.)(difficulty_distribution|avg_difficulty|topic_difficulty_ranking|detection_difficulty)$`), []kind{onlyInOrig}},
			{difficulty, re(`\.json$`),
				re(`(^\$|\.)(detection_difficulty_(internal|external)(_distribution)?|avg_detection_difficulty_(internal|external)|topic_difficulty_ranking_(internal|external))$`),
				[]kind{onlyInSpt}},
			{"token buckets without gaps (count_2000_2048 and count_over_2048 added)",
				re(`^summary_report\.json$`), re(`^\$\.summary_stats\.token_analysis\.distribution\.(count_2000_2048|count_over_2048)$`), []kind{onlyInSpt}},
			{"batch dates are the YYYYMMDD part of the batch id for every topic (the original took the third \"_\" field)",
				re(`^interesting_examples/batch_analysis\.json$`), re(`^\$\.(lowest|highest)_pass_rates\[\d+\]\.date$`), []kind{valueDiffers}},
			{"sanity checks group records by file and item, and their messages name them (the original: per-file item index across a topic's files)",
				re(`^summary_report\.json$`), re(`^\$\.sanity_check_failures(\[\d+\])?$`), []kind{valueDiffers, lengthDiffers}},
			{duplicates, re(`^summary_report\.json$`),
				re(`^\$\.interestingness_breakdowns\.duplicate_prompts\.by_topic(\.\w+(\.(count|dataset_count|percentage))?)?$`),
				[]kind{valueDiffers, keyOrder, onlyInOrig, onlyInSpt}},
		},
		// duplicate_prompts.json: each entry's topics and sources are a set,
		// and the entries are grouped by their first topic in that order.
		sets: []setOrder{
			{re(`^interesting_examples/duplicate_prompts\.json$`), re(`^\$\[\d+\]\.(topics|sources)$`), ""},
			{re(`^interesting_examples/duplicate_prompts\.json$`), re(`^\$$`), "key"},
		},
	},
}

// explain returns the reason of the first rule that covers d in file, or "".
func (s *ruleSet) explain(file string, d difference) string {
	if s == nil {
		return ""
	}
	for _, r := range s.rules {
		if r.file.MatchString(file) && r.path.MatchString(d.path) && slices.Contains(r.kinds, d.kind) {
			return r.reason
		}
	}
	return ""
}

// sortSets sorts, in v (a document of file), the arrays the set-order
// rules name. It reports whether it sorted any.
func (s *ruleSet) sortSets(file string, v any) bool {
	if s == nil {
		return false
	}
	sorted := false
	for _, so := range s.sets {
		if so.file.MatchString(file) {
			sorted = walkArrays("$", v, func(path string, a []any) bool {
				if !so.path.MatchString(path) {
					return false
				}
				slices.SortStableFunc(a, func(x, y any) int {
					return compareStrings(sortKey(x, so.by), sortKey(y, so.by))
				})
				return true
			}) || sorted
		}
	}
	return sorted
}

// sortKey is v itself when by is "", else v's string member by.
func sortKey(v any, by string) string {
	if o, ok := v.(*pyjson.Object); ok && by != "" {
		s, _ := o.Str(by)
		return s
	}
	s, _ := v.(string)
	return s
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// walkArrays calls f on every array below v with its path; it reports
// whether any call returned true.
func walkArrays(path string, v any, f func(string, []any) bool) bool {
	hit := false
	switch t := v.(type) {
	case *pyjson.Object:
		for i := range t.Len() {
			k, w := t.At(i)
			hit = walkArrays(member(path, k), w, f) || hit
		}
	case []any:
		hit = f(path, t)
		for i, w := range t {
			hit = walkArrays(path+"["+strconv.Itoa(i)+"]", w, f) || hit
		}
	}
	return hit
}
