package evalreport

import (
	"fmt"
	"sort"
)

// Figure is one accuracy figure: the entries of one condition pooled over a
// set of runs (a micro-average over samples, as the original).
type Figure struct {
	Condition string
	Expected  string
	Stat
	Runs int // runs contributing entries of this condition
	// Missing lists evaluations this figure would pool but that are absent
	// from the data: for a checkpoint that has the condition, the
	// intervention types it was evaluated with elsewhere but not here.
	Missing []string
	// Duplicates lists runs of the same evaluations that were not counted
	// (or, with count_duplicates, that were counted twice).
	Duplicates []string
	// DuplicatesCounted is true when those runs were counted as well.
	DuplicatesCounted bool
}

// groupKey is how the original groups runs into checkpoints.
type groupKey struct {
	Checkpoint  string
	LoraPatch   bool
	Elicitation string
}

func keyOf(r *Run) groupKey { return groupKey{r.Checkpoint, r.LoraPatch, r.Elicitation} }

func (k groupKey) less(o groupKey) bool {
	if k.Checkpoint != o.Checkpoint {
		return k.Checkpoint < o.Checkpoint
	}
	if k.LoraPatch != o.LoraPatch {
		return !k.LoraPatch
	}
	return k.Elicitation < o.Elicitation
}

// coverage records which (condition, intervention) evaluations exist per
// checkpoint group, to tell which figures rest on missing files.
type coverage struct {
	interventions map[groupKey]map[string]bool
	byCondition   map[groupKey]map[string]map[string]bool
}

func newCoverage(runs []*Run) *coverage {
	c := &coverage{interventions: map[groupKey]map[string]bool{}, byCondition: map[groupKey]map[string]map[string]bool{}}
	for _, r := range runs {
		k := keyOf(r)
		if c.interventions[k] == nil {
			c.interventions[k] = map[string]bool{}
			c.byCondition[k] = map[string]map[string]bool{}
		}
		c.interventions[k][r.Intervention] = true
		if c.byCondition[k][r.Condition] == nil {
			c.byCondition[k][r.Condition] = map[string]bool{}
		}
		c.byCondition[k][r.Condition][r.Intervention] = true
	}
	return c
}

// missing lists, for the groups of runs that have condition cond, the
// interventions seen in the group but never with cond.
func (c *coverage) missing(runs []*Run, cond string) []string {
	seen := map[groupKey]bool{}
	var out []string
	for _, r := range runs {
		k := keyOf(r)
		if seen[k] {
			continue
		}
		seen[k] = true
		have := c.byCondition[k][cond]
		if have == nil {
			continue
		}
		for iv := range c.interventions[k] {
			if !have[iv] {
				out = append(out, fmt.Sprintf("%s: %s × %s", k.Checkpoint, cond, iv))
			}
		}
	}
	sort.Strings(out)
	return out
}

// figurer computes figures over sets of runs.
type figurer struct {
	cov        *coverage
	duplicates []*Run // runs not counted, or counted twice
	countAll   bool   // duplicates were counted
}

func (f *figurer) figure(runs []*Run, cond string) Figure {
	fig := Figure{Condition: cond, Expected: expectedFlags[cond], DuplicatesCounted: f.countAll}
	keys := map[string]bool{}
	for _, r := range runs {
		st, ok := r.Stats[cond]
		if !ok {
			continue
		}
		fig.Stat.Add(st)
		fig.Runs++
		keys[runKey(r)] = true
	}
	fig.Missing = f.cov.missing(runs, cond)
	for _, d := range f.duplicates {
		if d.Condition == cond && keys[runKey(d)] {
			fig.Duplicates = append(fig.Duplicates, d.File)
		}
	}
	return fig
}

// figures returns one figure per condition present in runs (fixed order
// first, then other conditions by name), or per cond in only when given.
func (f *figurer) figures(runs []*Run, only ...string) []Figure {
	conds := only
	if len(conds) == 0 {
		conds = conditionsOf(runs)
	}
	out := make([]Figure, 0, len(conds))
	for _, c := range conds {
		out = append(out, f.figure(runs, c))
	}
	return out
}

func conditionsOf(runs []*Run) []string {
	present := map[string]bool{}
	for _, r := range runs {
		for c := range r.Stats {
			present[c] = true
		}
	}
	var out, other []string
	for _, c := range conditionOrder {
		if present[c] {
			out = append(out, c)
			delete(present, c)
		}
	}
	for c := range present {
		other = append(other, c)
	}
	sort.Strings(other)
	return append(out, other...)
}

// filter returns the runs for which keep is true.
func filter(runs []*Run, keep func(*Run) bool) []*Run {
	var out []*Run
	for _, r := range runs {
		if keep(r) {
			out = append(out, r)
		}
	}
	return out
}
