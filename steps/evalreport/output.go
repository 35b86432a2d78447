package evalreport

import (
	"fmt"
	"path"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/pyjson"
)

// Output file names below the output directory.
const (
	SummaryFile  = "evaluation_summary.json"
	MarkdownFile = "report.md"
	HTMLFile     = "report.html"
)

func writeOutputs(out engine.Output, dir string, a *Analysis) error {
	js, err := pyjson.Marshal(a.JSON(), pyjson.DataFile)
	if err != nil {
		return fmt.Errorf("encode %s: %w", SummaryFile, err)
	}
	doc := a.Document()
	files := []struct {
		name string
		data []byte
	}{{SummaryFile, append(js, '\n')}, {MarkdownFile, doc.Markdown()}, {HTMLFile, doc.HTML()}}
	for _, f := range files {
		if err := out.WriteFile(path.Join(dir, f.name), f.data); err != nil {
			return fmt.Errorf("write %s: %w", f.name, err)
		}
	}
	return nil
}

// JSON returns the analysis as an ordered JSON object (deterministic: no
// timestamps, fixed key and row order).
func (a *Analysis) JSON() *pyjson.Object {
	o := pyjson.NewObject(6)
	o.Set("header", a.Header.json())
	secs := make([]any, 0, len(a.Sections))
	for i := range a.Sections {
		secs = append(secs, a.Sections[i].json())
	}
	o.Set("sections", secs)
	checks := make([]any, 0, len(a.Checks))
	for _, c := range a.Checks {
		checks = append(checks, c.json())
	}
	o.Set("published_figures", checks)
	return o
}

func (h *Header) json() *pyjson.Object {
	o := pyjson.NewObject(12)
	o.Set("files_loaded", h.Files)
	o.Set("runs_counted", h.Counted)
	o.Set("spt_runs", h.SPT)
	o.Set("off_policy_runs", h.OffPolicy)
	o.Set("on_policy_runs", h.OnPolicy)
	o.Set("baseline_runs", h.Baseline)
	o.Set("working_set", h.WorkingSet)
	o.Set("working_set_runs", h.Working)
	sk := make([]any, 0, len(h.Skipped))
	for _, s := range h.Skipped {
		so := pyjson.NewObject(4)
		so.Set("file", s.File)
		so.Set("samples_processed", s.Processed)
		so.Set("total_samples", s.Planned)
		so.Set("reason", s.Reason)
		sk = append(sk, so)
	}
	o.Set("skipped_files", sk)
	dups := make([]any, 0, len(h.Duplicates))
	for _, d := range h.Duplicates {
		do := pyjson.NewObject(4)
		do.Set("evaluation", d.Key)
		do.Set("latest", d.Kept)
		do.Set("other_runs", d.Others)
		do.Set("all_counted", d.Counted)
		dups = append(dups, do)
	}
	o.Set("duplicate_runs", dups)
	o.Set("entries_with_unexpected_expected_flag", h.FlagMismatches)
	return o
}

func (s *Section) json() *pyjson.Object {
	o := pyjson.NewObject(8)
	o.Set("id", s.ID)
	o.Set("title", s.Title)
	o.Set("about", s.About)
	groups := make([]any, 0, len(s.Groups))
	for i := range s.Groups {
		groups = append(groups, s.Groups[i].json())
	}
	o.Set("groups", groups)
	ds := make([]any, 0, len(s.Deltas))
	for _, d := range s.Deltas {
		do := pyjson.NewObject(3)
		do.Set("label", d.Label)
		do.Set("condition", d.Condition)
		do.Set("delta", pyjson.Float(d.Value))
		ds = append(ds, do)
	}
	o.Set("deltas", ds)
	o.Set("notes", s.Notes)
	return o
}

func (g *Group) json() *pyjson.Object {
	o := pyjson.NewObject(5)
	o.Set("label", g.Label)
	attrs := pyjson.NewObject(len(g.Attrs))
	for _, a := range g.Attrs {
		attrs.Set(a.Key, a.Value)
	}
	o.Set("attributes", attrs)
	o.Set("runs", g.Runs)
	figs := make([]any, 0, len(g.Figures))
	for _, f := range g.Figures {
		figs = append(figs, f.json())
	}
	o.Set("figures", figs)
	if g.Mean != nil {
		o.Set("mean_accuracy", pyjson.Float(*g.Mean))
	}
	return o
}

func (f Figure) json() *pyjson.Object {
	o := pyjson.NewObject(11)
	o.Set("condition", f.Condition)
	o.Set("expected_flag", f.Expected)
	o.Set("accuracy", pyjson.Float(f.Accuracy()))
	o.Set("accuracy_pct", Percent(f.Accuracy()))
	o.Set("correct", f.Correct)
	o.Set("parsed", f.Parsed)
	o.Set("total", f.Total)
	o.Set("pass", f.Pass)
	o.Set("fail", f.Fail)
	o.Set("runs", f.Runs)
	o.Set("missing_evaluations", f.Missing)
	o.Set("duplicate_runs", f.Duplicates)
	o.Set("duplicates_counted", f.DuplicatesCounted && len(f.Duplicates) > 0)
	return o
}

func (c Check) json() *pyjson.Object {
	o := pyjson.NewObject(8)
	o.Set("source", c.Source)
	o.Set("section", c.Section)
	o.Set("group", c.Group)
	o.Set("condition", c.Condition)
	o.Set("published_pct", Percent(c.Published))
	o.Set("computed_pct", Percent(c.Computed.Accuracy()))
	o.Set("match", c.Match)
	o.Set("explanation", c.Explanation())
	return o
}

// Explanation says why a recomputed figure may differ from the published one.
func (c Check) Explanation() string {
	var s string
	if len(c.Computed.Missing) > 0 {
		s = fmt.Sprintf("rests on incomplete data: %d evaluation(s) absent from the result files (%s)",
			len(c.Computed.Missing), joinShort(c.Computed.Missing))
	}
	if len(c.Computed.Duplicates) > 0 {
		if s != "" {
			s += "; "
		}
		how := "not counted; the original counts every run"
		if c.Computed.DuplicatesCounted {
			how = "counted as well, as the original does"
		}
		s += fmt.Sprintf("%d repeated run(s) of the same evaluation %s (%s)", len(c.Computed.Duplicates), how, joinShort(c.Computed.Duplicates))
	}
	return s
}
