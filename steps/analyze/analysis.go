package analyze

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/sptflow/sptflow/pyjson"
)

// analysis holds the merged records of all files, in sorted file order.
type analysis struct {
	opts     *options
	files    []*fileResult // analysed files (not skipped, no error)
	recs     []*record
	topics   []string // sorted distinct topics of the analysed files
	models   []string // sorted distinct model keys (including empty entries)
	itypes   []string // sorted distinct non-empty intervention types
	byTopic  map[string][]*record
	tags     counts
	tagTopic map[string]*counts
	tagOrder []string // topics in first-seen order of tag counting
	failures []failure
}

// failure is one sanity-check failure: its kind (the message's prefix),
// the model concerned ("" when none) and the message as written to
// summary_report.json.
type failure struct {
	kind, model, msg string
}

func (a *analysis) fail(kind, model, format string, args ...any) {
	a.failures = append(a.failures, failure{kind: kind, model: model, msg: kind + ": " + fmt.Sprintf(format, args...)})
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

// newAnalysis merges per-file results. A file that failed to load is a
// sanity failure ("Error processing <path>: <why>", as the original writes
// it with --ignore-errors) and is left out of the figures; with
// fail_on_sanity_errors it is an error. A `topics` filter naming a topic
// absent from the data is an error.
func newAnalysis(results []*fileResult, o *options) (*analysis, error) {
	a := &analysis{opts: o, byTopic: map[string][]*record{}, tagTopic: map[string]*counts{}}
	seen := map[string]bool{}
	for _, fr := range results {
		if fr == nil {
			continue
		}
		if fr.err != nil {
			if o.FailOnSanityErrors {
				return nil, fmt.Errorf("analyze: processing %s: %w", fr.path, fr.err)
			}
			a.failures = append(a.failures, failure{kind: "Error processing", msg: fmt.Sprintf("Error processing %s: %v", fr.path, fr.err)})
			continue
		}
		if fr.topic != "TEST" {
			seen[fr.topic] = true
		}
		if !fr.skipped {
			a.add(fr)
		}
	}
	if err := checkTopics(o.Topics, seen); err != nil {
		return nil, err
	}
	a.finish()
	a.sanity()
	return a, nil
}

func checkTopics(want []string, seen map[string]bool) error {
	var missing []string
	for _, t := range want {
		if !seen[t] {
			missing = append(missing, t)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return fmt.Errorf("analyze: topics %q not found in the data; available: %s", missing, strings.Join(slices.Sorted(maps.Keys(seen)), ", "))
}

func (a *analysis) add(fr *fileResult) {
	fi := len(a.files)
	a.files = append(a.files, fr)
	for i := range fr.records {
		r := &fr.records[i]
		r.file = fi
		a.recs = append(a.recs, r)
		a.byTopic[fr.topic] = append(a.byTopic[fr.topic], r)
	}
	a.tags.merge(&fr.tags)
	if len(fr.tags.keys) > 0 {
		tc := a.tagTopic[fr.topic]
		if tc == nil {
			tc = &counts{}
			a.tagTopic[fr.topic] = tc
			a.tagOrder = append(a.tagOrder, fr.topic)
		}
		tc.merge(&fr.tags)
	}
}

func (a *analysis) finish() {
	topics, models, itypes := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, fr := range a.files {
		topics[fr.topic] = true
		for _, m := range fr.models {
			models[m] = true
		}
	}
	for _, r := range a.recs {
		if r.typeStr != "" {
			itypes[r.typeStr] = true
		}
	}
	a.topics, a.models, a.itypes = slices.Sorted(maps.Keys(topics)), slices.Sorted(maps.Keys(models)), slices.Sorted(maps.Keys(itypes))
}

func (a *analysis) source(r *record) string { return a.files[r.file].source }

func (a *analysis) itemOf(r *record) *itemInfo { return &a.files[r.file].items[r.item] }

// sanity runs the original's checks, grouped by file and item (the
// original grouped by per-file item index across a topic's files).
func (a *analysis) sanity() {
	type group struct {
		key, model string
		sp, hs     bool
	}
	var order []*group
	groups := map[[4]string]*group{}
	for _, r := range a.recs {
		k := [4]string{a.source(r), fmt.Sprint(r.item), r.model, r.variant}
		g := groups[k]
		if g == nil {
			g = &group{key: fmt.Sprintf("%s item %d %s %s", a.source(r), r.item, r.model, r.variant), model: r.model}
			groups[k] = g
			order = append(order, g)
		}
		g.sp = g.sp || r.typeStr == "split_personality"
		g.hs = g.hs || r.typeStr == "honesty_scare"
	}
	for _, g := range order {
		if !g.sp {
			a.fail("Missing split_personality intervention", g.model, "%s", g.key)
		}
		if !g.hs {
			a.fail("Missing honesty_scare intervention", g.model, "%s", g.key)
		}
	}
	for _, r := range a.recs {
		if r.typeStr == "split_personality" && !r.spToken {
			a.fail("Split personality intervention missing token", r.model, "%s item %d (%s %s %s)",
				a.source(r), r.item, r.model, r.variant, r.name)
		}
	}
	a.checkAlignment()
}

// checkAlignment reports items whose alignment_issue_type differs from the
// file's topic, once per item (the original repeated it for every record).
func (a *analysis) checkAlignment() {
	for _, fr := range a.files {
		for i, it := range fr.items {
			if s, ok := it.alignment.(string); ok && s != "" && s != fr.topic {
				a.fail("alignment_issue_type mismatch", "", "topic='%s' but alignment_issue_type='%s' in %s item %d",
					fr.topic, s, fr.source, i)
			}
		}
	}
}

// --- small helpers reproducing Python's arithmetic and ordering ---

// pct is `n / d * 100 if d > 0 else 0` (a float, or the integer 0).
func pct(n, d int) any {
	if d > 0 {
		return float64(n) / float64(d) * 100
	}
	return 0
}

// mean is `sum / n if n else 0`.
func mean(sum float64, n int) any {
	if n > 0 {
		return sum / float64(n)
	}
	return 0
}

// toF converts a number produced here or read from data to float64.
func toF(v any) float64 {
	switch x := v.(type) {
	case int:
		return float64(x)
	case float64:
		return x
	case pyjson.Number:
		return x.Float64()
	}
	return 0
}

// keyOf is the JSON object key Python would write for a counted value.
func keyOf(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return "null"
	case bool:
		if x {
			return "true"
		}
		return "false"
	case pyjson.Number:
		return string(x)
	}
	return fmt.Sprint(v)
}

// truthy is Python truthiness for scalar values read from data.
func truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case string:
		return x != ""
	case bool:
		return x
	case pyjson.Number:
		return x.Float64() != 0
	case []any:
		return len(x) > 0
	case *pyjson.Object:
		return x.Len() > 0
	}
	return true
}

// countObject is dict(sorted(Counter(...).items())) for string keys.
func countObject(c map[string]int) *pyjson.Object {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	o := pyjson.NewObject(len(keys))
	for _, k := range keys {
		o.Set(k, c[k])
	}
	return o
}

// numericCountObject orders number keys by value (the original's int keys).
func numericCountObject(c map[string]int) *pyjson.Object {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		fi, fj := pyjson.Number(keys[i]).Float64(), pyjson.Number(keys[j]).Float64()
		if fi != fj {
			return fi < fj
		}
		return keys[i] < keys[j]
	})
	o := pyjson.NewObject(len(keys))
	for _, k := range keys {
		o.Set(k, c[k])
	}
	return o
}

func orderedObject(c *counts) *pyjson.Object {
	o := pyjson.NewObject(len(c.keys))
	for _, k := range c.keys {
		o.Set(k, c.n[k])
	}
	return o
}
