package compare

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/steps/report"
)

// SectionTitle is the title of the diff's first section in the HTML page.
const SectionTitle = "Partitions that differ"

// Document renders the diff as a report (Markdown or self-contained HTML
// with SVG charts, see steps/report).
func (d *Diff) Document() *report.Document {
	doc := &report.Document{Title: "sptflow diff",
		Intro: []string{"A: " + d.A, "B: " + d.B}}
	doc.Add(SectionTitle, d.partitionBlocks()...)
	for _, n := range d.Notes {
		doc.Sections[0].Add(report.Paragraph(n))
	}
	if r := d.Data; r != nil {
		doc.Add("Stage-3 records and verdicts", r.verdictBlocks()...)
		doc.Add("Verdict flips", r.flipBlocks()...)
		if r.Tags != nil {
			doc.Add("Tag counts", r.tagBlocks()...)
		}
		doc.Add("Export, reviews and cost", r.figureTable())
		if len(r.Notes) > 0 {
			var blocks []report.Block
			for _, n := range r.Notes {
				blocks = append(blocks, report.Paragraph(n))
			}
			doc.Add("What could not be compared", blocks...)
		}
	}
	return doc
}

func (d *Diff) partitionBlocks() []report.Block {
	c := d.Counts()
	intro := report.Paragraph(fmt.Sprintf("%d partitions compared by node key: %d same, %d changed, %d only in A, %d only in B, %d unknown.",
		len(d.Partitions), c[engine.DiffSame], c[engine.DiffChanged]+c[engine.DiffSameBytes], c[engine.DiffOnlyA], c[engine.DiffOnlyB], c[engine.DiffUnknown]))
	t := &report.Table{Columns: []report.Column{{Name: "partition"}, {Name: "state"}, {Name: "why"}}}
	for _, p := range d.Partitions {
		if p.State != engine.DiffSame {
			t.Rows = append(t.Rows, []string{string(p.ID), stateLabel(p.State), strings.Join(p.Why, "; ")})
		}
	}
	return []report.Block{intro, t}
}

func (r *Report) verdictBlocks() []report.Block {
	f := r.Flips
	p := report.Paragraph(fmt.Sprintf("Records from the %s output: A %d, B %d; matched by topic, task, stage-2 model, variant and intervention: %d (only in A %d, only in B %d).",
		r.Source, r.A.Records, r.B.Records, f.Matched, f.OnlyA, f.OnlyB))
	ds := r.VerdictDeltas()
	t := deltaTable("verdict", ds)
	chart := &report.BarChart{Title: "Verdicts", CategoryLabel: "verdict", ValueLabel: "records",
		Series: []report.Series{{Name: "A"}, {Name: "B"}}}
	for _, v := range ds {
		chart.Categories = append(chart.Categories, v.Name)
		chart.Series[0].Values = append(chart.Series[0].Values, float64(v.A))
		chart.Series[1].Values = append(chart.Series[1].Values, float64(v.B))
	}
	return []report.Block{p, t, chart}
}

func (r *Report) flipBlocks() []report.Block {
	f := r.Flips
	p := report.Paragraph(fmt.Sprintf("%d of %d matched records changed verdict. Rows: verdict in A; columns: verdict in B.", f.Changed, f.Matched))
	m := &report.Table{Caption: "Flip matrix", Columns: []report.Column{{Name: "A \\ B"}}}
	for _, l := range f.Labels {
		m.Columns = append(m.Columns, report.Column{Name: l, Numeric: true})
	}
	for i, l := range f.Labels {
		row := []string{l}
		for j := range f.Labels {
			row = append(row, report.Int(f.Counts[i][j]))
		}
		m.Rows = append(m.Rows, row)
	}
	blocks := []report.Block{p, m}
	if len(f.Examples) > 0 {
		ex := &report.Table{Caption: "Changed records (first " + strconv.Itoa(len(f.Examples)) + ")",
			Columns: []report.Column{{Name: "topic"}, {Name: "task"}, {Name: "model"}, {Name: "variant"}, {Name: "intervention"}, {Name: "A"}, {Name: "B"}}}
		for _, e := range f.Examples {
			k := e.Record
			ex.Rows = append(ex.Rows, []string{k.Topic, clip(k.Item, 80), k.Model, k.Variant, k.Intervention, e.A, e.B})
		}
		blocks = append(blocks, ex)
	}
	return blocks
}

func (r *Report) tagBlocks() []report.Block {
	blocks := []report.Block{deltaTable("tag", r.Tags)}
	chart := &report.BarChart{Title: "Tags that changed", CategoryLabel: "tag", ValueLabel: "applications",
		Series: []report.Series{{Name: "A"}, {Name: "B"}}}
	for _, t := range r.Tags {
		if t.Delta == 0 {
			continue
		}
		chart.Categories = append(chart.Categories, t.Name)
		chart.Series[0].Values = append(chart.Series[0].Values, float64(t.A))
		chart.Series[1].Values = append(chart.Series[1].Values, float64(t.B))
	}
	if len(chart.Categories) > 0 {
		blocks = append(blocks, chart)
	}
	return blocks
}

func deltaTable(what string, ds []CountDelta) *report.Table {
	t := &report.Table{Columns: []report.Column{{Name: what}, {Name: "A", Numeric: true}, {Name: "B", Numeric: true}, {Name: "B − A", Numeric: true}}}
	for _, d := range ds {
		t.Rows = append(t.Rows, []string{d.Name, report.Int(d.A), report.Int(d.B), fmt.Sprintf("%+d", d.Delta)})
	}
	return t
}

func (r *Report) figureTable() *report.Table {
	t := &report.Table{Columns: []report.Column{{Name: "figure"}, {Name: "A", Numeric: true}, {Name: "B", Numeric: true}}}
	if r.A.Export != nil || r.B.Export != nil {
		t.Rows = append(t.Rows,
			[]string{"training set rows", exportCell(r.A.Export, false), exportCell(r.B.Export, false)},
			[]string{"validation set rows", exportCell(r.A.Export, true), exportCell(r.B.Export, true)})
	}
	t.Rows = append(t.Rows,
		[]string{"stage-3 reviews made", reviewCell(r.A.Reviews, "made"), reviewCell(r.B.Reviews, "made")},
		[]string{"stage-3 review acceptance", reviewCell(r.A.Reviews, "rate"), reviewCell(r.B.Reviews, "rate")},
		[]string{"LLM requests sent", report.Int(r.A.Usage.Requests), report.Int(r.B.Usage.Requests)},
		[]string{"input tokens", report.Int(r.A.Usage.InputTokens), report.Int(r.B.Usage.InputTokens)},
		[]string{"output tokens", report.Int(r.A.Usage.OutputTokens), report.Int(r.B.Usage.OutputTokens)},
		[]string{"cost (USD)", report.Num(r.A.Usage.DataCostUSD(), 4), report.Num(r.B.Usage.DataCostUSD(), 4)},
		[]string{"of it paid by the runs that sealed the outputs", report.Num(r.A.Usage.CostUSD, 4), report.Num(r.B.Usage.CostUSD, 4)})
	return t
}

func exportCell(e *ExportSize, validation bool) string {
	switch {
	case e == nil:
		return "n/a"
	case validation:
		return report.Int(e.Validation)
	default:
		return report.Int(e.Train)
	}
}

func reviewCell(r *Reviews, what string) string {
	switch {
	case r == nil:
		return "n/a"
	case what == "made":
		return report.Int(r.Made)
	default:
		return report.Pct(100 * r.Rate())
	}
}
