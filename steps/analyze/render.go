package analyze

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/sptflow/sptflow/pyjson"
	"github.com/sptflow/sptflow/steps/report"
)

// verdictColors fixes a colour per verdict so every chart reads the same.
var verdictColors = map[string]string{"PASS": "#009E73", "FAIL": "#D55E00", "AMBIGUOUS": "#E69F00", "ERROR": "#999999"}

var verdictOrder = []string{"PASS", "FAIL", "AMBIGUOUS", "ERROR"}

// document builds the human report from the computed results.
func (a *analysis) document(r *results) *report.Document {
	d := &report.Document{Title: "Stage 3 analysis"}
	d.Intro = []string{fmt.Sprintf("%s intervention records from %d files: %d topics, %d models, %d intervention types (%d intervention names).",
		report.Int(a.nRecs), len(a.files), len(a.topics), len(a.models), len(a.itypes), len(a.names))}
	if n := len(a.failures); n > 0 {
		d.Intro = append(d.Intro, fmt.Sprintf("Warning: %s sanity check failures (%s); see \"Sanity checks\" at the end.", report.Int(n), a.failureSummary()))
	} else {
		d.Intro = append(d.Intro, "All sanity checks passed.")
	}
	a.overview(d, r)
	a.verdictSections(d)
	a.topicSection(d, r)
	a.groupSection(d, "Models", "model", a.byModel.m)
	a.groupSection(d, "Intervention types", "intervention type", a.byType.m)
	a.groupSection(d, "Intervention names (versions)", "intervention", a.byName.m)
	a.distributionSection(d)
	a.tagSection(d, r)
	a.exampleSection(d, r)
	a.sanitySection(d)
	return d
}

func (a *analysis) overview(d *report.Document, r *results) {
	c := a.all.verdicts.m()
	rows := [][]string{}
	for _, v := range verdictKeys(c) {
		rows = append(rows, []string{v, report.Int(c[v]), report.Pct(toF(pct(c[v], a.nRecs)))})
	}
	ta := r.summary.Obj("token_analysis")
	at, _ := ta.Get("samples_at_2048_tokens")
	atp, _ := ta.Get("pct_samples_at_2048_tokens")
	d.Add("Overview",
		&report.Table{Caption: "Verdicts over all records", Columns: []report.Column{{Name: "verdict"}, {Name: "records", Numeric: true}, {Name: "share", Numeric: true}}, Rows: rows},
		report.Paragraph(fmt.Sprintf("Records whose response stopped at exactly 2048 output tokens: %s (%s).", report.Int(int(toF(at))), report.Pct(toF(atp)))),
	)
}

// verdictKeys orders verdicts PASS, FAIL, AMBIGUOUS, ERROR, then others sorted.
func verdictKeys(c map[string]int) []string {
	var out []string
	for _, v := range verdictOrder {
		if c[v] > 0 {
			out = append(out, v)
		}
	}
	var rest []string
	for k := range c {
		if verdictColors[k] == "" {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	return append(out, rest...)
}

// verdictChart is a stacked bar chart of verdicts per group.
func (a *analysis) verdictChart(title, label string, groups tallies) *report.BarChart {
	all := a.all.verdicts.m()
	cats := make([]string, 0, len(groups))
	for k, g := range groups {
		if g.n > 0 {
			cats = append(cats, k)
		}
	}
	sort.Strings(cats)
	c := &report.BarChart{Title: title, Categories: cats, Stacked: true, ValueLabel: "intervention records", CategoryLabel: label}
	for _, v := range verdictKeys(all) {
		s := report.Series{Name: v, Color: verdictColors[v]}
		for _, k := range cats {
			s.Values = append(s.Values, float64(groups[k].verdicts.get(v)))
		}
		c.Series = append(c.Series, s)
	}
	return c
}

func (a *analysis) verdictSections(d *report.Document) {
	d.Add("Verdicts",
		a.verdictChart("Verdicts per topic", "topic", a.topicTallies()),
		a.verdictChart("Verdicts per model", "model", a.byModel.m),
		a.verdictChart("Verdicts per intervention type", "intervention type", a.byType.m),
	)
}

func (a *analysis) topicSection(d *report.Document, r *results) {
	chart := &report.BarChart{Title: "A vs B pass rates per topic (A should pass, B should fail)", Categories: a.topics, Max: 100,
		ValueLabel: "% of the variant's records with verdict PASS", CategoryLabel: "topic",
		Series: []report.Series{{Name: "A pass rate", Color: "#0072B2"}, {Name: "B pass rate", Color: "#E69F00"}}}
	t := &report.Table{Caption: "Per topic", Columns: numCols("topic", "records", "A", "B", "A pass %", "A fail %", "B pass %", "B fail %",
		"quality", "avg conf.", "difficulty int.", "difficulty ext.", "focus mismatch")}
	for _, topic := range a.topics {
		s := r.stats[topic]
		chart.Series[0].Values = append(chart.Series[0].Values, num(s, "a_pass_rate"))
		chart.Series[1].Values = append(chart.Series[1].Values, num(s, "b_pass_rate"))
		t.Rows = append(t.Rows, []string{topic, intOf(s, "total_samples"), intOf(s, "a_samples"), intOf(s, "b_samples"),
			fixed(s, "a_pass_rate", 1), fixed(s, "a_fail_rate", 1), fixed(s, "b_pass_rate", 1), fixed(s, "b_fail_rate", 1),
			fixed(s, "quality_score", 1), fixed(s, "avg_confidence", 2), fixed(s, "avg_detection_difficulty_internal", 2),
			fixed(s, "avg_detection_difficulty_external", 2), intOf(s, "review_focus_mismatches")})
	}
	d.Add("Topics", chart, t,
		report.Paragraph("quality = (A pass rate + B fail rate) / 2. difficulty int./ext. average detection_difficulty_internal/_external with easy = 1, medium = 2, hard = 3; NA and other values are left out."))
}

func numCols(first string, rest ...string) []report.Column {
	cols := []report.Column{{Name: first}}
	for _, n := range rest {
		cols = append(cols, report.Column{Name: n, Numeric: true})
	}
	return cols
}

func num(o *pyjson.Object, k string) float64 { v, _ := o.Get(k); return toF(v) }

func fixed(o *pyjson.Object, k string, dec int) string { return report.Num(num(o, k), dec) }

func intOf(o *pyjson.Object, k string) string { return report.Int(int(num(o, k))) }

// topicTallies are the topics' tallies of all their records.
func (a *analysis) topicTallies() tallies {
	ts := tallies{}
	for t, ta := range a.byTopic {
		ts[t] = ta.all
	}
	return ts
}

// groupSection tabulates pass rates and confidence per group over all topics.
func (a *analysis) groupSection(d *report.Document, title, label string, groups tallies) {
	names := make([]string, 0, len(groups))
	for k := range groups {
		names = append(names, k)
	}
	sort.Strings(names)
	t := &report.Table{Caption: title + " over all topics", Columns: numCols(label, "records", "A pass %", "A fail %", "B pass %", "B fail %", "quality", "avg confidence")}
	for _, n := range names {
		g := groups[n]
		x := g.rates()
		t.Rows = append(t.Rows, []string{n, report.Int(g.n), report.Num(toF(x.aPass), 1), report.Num(toF(x.aFail), 1),
			report.Num(toF(x.bPass), 1), report.Num(toF(x.bFail), 1), report.Num(x.quality(), 1), report.Num(toF(g.avgConfidence()), 2)})
	}
	d.Add(title, t)
}

func (a *analysis) distributionSection(d *report.Document) {
	co := numericCountObject(a.all.conf.m())
	ch := &report.Histogram{Title: "Confidence of the verdicts", XLabel: "confidence", YLabel: "intervention records", Color: "#0072B2"}
	for i := 0; i < co.Len(); i++ {
		k, v := co.At(i)
		ch.Bins = append(ch.Bins, report.Bin{Label: k, Count: toF(v)})
	}
	dd := &report.BarChart{Title: "Detection difficulty, internal vs external", Categories: append(slices.Clone(difficultyLevels), "other/missing"),
		ValueLabel: "intervention records", CategoryLabel: "difficulty",
		Series: []report.Series{{Name: "internal", Color: "#0072B2"}, {Name: "external", Color: "#E69F00"}}}
	for f := range a.levels {
		dd.Series[f].Values = a.levels[f]
	}
	d.Add("Confidence and detection difficulty", ch, dd)
	d.Add("Response length", a.lengthHistogram(),
		report.Paragraph("One count per response (model, item, variant); 2048 is the generation limit of the stage-2 models."))
}

func levelIndex(v any, levels []string) int {
	s, _ := v.(string)
	for i, l := range levels {
		if s == l {
			return i
		}
	}
	return len(levels)
}

// difficultyLevels are the report's detection-difficulty bars (then
// "other/missing").
var difficultyLevels = []string{"easy", "medium", "hard", "NA"}

// lengthBins are the response-length histogram's bins: [0, 256) ...
// [1792, 2048), 2048 (the limit), > 2048.
const lengthBins = 10

// lengthBin is the bin of an output-token count.
func lengthBin(v float64) int {
	switch {
	case v == 2048:
		return 8
	case v > 2048:
		return 9
	}
	return max(0, int(v)/256)
}

// lengthHistogram counts output_tokens once per response.
func (a *analysis) lengthHistogram() *report.Histogram {
	h := &report.Histogram{Title: "Response length (output tokens per response)", XLabel: "output tokens", YLabel: "responses", Color: "#009E73"}
	for lo := 0; lo < 2048; lo += 256 {
		hi := min(lo+256, 2048)
		h.Bins = append(h.Bins, report.Bin{Label: "[" + strconv.Itoa(lo) + ", " + strconv.Itoa(hi) + ")"})
	}
	h.Bins = append(h.Bins, report.Bin{Label: "2048 (limit)"}, report.Bin{Label: "> 2048"})
	for i := range h.Bins {
		h.Bins[i].Count = a.lengths[i]
	}
	return h
}

func (a *analysis) tagSection(d *report.Document, r *results) {
	tags := a.sortedTags()
	c := &report.BarChart{Title: "Tag frequencies (§12.2 counting: variant tags once, record tags unless on the variant)", Categories: tags,
		ValueLabel: "tag applications", CategoryLabel: "tag", Series: []report.Series{{Name: "count", Color: "#CC79A7"}}}
	t := &report.Table{Caption: "Tags", Columns: numCols("tag", "count", "% of tags", "% of records")}
	pcts := r.tags.Obj("tag_percentages")
	for _, tag := range tags {
		c.Series[0].Values = append(c.Series[0].Values, float64(a.tags.get(tag)))
		p := pcts.Obj(tag)
		t.Rows = append(t.Rows, []string{tag, report.Int(a.tags.get(tag)), fixed(p, "pct_of_tags", 2), fixed(p, "pct_of_records", 2)})
	}
	it := &report.Table{Caption: "Quality issues per topic", Columns: numCols("topic", "issue tags", "records", "issue rate %")}
	scores := r.tags.Obj("topic_issue_scores")
	for i := 0; i < scores.Len(); i++ {
		k, v := scores.At(i)
		o := v.(*pyjson.Object)
		it.Rows = append(it.Rows, []string{k, intOf(o, "issue_count"), intOf(o, "total_records"), fixed(o, "issue_rate", 1)})
	}
	d.Add("Tags", c, t, it)
}

func (a *analysis) exampleSection(d *report.Document, r *results) {
	t := &report.Table{Caption: "Interesting examples (files under interesting_examples/)", Columns: numCols("category", "found", "out of", "%")}
	for _, c := range r.cats {
		if !c.isList {
			continue
		}
		base := c.baseSum()
		t.Rows = append(t.Rows, []string{c.name, report.Int(c.n), report.Int(base), report.Num(toF(pct(c.n, base)), 1)})
	}
	s := d.Add("Interesting examples", t)
	for _, c := range r.cats {
		if c.name == "batch_analysis" {
			s.Add(batchTable("Batches with the lowest pass rates", c.obj.Arr("lowest_pass_rates")),
				batchTable("Batches with the highest pass rates", c.obj.Arr("highest_pass_rates")))
		}
	}
}

func batchTable(caption string, rows []any) *report.Table {
	t := &report.Table{Caption: caption, Columns: []report.Column{{Name: "batch"}, {Name: "topic"}, {Name: "date"},
		{Name: "records", Numeric: true}, {Name: "pass %", Numeric: true}, {Name: "avg confidence", Numeric: true}}}
	for _, v := range rows {
		o := v.(*pyjson.Object)
		id, _ := o.Str("batch_id")
		topic, _ := o.Str("topic")
		date, _ := o.Str("date")
		t.Rows = append(t.Rows, []string{id, topic, date, intOf(o, "samples"), fixed(o, "pass_rate", 1), fixed(o, "avg_confidence", 2)})
	}
	return t
}

func (a *analysis) sanitySection(d *report.Document) {
	if len(a.failures) == 0 {
		d.Add("Sanity checks", report.Paragraph("All sanity checks passed."))
		return
	}
	byKind := &report.Table{Caption: "Sanity check failures by kind and model", Columns: []report.Column{{Name: "check"}, {Name: "model"}, {Name: "failures", Numeric: true}}}
	for _, k := range a.failureCountsByModel() {
		model := k.model
		if model == "" {
			model = "-"
		}
		byKind.Rows = append(byKind.Rows, []string{k.kind, model, report.Int(k.n)})
	}
	t := &report.Table{Caption: "Sanity check failures", Columns: []report.Column{{Name: "#", Numeric: true}, {Name: "failure"}}}
	for i, f := range a.failures[:min(len(a.failures), 50)] {
		t.Rows = append(t.Rows, []string{strconv.Itoa(i + 1), f.msg})
	}
	p := report.Paragraph(fmt.Sprintf("%s sanity check failures. They did not stop the analysis: the figures above include the records concerned "+
		"(an unreadable file is left out). The first %d are listed; all are in summary_report.json (sanity_check_failures). "+
		"Set fail_on_sanity_errors: true to make them fail the node instead.", report.Int(len(a.failures)), len(t.Rows)))
	d.Add("Sanity checks", p, byKind, t)
}

// failureSummary is "392 Missing split_personality intervention, 14 ...".
func (a *analysis) failureSummary() string {
	var parts []string
	for _, k := range a.failureCounts() {
		parts = append(parts, report.Int(k.n)+" "+k.kind)
	}
	return strings.Join(parts, ", ")
}
