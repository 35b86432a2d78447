package evalreport

import (
	"fmt"
	"sort"
	"strings"
)

// Options select the working set and how duplicate runs are counted.
// Precedence as in the original: BaselinesOnly > OnPolicyOnly >
// OffPolicyOnly > IncludeBaselines > SPT checkpoints only.
type Options struct {
	IncludeBaselines bool
	OnPolicyOnly     bool
	OffPolicyOnly    bool
	BaselinesOnly    bool
	// CountDuplicates keeps every run of the same (checkpoint, step,
	// condition, intervention) instead of only the latest, as the original
	// did.
	CountDuplicates bool
}

// WorkingSet names the selected runs.
func (o Options) WorkingSet() string {
	switch {
	case o.BaselinesOnly:
		return "baselines only"
	case o.OnPolicyOnly:
		return "on-policy SPT checkpoints only"
	case o.OffPolicyOnly:
		return "off-policy SPT checkpoints only"
	case o.IncludeBaselines:
		return "SPT checkpoints and baselines"
	}
	return "SPT checkpoints only"
}

// selects reports whether run r belongs to the working set.
func (o Options) selects(r *Run) bool {
	switch {
	case o.BaselinesOnly:
		return r.IsBaseline
	case o.OnPolicyOnly:
		return !r.IsBaseline && r.OnPolicy
	case o.OffPolicyOnly:
		return !r.IsBaseline && !r.OnPolicy
	case o.IncludeBaselines:
		return true
	}
	return !r.IsBaseline
}

// Skipped is a result file left out of the analysis.
type Skipped struct {
	File      string
	Processed int
	Planned   int
	Reason    string
}

// Duplicate is a set of runs of the same evaluation.
type Duplicate struct {
	Key     string
	Kept    string   // the latest run, always counted
	Others  []string // the other runs, dropped unless CountDuplicates
	Counted bool     // all runs counted (CountDuplicates)
}

// runKey identifies one evaluation: same checkpoint, step, condition and
// intervention (plus the checkpoint attributes that the grouping uses).
func runKey(r *Run) string {
	return fmt.Sprintf("%s/%s/lora=%t/%s/%s/%s", r.Checkpoint, orDash(r.Step), r.LoraPatch, r.Elicitation, r.Condition, r.Intervention)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// describe names a run's evaluation for people: "clean: trained_actual ×
// direct_question", with the step when there is one.
func describe(r *Run) string {
	ck := r.Checkpoint
	if r.Step != "" {
		ck += " " + r.Step
	}
	return fmt.Sprintf("%s: %s × %s", ck, r.Condition, r.Intervention)
}

// dedupe returns the runs to count (in input order) and the duplicate sets.
// Of several runs of the same evaluation the one with the latest timestamp
// (then file name) is kept, unless countAll.
func dedupe(runs []*Run, countAll bool) ([]*Run, []Duplicate) {
	byKey := map[string][]*Run{}
	var keys []string
	for _, r := range runs {
		k := runKey(r)
		if _, ok := byKey[k]; !ok {
			keys = append(keys, k)
		}
		byKey[k] = append(byKey[k], r)
	}
	drop := map[*Run]bool{}
	var dups []Duplicate
	for _, k := range keys {
		rs := byKey[k]
		if len(rs) < 2 {
			continue
		}
		latest := latestRun(rs)
		d := Duplicate{Key: describe(latest), Kept: latest.File, Counted: countAll}
		for _, r := range rs {
			if r != latest {
				d.Others = append(d.Others, r.File)
				drop[r] = !countAll
			}
		}
		sort.Strings(d.Others)
		dups = append(dups, d)
	}
	// Key leaves out the LoRA patch and elicitation: equal keys sort by file.
	sort.Slice(dups, func(i, j int) bool {
		if dups[i].Key != dups[j].Key {
			return dups[i].Key < dups[j].Key
		}
		return dups[i].Kept < dups[j].Kept
	})
	kept := make([]*Run, 0, len(runs))
	for _, r := range runs {
		if !drop[r] {
			kept = append(kept, r)
		}
	}
	return kept, dups
}

func latestRun(rs []*Run) *Run {
	best := rs[0]
	for _, r := range rs[1:] {
		if c := strings.Compare(r.Timestamp, best.Timestamp); c > 0 || (c == 0 && r.File > best.File) {
			best = r
		}
	}
	return best
}
