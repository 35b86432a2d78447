package analyze

import (
	"sort"
	"strings"

	"github.com/sptflow/sptflow/pyjson"
)

// rankOf maps detection-difficulty levels to numbers for the averages
// (easy 1, medium 2, hard 3); other values (NA, FPT, unknown) are not
// averaged. A switch, not a map: a tally looks up two per record.
func rankOf(s string) (float64, bool) {
	switch s {
	case "easy":
		return 1, true
	case "medium":
		return 2, true
	case "hard":
		return 3, true
	}
	return 0, false
}

// summaryStats is summary_report.json's summary_stats (§12.4).
func (a *analysis) summaryStats() *pyjson.Object {
	topicC, modelC := map[string]int{}, map[string]int{}
	for t, ta := range a.byTopic {
		if ta.all.n > 0 {
			topicC[t] = ta.all.n
		}
	}
	for m, t := range a.byModel.m {
		modelC[m] = t.n
	}
	names := []string{}
	for n := range a.names {
		if n != "" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	o := pyjson.NewObject(16)
	o.Set("total_samples", a.nRecs)
	o.Set("unique_topics", len(a.topics))
	o.Set("unique_models", len(a.models))
	o.Set("unique_interventions", len(a.itypes))
	o.Set("unique_intervention_names", names)
	o.Set("topic_counts", countObject(topicC))
	o.Set("model_counts", countObject(modelC))
	o.Set("variant_counts", countObject(a.variantC.m()))
	o.Set("verdict_counts", countObject(a.all.verdicts.m()))
	o.Set("ab_balance", a.abBalance())
	o.Set("token_analysis", a.tokens.json(a.nRecs))
	o.Set("confidence_distribution", numericCountObject(a.all.conf.m()))
	o.Set("detection_difficulty_internal_distribution", countObject(a.all.dd[internal].m()))
	o.Set("detection_difficulty_external_distribution", countObject(a.all.dd[external].m()))
	o.Set("review_focus_analysis", a.reviewFocusAnalysis())
	o.Set("batch_counts", orderedObject(&a.batchRecs))
	return o
}

func (a *analysis) abBalance() *pyjson.Object {
	o := pyjson.NewObject(len(a.topics))
	for _, t := range a.topics {
		x := a.byTopic[t].all
		na, nb := x.na, x.nb
		b := pyjson.NewObject(4)
		b.Set("A", na)
		b.Set("B", nb)
		b.Set("A_pct", pct(na, na+nb))
		b.Set("B_pct", pct(nb, na+nb))
		o.Set(t, b)
	}
	return o
}

// tokenAgg counts output-token lengths. The original's buckets left
// [2000, 2048) and > 2048 uncounted; count_2000_2048 and count_over_2048
// close the gaps (appended, so the original keys keep their order).
type tokenAgg struct {
	at2048   int     // records at exactly 2048
	n        int     // records with a positive length
	sum      float64 // their lengths, added in record order
	lo, hi   any     // the first record's value with the least / greatest length
	loF, hiF float64
	buckets  [7]int // <100, [100,500), [500,1000), [1000,2000), [2000,2048), ==2048, >2048
}

func (t *tokenAgg) add(r *record) {
	v := r.outF
	if v == 2048 {
		t.at2048++
	}
	if v <= 0 {
		return
	}
	if t.n == 0 {
		t.lo, t.hi, t.loF, t.hiF = r.outTok, r.outTok, v, v
	}
	t.n++
	t.sum += v
	if v < t.loF {
		t.lo, t.loF = r.outTok, v
	}
	if v > t.hiF {
		t.hi, t.hiF = r.outTok, v
	}
	t.buckets[tokenBucket(v)]++
}

func (t *tokenAgg) json(records int) *pyjson.Object {
	d := pyjson.NewObject(9)
	if t.n > 0 {
		d.Set("mean", t.sum/float64(t.n))
		d.Set("min", t.lo)
		d.Set("max", t.hi)
		for i, k := range []string{"count_under_100", "count_100_500", "count_500_1000", "count_1000_2000"} {
			d.Set(k, t.buckets[i])
		}
		d.Set("count_at_2048", t.buckets[5])
		d.Set("count_2000_2048", t.buckets[4])
		d.Set("count_over_2048", t.buckets[6])
	}
	o := pyjson.NewObject(3)
	o.Set("samples_at_2048_tokens", t.at2048)
	o.Set("pct_samples_at_2048_tokens", pct(t.at2048, records))
	o.Set("distribution", d)
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

func (a *analysis) reviewFocusAnalysis() *pyjson.Object {
	o := pyjson.NewObject(2)
	o.Set("intended_focuses", countObject(a.intended.m()))
	o.Set("selected_focuses", countObject(a.selected.m()))
	return o
}

// rates are a group's verdict rates (percent; integer 0 when empty).
type rates struct {
	na, nb                     int
	aPass, aFail, bPass, bFail any
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
	ta := a.byTopic[t]
	all := ta.all
	x := all.rates()
	o := pyjson.NewObject(24)
	o.Set("total_samples", all.n)
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
	o.Set("confidence_distribution", numericCountObject(all.conf.m()))
	o.Set("avg_confidence", all.avgConfidence())
	o.Set("detection_difficulty_internal_distribution", countObject(all.dd[internal].m()))
	o.Set("avg_detection_difficulty_internal", all.avgDifficulty(internal))
	o.Set("detection_difficulty_external_distribution", countObject(all.dd[external].m()))
	o.Set("avg_detection_difficulty_external", all.avgDifficulty(external))
	o.Set("model_performance", performance(ta.byModel.m, a.models))
	o.Set("intervention_performance", performance(ta.byType.m, a.itypes))
	o.Set("review_focus_matches", ta.focusMatch)
	o.Set("review_focus_mismatches", ta.focusMismatch)
	o.Set("review_focus_examples", nonNil(ta.focusExamples))
	return o
}

// performance is model_performance / intervention_performance: for each
// key (sorted) with records, samples, a_pass_rate, b_fail_rate, quality_score.
func performance(groups tallies, keys []string) *pyjson.Object {
	o := pyjson.NewObject(len(keys))
	for _, k := range keys {
		g := groups[k]
		if g == nil || g.n == 0 {
			continue
		}
		x := g.rates()
		p := pyjson.NewObject(4)
		p.Set("samples", g.n)
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
