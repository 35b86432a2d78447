package evalreport

import (
	"fmt"
	"sort"
)

// Layouts of a section's table.
const (
	// ByGroup shows one row per group and one column per condition.
	ByGroup = "groups"
	// ByCondition shows one row per condition and one column per group.
	ByCondition = "conditions"
)

// Group is one labelled set of runs and its figures.
type Group struct {
	Label   string
	Attrs   []Attr
	Runs    int
	Figures []Figure
	// Mean is set by the per-checkpoint summary: the unweighted mean of
	// the trained_actual and original_actual accuracies.
	Mean *float64
}

// Attr is one attribute of a group (checkpoint, lora_patch, ...).
type Attr struct{ Key, Value string }

// Figure returns the group's figure for cond.
func (g *Group) Figure(cond string) (Figure, bool) {
	for _, f := range g.Figures {
		if f.Condition == cond {
			return f, true
		}
	}
	return Figure{}, false
}

// Delta is a difference of accuracies between two groups of a section.
type Delta struct {
	Label     string // "on-policy − off-policy"
	Condition string
	Value     float64
}

// Section is one table of the analysis.
type Section struct {
	ID     string
	Title  string
	About  string
	Layout string
	Groups []Group
	Deltas []Delta
	// Highlight marks, per condition, the group with the higher accuracy
	// (ties go to the first group), as the README table bolds it.
	Highlight bool
	Notes     []string
}

// builder holds what every section is computed from.
type builder struct {
	fig  *figurer
	runs []*Run // the working set
	opts Options
}

func (b *builder) spt() []*Run { return filter(b.runs, func(r *Run) bool { return !r.IsBaseline }) }

func (b *builder) group(label string, runs []*Run, attrs []Attr, only ...string) Group {
	return Group{Label: label, Attrs: attrs, Runs: len(runs), Figures: b.fig.figures(runs, only...)}
}

func (b *builder) byCheckpoint() Section {
	s := Section{ID: "by_checkpoint", Layout: ByGroup,
		Title: "Accuracy per checkpoint (checkpoint, LoRA patch, elicitation), intervention types pooled",
		About: "Every run of the working set grouped by checkpoint; all steps and intervention types of a checkpoint are pooled."}
	groups := map[groupKey][]*Run{}
	var keys []groupKey
	for _, r := range b.runs {
		k := keyOf(r)
		if groups[k] == nil {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], r)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].less(keys[j]) })
	for _, k := range keys {
		s.Groups = append(s.Groups, b.group(k.Checkpoint, groups[k], k.attrs()))
	}
	return s
}

func (k groupKey) attrs() []Attr {
	return []Attr{{"checkpoint", k.Checkpoint}, {"lora_patch", fmt.Sprint(k.LoraPatch)}, {"elicitation", k.Elicitation}}
}

func (b *builder) byCondition() Section {
	return Section{ID: "by_condition", Layout: ByGroup,
		Title:  "Accuracy per condition, pooled over the working set (" + b.opts.WorkingSet() + ")",
		Groups: []Group{b.group("working set", b.runs, nil)}}
}

// loraSplit groups runs into with and without LoRA patch.
func (b *builder) loraSplit(runs []*Run) []Group {
	with := filter(runs, func(r *Run) bool { return r.LoraPatch })
	without := filter(runs, func(r *Run) bool { return !r.LoraPatch })
	return []Group{
		b.group("with LoRA patch", with, []Attr{{"lora_patch", "true"}}),
		b.group("without LoRA patch", without, []Attr{{"lora_patch", "false"}}),
	}
}

func (b *builder) hpLora() (Section, bool) {
	hp := filter(b.spt(), func(r *Run) bool { return r.Elicitation == "hp" })
	s := Section{ID: "hp_lora_all_policies", Layout: ByCondition,
		Title: "hp elicitation, on- and off-policy: with vs without LoRA patch",
		About: "All SPT runs of the working set with hp elicitation, on-policy and off-policy checkpoints pooled (the original's \"FAIR COMPARISON\" section)."}
	if len(hp) == 0 {
		return s, false
	}
	s.Groups = b.loraSplit(hp)
	return s, true
}

func (b *builder) readmeTable() (Section, bool) {
	hp := filter(b.spt(), func(r *Run) bool { return r.Elicitation == "hp" && !r.OnPolicy })
	s := Section{ID: "offpolicy_hp_lora", Layout: ByCondition, Highlight: true,
		Title: "Off-policy hp, with vs without LoRA patch (the original README table)",
		About: "Off-policy SPT runs with hp elicitation, split by LoRA patch; the higher accuracy per condition is marked."}
	if len(hp) == 0 {
		return s, false
	}
	s.Groups = b.loraSplit(hp)
	return s, true
}

func (b *builder) policy() (Section, bool) {
	spt := b.spt()
	off := filter(spt, func(r *Run) bool { return !r.OnPolicy })
	on := filter(spt, func(r *Run) bool { return r.OnPolicy })
	s := Section{ID: "on_vs_off_policy", Layout: ByCondition,
		Title: "On-policy vs off-policy SPT checkpoints, all elicitation types pooled",
		About: "Every SPT run of the working set, split by how its training data was produced; delta = on-policy − off-policy."}
	if len(off) == 0 || len(on) == 0 {
		return s, false
	}
	s.Groups = []Group{b.group("off-policy", off, nil), b.group("on-policy", on, nil)}
	s.Deltas = deltas("on-policy − off-policy", s.Groups[0], s.Groups[1])
	return s, true
}

// deltas returns to − from for every condition both groups have parsed.
func deltas(label string, from, to Group) []Delta {
	var out []Delta
	for _, f := range from.Figures {
		t, ok := to.Figure(f.Condition)
		if ok && f.Parsed > 0 && t.Parsed > 0 {
			out = append(out, Delta{Label: label, Condition: f.Condition, Value: t.Accuracy() - f.Accuracy()})
		}
	}
	return out
}

func (b *builder) baseline() (Section, bool) {
	s := Section{ID: "baseline_vs_spt", Layout: ByCondition,
		Title: "Baselines without SPT vs all SPT checkpoints (detect exploitation, confirm clean)",
		About: "Untrained baselines by type vs every SPT run of the working set pooled; trained_actual = detect exploitation, original_actual = confirm clean; delta = SPT − baseline."}
	spt := b.spt()
	bases := filter(b.runs, func(r *Run) bool { return r.IsBaseline })
	if len(spt) == 0 || len(bases) == 0 {
		return s, false
	}
	conds := []string{TrainedActual, OriginalActual}
	byType := map[string][]*Run{}
	for _, r := range bases {
		byType[r.BaselineType] = append(byType[r.BaselineType], r)
	}
	sptGroup := b.group("SPT-trained", spt, []Attr{{"class", "spt"}}, conds...)
	for _, t := range baselineOrder(byType) {
		g := b.group(t+" baseline (no SPT)", byType[t], []Attr{{"baseline_type", t}}, conds...)
		s.Groups = append(s.Groups, g)
		s.Deltas = append(s.Deltas, deltas("SPT − "+t+" baseline", g, sptGroup)...)
	}
	s.Groups = append(s.Groups, sptGroup)
	return s, true
}

// baselineOrder is poisoned, clean, then other types by name.
func baselineOrder(byType map[string][]*Run) []string {
	var out, other []string
	for _, t := range []string{"poisoned", "clean"} {
		if byType[t] != nil {
			out = append(out, t)
		}
	}
	for t := range byType {
		if t != "poisoned" && t != "clean" {
			other = append(other, t)
		}
	}
	sort.Strings(other)
	return append(out, other...)
}

func (b *builder) byModel() Section {
	s := Section{ID: "by_model", Layout: ByGroup,
		Title: "Per checkpoint: detect exploitation and confirm clean, ranked by their mean",
		About: "Runs of the working set grouped by checkpoint name only; shown when both conditions were parsed; ranked by the unweighted mean of the two accuracies."}
	groups := map[string][]*Run{}
	var labels []string
	for _, r := range b.runs {
		if groups[r.Checkpoint] == nil {
			labels = append(labels, r.Checkpoint)
		}
		groups[r.Checkpoint] = append(groups[r.Checkpoint], r)
	}
	for _, l := range labels {
		g := b.group(l, groups[l], []Attr{{"checkpoint", l}}, TrainedActual, OriginalActual)
		if g.Figures[0].Parsed == 0 || g.Figures[1].Parsed == 0 {
			continue
		}
		m := (g.Figures[0].Accuracy() + g.Figures[1].Accuracy()) / 2
		g.Mean = &m
		s.Groups = append(s.Groups, g)
	}
	sort.SliceStable(s.Groups, func(i, j int) bool { return *s.Groups[i].Mean > *s.Groups[j].Mean })
	return s
}

func (b *builder) byIntervention() Section {
	s := Section{ID: "by_checkpoint_intervention", Layout: ByGroup,
		Title: "Accuracy per checkpoint and intervention type",
		About: "The per-intervention-type breakdown the original's docstring promised: runs of the working set grouped by checkpoint and intervention."}
	type key struct {
		g  groupKey
		iv string
	}
	groups := map[key][]*Run{}
	var keys []key
	for _, r := range b.runs {
		k := key{keyOf(r), r.Intervention}
		if groups[k] == nil {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], r)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].g != keys[j].g {
			return keys[i].g.less(keys[j].g)
		}
		return keys[i].iv < keys[j].iv
	})
	for _, k := range keys {
		attrs := append(k.g.attrs(), Attr{"intervention", k.iv})
		s.Groups = append(s.Groups, b.group(k.g.Checkpoint+" / "+k.iv, groups[k], attrs))
	}
	return s
}

func (b *builder) interventionPooled() Section {
	s := Section{ID: "by_intervention", Layout: ByGroup,
		Title: "Accuracy per intervention type, checkpoints of the working set pooled"}
	groups := map[string][]*Run{}
	var names []string
	for _, r := range b.runs {
		if groups[r.Intervention] == nil {
			names = append(names, r.Intervention)
		}
		groups[r.Intervention] = append(groups[r.Intervention], r)
	}
	sort.Strings(names)
	for _, n := range names {
		s.Groups = append(s.Groups, b.group(n, groups[n], []Attr{{"intervention", n}}))
	}
	return s
}
