package analyze

import (
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/sptflow/sptflow/pyjson"
)

// difficultyRank maps detection-difficulty levels to numbers for the
// averages; other values (NA, FPT, unknown) are not averaged.
var difficultyRank = map[string]float64{"easy": 1, "medium": 2, "hard": 3}

// summaryStats is summary_report.json's summary_stats (§12.4).
func (a *analysis) summaryStats() *pyjson.Object {
	topicC, modelC, variantC, verdictC := map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}
	names := map[string]bool{}
	var batch counts
	for _, r := range a.recs {
		topicC[a.files[r.file].topic]++
		modelC[r.model]++
		variantC[r.variant]++
		verdictC[keyOf(r.p)]++
		if r.name != "" {
			names[r.name] = true
		}
		if b, ok := a.files[r.file].batchID.(string); ok && b != "" {
			batch.add(b, 1)
		}
	}
	o := pyjson.NewObject(16)
	o.Set("total_samples", len(a.recs))
	o.Set("unique_topics", len(a.topics))
	o.Set("unique_models", len(a.models))
	o.Set("unique_interventions", len(a.itypes))
	o.Set("unique_intervention_names", slices.Sorted(maps.Keys(names)))
	o.Set("topic_counts", countObject(topicC))
	o.Set("model_counts", countObject(modelC))
	o.Set("variant_counts", countObject(variantC))
	o.Set("verdict_counts", countObject(verdictC))
	o.Set("ab_balance", a.abBalance())
	o.Set("token_analysis", tokenAnalysis(a.recs))
	o.Set("confidence_distribution", confidenceDistribution(a.recs))
	o.Set("detection_difficulty_internal_distribution", difficultyDistribution(a.recs, internal))
	o.Set("detection_difficulty_external_distribution", difficultyDistribution(a.recs, external))
	o.Set("review_focus_analysis", a.reviewFocusAnalysis())
	o.Set("batch_counts", orderedObject(&batch))
	return o
}

func (a *analysis) abBalance() *pyjson.Object {
	o := pyjson.NewObject(len(a.topics))
	for _, t := range a.topics {
		na, nb := variantCounts(a.byTopic[t])
		b := pyjson.NewObject(4)
		b.Set("A", na)
		b.Set("B", nb)
		b.Set("A_pct", pct(na, na+nb))
		b.Set("B_pct", pct(nb, na+nb))
		o.Set(t, b)
	}
	return o
}

func variantCounts(rs []*record) (na, nb int) {
	for _, r := range rs {
		switch r.variant {
		case "A":
			na++
		case "B":
			nb++
		}
	}
	return na, nb
}

// tokenAnalysis counts output-token lengths. The original's buckets left
// [2000, 2048) and > 2048 uncounted; count_2000_2048 and count_over_2048
// close the gaps (appended, so the original keys keep their order).
func tokenAnalysis(rs []*record) *pyjson.Object {
	at2048 := 0
	var lens []*record
	for _, r := range rs {
		if r.outF == 2048 {
			at2048++
		}
		if r.outF > 0 {
			lens = append(lens, r)
		}
	}
	o := pyjson.NewObject(3)
	o.Set("samples_at_2048_tokens", at2048)
	o.Set("pct_samples_at_2048_tokens", pct(at2048, len(rs)))
	o.Set("distribution", tokenDistribution(lens))
	return o
}

func tokenDistribution(rs []*record) *pyjson.Object {
	o := pyjson.NewObject(9)
	if len(rs) == 0 {
		return o
	}
	var b [7]int // <100, [100,500), [500,1000), [1000,2000), [2000,2048), ==2048, >2048
	sum, lo, hi := 0.0, rs[0], rs[0]
	for _, r := range rs {
		v := r.outF
		sum += v
		if v < lo.outF {
			lo = r
		}
		if v > hi.outF {
			hi = r
		}
		b[tokenBucket(v)]++
	}
	o.Set("mean", sum/float64(len(rs)))
	o.Set("min", lo.outTok)
	o.Set("max", hi.outTok)
	for i, k := range []string{"count_under_100", "count_100_500", "count_500_1000", "count_1000_2000"} {
		o.Set(k, b[i])
	}
	o.Set("count_at_2048", b[5])
	o.Set("count_2000_2048", b[4])
	o.Set("count_over_2048", b[6])
	return o
}

// tokenBucket is the index of v's bucket; every positive value has one.
func tokenBucket(v float64) int {
	switch {
	case v < 100:
		return 0
	case v < 500:
		return 1
	case v < 1000:
		return 2
	case v < 2000:
		return 3
	case v < 2048:
		return 4
	case v == 2048:
		return 5
	}
	return 6
}

func confidenceDistribution(rs []*record) *pyjson.Object {
	c := map[string]int{}
	for _, r := range rs {
		if r.conf != nil {
			c[keyOf(r.conf)]++
		}
	}
	return numericCountObject(c)
}

type difficultyField int

const (
	internal difficultyField = iota
	external
)

func (r *record) difficulty(f difficultyField) any {
	if f == internal {
		return r.ddInt
	}
	return r.ddExt
}

func difficultyDistribution(rs []*record, f difficultyField) *pyjson.Object {
	c := map[string]int{}
	for _, r := range rs {
		if v := r.difficulty(f); truthy(v) {
			c[keyOf(v)]++
		}
	}
	return countObject(c)
}

// avgDifficulty averages easy=1, medium=2, hard=3 over the records with one
// of those levels.
func avgDifficulty(rs []*record, f difficultyField) any {
	sum, n := 0.0, 0
	for _, r := range rs {
		if s, ok := r.difficulty(f).(string); ok {
			if v, ok := difficultyRank[s]; ok {
				sum += v
				n++
			}
		}
	}
	return mean(sum, n)
}

func (a *analysis) reviewFocusAnalysis() *pyjson.Object {
	intended, selected := map[string]int{}, map[string]int{}
	for _, r := range a.recs {
		if v := a.itemOf(r).intended; truthy(v) {
			intended[keyOf(v)]++
		}
		if truthy(r.selected) {
			selected[keyOf(r.selected)]++
		}
	}
	o := pyjson.NewObject(2)
	o.Set("intended_focuses", countObject(intended))
	o.Set("selected_focuses", countObject(selected))
	return o
}

// rates are a group's verdict rates (percent; integer 0 when empty).
type rates struct {
	na, nb                     int
	aPass, aFail, bPass, bFail any
}

func rateOf(rs []*record) rates {
	var x rates
	var ap, af, bp, bf int
	for _, r := range rs {
		switch r.variant {
		case "A":
			x.na++
			ap, af = ap+b2i(r.pStr == "PASS"), af+b2i(r.pStr == "FAIL")
		case "B":
			x.nb++
			bp, bf = bp+b2i(r.pStr == "PASS"), bf+b2i(r.pStr == "FAIL")
		}
	}
	x.aPass, x.aFail, x.bPass, x.bFail = pct(ap, x.na), pct(af, x.na), pct(bp, x.nb), pct(bf, x.nb)
	return x
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// quality is (a_pass_rate + b_fail_rate) / 2, always a float as in Python.
func (x rates) quality() float64 { return (toF(x.aPass) + toF(x.bFail)) / 2 }

// topicStats is one topic's entry of topic_comparisons.json (§12.5).
func (a *analysis) topicStats(t string) *pyjson.Object {
	rs := a.byTopic[t]
	x := rateOf(rs)
	o := pyjson.NewObject(24)
	o.Set("total_samples", len(rs))
	o.Set("a_samples", x.na)
	o.Set("b_samples", x.nb)
	o.Set("a_pass_rate", x.aPass)
	o.Set("a_fail_rate", x.aFail)
	o.Set("b_pass_rate", x.bPass)
	o.Set("b_fail_rate", x.bFail)
	var q any = 0
	if x.na > 0 && x.nb > 0 {
		q = x.quality()
	}
	o.Set("quality_score", q)
	o.Set("confidence_distribution", confidenceDistribution(rs))
	o.Set("avg_confidence", avgConfidence(rs))
	o.Set("detection_difficulty_internal_distribution", difficultyDistribution(rs, internal))
	o.Set("avg_detection_difficulty_internal", avgDifficulty(rs, internal))
	o.Set("detection_difficulty_external_distribution", difficultyDistribution(rs, external))
	o.Set("avg_detection_difficulty_external", avgDifficulty(rs, external))
	o.Set("model_performance", performance(rs, a.models, func(r *record) string { return r.model }))
	o.Set("intervention_performance", performance(rs, a.itypes, func(r *record) string { return r.typeStr }))
	a.reviewFocus(o, rs)
	return o
}

func avgConfidence(rs []*record) any {
	sum, n := 0.0, 0
	for _, r := range rs {
		if r.confOK {
			sum += r.confF
			n++
		}
	}
	return mean(sum, n)
}

// performance is model_performance / intervention_performance: for each
// key (sorted) with records, samples, a_pass_rate, b_fail_rate, quality_score.
func performance(rs []*record, keys []string, key func(*record) string) *pyjson.Object {
	groups := map[string][]*record{}
	for _, r := range rs {
		groups[key(r)] = append(groups[key(r)], r)
	}
	o := pyjson.NewObject(len(keys))
	for _, k := range keys {
		g := groups[k]
		if len(g) == 0 {
			continue
		}
		x := rateOf(g)
		p := pyjson.NewObject(4)
		p.Set("samples", len(g))
		p.Set("a_pass_rate", x.aPass)
		p.Set("b_fail_rate", x.bFail)
		p.Set("quality_score", x.quality())
		o.Set(k, p)
	}
	return o
}

// focusMatch is the original's test: equal, or either a substring of the other.
func focusMatch(intended, selected string) bool {
	return intended == selected || strings.Contains(selected, intended) || strings.Contains(intended, selected)
}

func (a *analysis) reviewFocus(o *pyjson.Object, rs []*record) {
	match, mismatch := 0, 0
	var examples []any
	for _, r := range rs {
		in, _ := a.itemOf(r).intended.(string)
		sel, _ := r.selected.(string)
		if in == "" || sel == "" {
			continue
		}
		if focusMatch(in, sel) {
			match++
			continue
		}
		mismatch++
		if len(examples) < 5 {
			e := pyjson.NewObject(3)
			e.Set("source", a.source(r))
			e.Set("intended", in)
			e.Set("selected", sel)
			examples = append(examples, e)
		}
	}
	o.Set("review_focus_matches", match)
	o.Set("review_focus_mismatches", mismatch)
	o.Set("review_focus_examples", nonNil(examples))
}

func nonNil(v []any) []any {
	if v == nil {
		return []any{}
	}
	return v
}

// ranking is a list of [name, score, ...] rows sorted stably by score.
type ranking [][]any

func (rk ranking) sorted(desc bool) []any {
	sort.SliceStable(rk, func(i, j int) bool {
		if desc {
			return toF(rk[i][1]) > toF(rk[j][1])
		}
		return toF(rk[i][1]) < toF(rk[j][1])
	})
	out := make([]any, len(rk))
	for i, r := range rk {
		out[i] = r
	}
	return out
}
