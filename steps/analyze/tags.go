package analyze

import (
	"sort"

	"github.com/sptflow/sptflow/pyjson"
)

// qualityIssueTags are the tags whose counts make a topic's issue score.
var qualityIssueTags = []string{
	"confidence_below_3", "confidence_below_2", "data_is_faulty",
	"mismatching_review_focus", "generation_exceeded_token_limit",
	"intervention_tags_disagree_twice", "unclear_a_b_separation",
	"a_fails_but_b_passes", "missing_consensus_on_a", "missing_consensus_on_b",
}

// expectedTags are the tags whose absence is reported.
var expectedTags = []string{
	"confidence_below_5", "confidence_below_4", "confidence_below_3", "confidence_below_2",
	"data_is_faulty", "mismatching_review_focus", "generation_exceeded_token_limit",
	"intervention_tags_disagree_once", "intervention_tags_disagree_twice",
	"no_a_b_separation", "missing_consensus_on_a", "missing_consensus_on_b",
	"unclear_a_b_separation", "a_fails_but_b_passes",
}

// sortedTags returns the tags by count descending, ties in first-seen order.
func (a *analysis) sortedTags() []string {
	tags := append([]string(nil), a.tags.keys...)
	sort.SliceStable(tags, func(i, j int) bool { return a.tags.get(tags[i]) > a.tags.get(tags[j]) })
	return tags
}

// tagAnalysis is tag_analysis.json (§12.6).
func (a *analysis) tagAnalysis() *pyjson.Object {
	total := 0
	for _, n := range a.tags.vals {
		total += n
	}
	sorted := a.sortedTags()
	counts, pcts := pyjson.NewObject(len(sorted)), pyjson.NewObject(len(sorted))
	for _, t := range sorted {
		n := a.tags.get(t)
		counts.Set(t, n)
		p := pyjson.NewObject(3)
		p.Set("count", n)
		p.Set("pct_of_tags", pct(n, total))
		p.Set("pct_of_records", pct(n, a.nRecs))
		pcts.Set(t, p)
	}
	o := pyjson.NewObject(8)
	o.Set("total_tags_applied", total)
	o.Set("unique_tags", len(a.tags.keys))
	o.Set("tag_counts", counts)
	o.Set("tag_percentages", pcts)
	o.Set("topic_issue_scores", a.topicIssueScores())
	byTopic := pyjson.NewObject(len(a.tagOrder))
	for _, t := range a.tagOrder {
		byTopic.Set(t, orderedObject(a.tagTopic[t]))
	}
	o.Set("tag_counts_by_topic", byTopic)
	missing := []string{}
	for _, t := range expectedTags {
		if !a.tags.has(t) {
			missing = append(missing, t)
		}
	}
	o.Set("missing_expected_tags", missing)
	o.Set("quality_issue_tags", qualityIssueTags)
	return o
}

// issueCount sums a topic's counts of the quality-issue tags.
func (a *analysis) issueCount(topic string) int {
	n := 0
	if tc := a.tagTopic[topic]; tc != nil {
		for _, t := range qualityIssueTags {
			n += tc.get(t)
		}
	}
	return n
}

func (a *analysis) topicIssueScores() *pyjson.Object {
	type score struct {
		topic string
		o     *pyjson.Object
		rate  any
	}
	var ss []score
	for _, t := range a.topics {
		n, recs := a.issueCount(t), a.byTopic[t].all.n
		o := pyjson.NewObject(3)
		o.Set("issue_count", n)
		o.Set("total_records", recs)
		o.Set("issue_rate", pct(n, recs))
		ss = append(ss, score{t, o, pct(n, recs)})
	}
	sort.SliceStable(ss, func(i, j int) bool { return toF(ss[i].rate) > toF(ss[j].rate) })
	out := pyjson.NewObject(len(ss))
	for _, s := range ss {
		out.Set(s.topic, s.o)
	}
	return out
}

// crossTopic is summary_report.json's cross_topic_comparisons (§12.9),
// computed from the per-topic statistics.
func (a *analysis) crossTopic(stats map[string]*pyjson.Object) *pyjson.Object {
	var quality, confidence, diffInt, diffExt ranking
	for _, t := range a.topics {
		s := stats[t]
		q, _ := s.Get("quality_score")
		c, _ := s.Get("avg_confidence")
		di, _ := s.Get("avg_detection_difficulty_internal")
		de, _ := s.Get("avg_detection_difficulty_external")
		quality = append(quality, []any{t, q})
		confidence = append(confidence, []any{t, c})
		diffInt = append(diffInt, []any{t, di})
		diffExt = append(diffExt, []any{t, de})
	}
	o := pyjson.NewObject(8)
	o.Set("topic_quality_ranking", quality.sorted(true))
	o.Set("topic_confidence_ranking", confidence.sorted(true))
	o.Set("topic_difficulty_ranking_internal", diffInt.sorted(false))
	o.Set("topic_difficulty_ranking_external", diffExt.sorted(false))
	o.Set("model_ranking", a.meanRanking(stats, "model_performance"))
	o.Set("intervention_ranking", a.meanRanking(stats, "intervention_performance"))
	o.Set("intervention_set", append([]string{}, a.itypes...))
	return o
}

// meanRanking ranks the keys of a performance table by the mean of their
// per-topic quality scores: [name, mean, number of topics], descending.
func (a *analysis) meanRanking(stats map[string]*pyjson.Object, field string) []any {
	var order []string
	scores := map[string][]float64{}
	for _, t := range a.topics {
		perf := stats[t].Obj(field)
		for i := 0; i < perf.Len(); i++ {
			k, v := perf.At(i)
			q, _ := v.(*pyjson.Object).Get("quality_score")
			if _, ok := scores[k]; !ok {
				order = append(order, k)
			}
			scores[k] = append(scores[k], toF(q))
		}
	}
	var rk ranking
	for _, k := range order {
		sum := 0.0
		for _, s := range scores[k] {
			sum += s
		}
		rk = append(rk, []any{k, sum / float64(len(scores[k])), len(scores[k])})
	}
	return nonNil(rk.sorted(true))
}
