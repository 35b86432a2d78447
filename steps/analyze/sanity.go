package analyze

import (
	"fmt"

	"github.com/sptflow/sptflow/engine"
)

// The original's sanity checks, run as the files come: a failure's
// message is made when its file is merged, and finish lists them in the
// original's order.

// failure is one sanity-check failure: its kind (the message's prefix),
// the model concerned ("" when none) and the message as written to
// summary_report.json.
type failure struct {
	kind, model, msg string
}

func newFailure(kind, model, format string, args ...any) failure {
	return failure{kind: kind, model: model, msg: kind + ": " + fmt.Sprintf(format, args...)}
}

// sanityGroup is the records of one (source, item, model, variant): the
// original requires a split_personality and an honesty_scare record in each.
type sanityGroup struct {
	groupKey
	sp, hs bool
}

// groupKey is a sanity group's (source, item, model, variant).
type groupKey struct {
	source         string
	item           int
	model, variant string
}

// name is how failures name the group.
func (k *groupKey) name() string {
	return fmt.Sprintf("%s item %d %s %s", k.source, k.item, k.model, k.variant)
}

// kindCount is the number of failures of one kind (and model).
type kindCount struct {
	kind, model string
	n           int
}

// failureCounts counts failures by kind, in first-seen order.
func (a *analysis) failureCounts() []kindCount {
	return countFailures(a.failures, func(f failure) [2]string { return [2]string{f.kind, ""} })
}

// failureCountsByModel counts failures by kind and model, in first-seen order.
func (a *analysis) failureCountsByModel() []kindCount {
	return countFailures(a.failures, func(f failure) [2]string { return [2]string{f.kind, f.model} })
}

func countFailures(fs []failure, key func(failure) [2]string) []kindCount {
	var out []kindCount
	at := map[[2]string]int{}
	for _, f := range fs {
		k := key(f)
		i, ok := at[k]
		if !ok {
			i = len(out)
			at[k] = i
			out = append(out, kindCount{kind: k[0], model: k[1]})
		}
		out[i].n++
	}
	return out
}

// failureMessages lists the failures' messages.
func (a *analysis) failureMessages() []string {
	out := make([]string, len(a.failures))
	for i, f := range a.failures {
		out[i] = f.msg
	}
	return out
}

// sharedSources lists the source names that more than one file has (files
// of different upstreams below the same topic directory): their sanity
// groups span files.
func sharedSources(files []engine.OutputFile) map[string]bool {
	n := map[string]int{}
	shared := map[string]bool{}
	for _, f := range files {
		s := sourceName(f.Path)
		if n[s]++; n[s] > 1 {
			shared[s] = true
		}
	}
	return shared
}

// fileGroups are the sanity groups of one file.
type fileGroups struct {
	a      *analysis
	order  []*sanityGroup
	groups map[groupKey]*sanityGroup
	shared bool // the file's source is shared: its groups live in a.sharedGroups

	last                   *sanityGroup // the group of the last record
	lastItem               int
	lastModel, lastVariant string

	// The groups of the current item (a file's records come item after
	// item): a file's own groups are found among them, without a map.
	itemGroups []*sanityGroup
}

func (a *analysis) sanityGroups(fr *fileResult) *fileGroups {
	g := &fileGroups{a: a, shared: a.shared[fr.source]}
	if g.shared {
		g.groups = a.sharedGroups
	}
	return g
}

func (g *fileGroups) add(source string, r *record) {
	// A group's records are consecutive: only a new one is looked up.
	sg := g.last
	if sg == nil || g.lastItem != r.item || g.lastModel != r.model || g.lastVariant != r.variant {
		sg = g.group(source, r)
		g.last, g.lastItem, g.lastModel, g.lastVariant = sg, r.item, r.model, r.variant
	}
	sg.sp = sg.sp || r.typeStr == "split_personality"
	sg.hs = sg.hs || r.typeStr == "honesty_scare"
}

// group returns r's group, created on first use. A file's records come
// item after item (digest), so a group of its own is among those of the
// current item; groups of a shared source, which other files add to, are
// in the analysis' map.
func (g *fileGroups) group(source string, r *record) *sanityGroup {
	k := groupKey{source, r.item, r.model, r.variant}
	if g.shared {
		sg := g.groups[k]
		if sg == nil {
			sg = &sanityGroup{groupKey: k}
			g.groups[k] = sg
			g.order = append(g.order, sg)
		}
		return sg
	}
	if len(g.itemGroups) > 0 && g.itemGroups[0].item != r.item {
		g.itemGroups = g.itemGroups[:0]
	}
	for _, sg := range g.itemGroups {
		if sg.groupKey == k {
			return sg
		}
	}
	sg := &sanityGroup{groupKey: k}
	g.itemGroups = append(g.itemGroups, sg)
	g.order = append(g.order, sg)
	return sg
}

// pending returns the file's new groups that may miss an intervention: all
// of them for a shared source (a later file may complete them), else those
// that miss one.
func (g *fileGroups) pending() []*sanityGroup {
	if g.shared {
		return g.order
	}
	var out []*sanityGroup
	for _, sg := range g.order {
		if !sg.sp || !sg.hs {
			out = append(out, sg)
		}
	}
	return out
}
