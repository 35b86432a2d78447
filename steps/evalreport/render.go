package evalreport

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/sptflow/sptflow/steps/report"
)

// Document builds the human report: a section per table, with bar charts
// of accuracy per checkpoint × condition, with vs without LoRA patch, on vs
// off policy and baseline vs SPT.
func (a *Analysis) Document() *report.Document {
	d := &report.Document{Title: "Evaluation results: SPT checkpoints on the poisoned model"}
	d.Intro = a.Header.intro()
	if len(a.Checks) > 0 {
		d.Add("Figures quoted in the original README, recomputed", a.checksTable())
	}
	for i := range a.Sections {
		s := &a.Sections[i]
		sec := d.Add(s.Title)
		if s.About != "" {
			sec.Add(report.Paragraph(s.About))
		}
		if chart := s.chart(); chart != nil {
			sec.Add(chart)
		}
		sec.Add(s.table())
		if len(s.Deltas) > 0 {
			sec.Add(s.deltaTable())
		}
		for _, n := range s.notes() {
			sec.Add(report.Paragraph(n))
		}
	}
	return d
}

func (h *Header) intro() []string {
	out := []string{
		fmt.Sprintf("Loaded %d result files: %d runs counted (%d SPT: %d off-policy, %d on-policy; %d baseline). Working set: %s (%d runs).",
			h.Files, h.Counted, h.SPT, h.OffPolicy, h.OnPolicy, h.Baseline, h.WorkingSet, h.Working),
		"Accuracy = correct / parsed flags; samples whose flag could not be parsed are left out, and runs of a group are pooled over samples.",
	}
	for _, s := range h.Skipped {
		out = append(out, fmt.Sprintf("Skipped %s: %s (%d of %d samples processed).", s.File, s.Reason, s.Processed, s.Planned))
	}
	for _, d := range h.Duplicates {
		if d.Counted {
			out = append(out, fmt.Sprintf("Repeated evaluation %s: all %d runs counted (count_duplicates).", d.Key, len(d.Others)+1))
		} else {
			out = append(out, fmt.Sprintf("Repeated evaluation %s: counted only the latest run %s; not counted: %s.", d.Key, d.Kept, strings.Join(d.Others, ", ")))
		}
	}
	if h.FlagMismatches > 0 {
		out = append(out, fmt.Sprintf("%d entries carry an expected_flag that differs from their condition's; they are scored against the condition's flag, as in the original.", h.FlagMismatches))
	}
	return out
}

func (a *Analysis) checksTable() *report.Table {
	t := &report.Table{Columns: []report.Column{{Name: "source"}, {Name: "figure"}, {Name: "condition"},
		{Name: "README", Numeric: true}, {Name: "here", Numeric: true}, {Name: "same"}, {Name: "why it may differ"}}}
	for _, c := range a.Checks {
		same := "yes"
		if !c.Match {
			same = "no"
		}
		t.Rows = append(t.Rows, []string{c.Source, c.Group, c.Condition, Percent(c.Published), Percent(c.Computed.Accuracy()), same, c.Explanation()})
	}
	return t
}

// conditions lists the conditions any group of s has, in display order.
func (s *Section) conditions() []string {
	seen := map[string]bool{}
	var all []string
	for _, g := range s.Groups {
		for _, f := range g.Figures {
			if !seen[f.Condition] {
				seen[f.Condition] = true
				all = append(all, f.Condition)
			}
		}
	}
	var out []string
	for _, c := range conditionOrder {
		if seen[c] {
			out = append(out, c)
		}
	}
	for _, c := range all {
		if _, known := expectedFlags[c]; !known {
			out = append(out, c)
		}
	}
	return out
}

func condLabel(c string) string {
	if f := expectedFlags[c]; f != "" {
		return c + " (expect " + f + ")"
	}
	return c
}

func cell(f Figure, ok bool) string {
	if !ok || f.Parsed == 0 {
		return "–"
	}
	s := fmt.Sprintf("%s (%s)", Percent(f.Accuracy()), report.Int(f.Parsed))
	if len(f.Missing) > 0 {
		s += " †"
	}
	return s
}

func (s *Section) table() *report.Table {
	conds := s.conditions()
	t := &report.Table{}
	if s.Layout == ByCondition {
		t.Columns = []report.Column{{Name: "condition"}}
		for _, g := range s.Groups {
			t.Columns = append(t.Columns, report.Column{Name: g.Label, Numeric: true})
		}
		for _, c := range conds {
			row := []string{condLabel(c)}
			best := s.best(c)
			for i := range s.Groups {
				f, ok := s.Groups[i].Figure(c)
				v := cell(f, ok)
				if s.Highlight && i == best {
					v = "▲ " + v
				}
				row = append(row, v)
			}
			t.Rows = append(t.Rows, row)
		}
		return t
	}
	t.Columns = []report.Column{{Name: "group"}, {Name: "runs", Numeric: true}}
	for _, c := range conds {
		t.Columns = append(t.Columns, report.Column{Name: condLabel(c), Numeric: true})
	}
	hasMean := len(s.Groups) > 0 && s.Groups[0].Mean != nil
	if hasMean {
		t.Columns = append(t.Columns, report.Column{Name: "mean", Numeric: true})
	}
	for i := range s.Groups {
		g := &s.Groups[i]
		row := []string{g.display(), report.Int(g.Runs)}
		for _, c := range conds {
			f, ok := g.Figure(c)
			row = append(row, cell(f, ok))
		}
		if hasMean {
			row = append(row, Percent(*g.Mean))
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// display is the group label with its LoRA patch and elicitation, when known.
func (g *Group) display() string {
	var extra []string
	for _, a := range g.Attrs {
		switch a.Key {
		case "lora_patch":
			extra = append(extra, "lora_patch="+a.Value)
		case "elicitation":
			extra = append(extra, a.Value)
		}
	}
	if len(extra) == 0 {
		return g.Label
	}
	return g.Label + " [" + strings.Join(extra, ", ") + "]"
}

// best is the index of the group with the highest accuracy for c (the
// first on ties), or -1.
func (s *Section) best(c string) int {
	best, bestAcc := -1, -1.0
	for i := range s.Groups {
		f, ok := s.Groups[i].Figure(c)
		if ok && f.Parsed > 0 && f.Accuracy() > bestAcc {
			best, bestAcc = i, f.Accuracy()
		}
	}
	return best
}

func (s *Section) deltaTable() *report.Table {
	t := &report.Table{Columns: []report.Column{{Name: "difference"}, {Name: "condition"}, {Name: "delta (points)", Numeric: true}}}
	for _, d := range s.Deltas {
		t.Rows = append(t.Rows, []string{d.Label, d.Condition, signedPct(d.Value)})
	}
	return t
}

// signedPct prints +x.x% or -x.x% (the original printed "+-x.x%").
func signedPct(v float64) string {
	if v >= 0 {
		return "+" + Percent(v)
	}
	return Percent(v)
}

func (s *Section) notes() []string {
	out := append([]string(nil), s.Notes...)
	var missing []string
	for _, g := range s.Groups {
		for _, f := range g.Figures {
			missing = append(missing, f.Missing...)
		}
	}
	if len(missing) > 0 {
		out = append(out, "† rests on incomplete data; evaluations absent from the result files: "+strings.Join(dedupStrings(missing), "; ")+".")
	}
	return out
}

func dedupStrings(ss []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func joinShort(ss []string) string {
	const max = 6
	if len(ss) <= max {
		return strings.Join(ss, "; ")
	}
	return strings.Join(ss[:max], "; ") + fmt.Sprintf("; and %d more", len(ss)-max)
}

// chart draws the section's accuracies as grouped bars (percent).
func (s *Section) chart() *report.BarChart {
	conds := s.conditions()
	if len(s.Groups) == 0 || len(conds) == 0 || s.ID == "by_checkpoint_intervention" {
		return nil
	}
	c := &report.BarChart{Title: "Accuracy (%)", ValueLabel: "accuracy (%)", Max: 100}
	if s.Layout == ByCondition {
		c.Categories, c.CategoryLabel = conds, "condition"
		for i := range s.Groups {
			ser := report.Series{Name: s.Groups[i].Label}
			for _, cd := range conds {
				f, _ := s.Groups[i].Figure(cd)
				ser.Values = append(ser.Values, pct1(f.Accuracy()))
			}
			c.Series = append(c.Series, ser)
		}
		return c
	}
	c.CategoryLabel = "group"
	for i := range s.Groups {
		c.Categories = append(c.Categories, s.Groups[i].display())
	}
	for _, cd := range conds {
		ser := report.Series{Name: cd}
		for i := range s.Groups {
			f, _ := s.Groups[i].Figure(cd)
			ser.Values = append(ser.Values, pct1(f.Accuracy()))
		}
		c.Series = append(c.Series, ser)
	}
	return c
}

// pct1 is a fraction as the percentage the tables print (one decimal, as
// Python's {:.1%}), for chart labels that agree with the tables.
func pct1(x float64) float64 {
	v, _ := strconv.ParseFloat(strings.TrimSuffix(Percent(x), "%"), 64)
	return v
}
