package analyze

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/pyjson"
)

// analysis aggregates the files' records as the files come, in sorted
// file order: it keeps per file only its name and topic, and per record
// only what the reports need in aggregate (tallies, counters, the few
// examples each category writes), so its memory does not grow with the
// number of records.
type analysis struct {
	opts  *options
	out   engine.Output
	files []fileInfo // analysed files (not skipped, no error)
	nRecs int
	seen  map[string]bool // topics of the files read (not TEST), skipped or not

	topicSet, modelSet map[string]bool
	topics             []string // sorted distinct topics of the analysed files
	models             []string // sorted distinct model keys (including empty entries)
	itypes             []string // sorted distinct non-empty intervention types

	byTopic                 map[string]*topicAgg
	all                     *tally // every record
	byModel, byType, byName tallyIndex
	variantC                counts
	names                   map[string]bool // intervention names, "" included (once finished)
	batchRecs               counts          // records per batch id, first-seen order
	tokens                  tokenAgg
	intended, selected      counts       // review focus analysis
	levels                  [2][]float64 // report: records per difficulty level
	lengths                 []float64    // report: responses per output-token bin

	tags     counts
	tagTopic map[string]*counts
	tagOrder []string // topics in first-seen order of tag counting

	recCats  []*recordCat
	itemCats []*itemCat
	held     heldBytes // the copies of the items the itemCats hold
	dups     *dupSet
	batches  *batchAgg

	errors, tokenFails, alignFails []failure
	missing                        []*sanityGroup // groups of records, in first-seen order, that may miss an intervention
	shared                         map[string]bool
	sharedGroups                   map[groupKey]*sanityGroup
	failures                       []failure // all of them, once finished
}

// fileInfo is what the analysis keeps of an analysed file.
type fileInfo struct {
	file   engine.OutputFile
	path   string
	source string
	topic  string
}

// topicAgg aggregates one topic's records.
type topicAgg struct {
	all             *tally
	byModel, byType tallyIndex
	items           int // items of the topic's files
	focusMatch      int
	focusMismatch   int
	focusExamples   []any
	diffOrder       []string
	byDiff          tallyIndex
}

// newAnalysis starts an analysis of files (the sorted list the results
// will come from), whose outputs go to out.
func newAnalysis(o *options, files []engine.OutputFile, out engine.Output) *analysis {
	a := &analysis{opts: o, out: out, seen: map[string]bool{},
		topicSet: map[string]bool{}, modelSet: map[string]bool{},
		byTopic: map[string]*topicAgg{}, all: newTally(true),
		levels:  [2][]float64{make([]float64, len(difficultyLevels)+1), make([]float64, len(difficultyLevels)+1)},
		lengths: make([]float64, lengthBins), tagTopic: map[string]*counts{},
		dups: newDupSet(), batches: newBatchAgg(), sharedGroups: map[groupKey]*sanityGroup{}}
	a.shared = sharedSources(files)
	for _, rc := range recordCategories {
		if o.wants(rc.option) {
			a.recCats = append(a.recCats, &recordCat{recordCategory: rc, first: -1, topics: map[string]*topicExamples{}})
		}
	}
	for _, ic := range itemCategories {
		if o.wants(ic.name) {
			a.itemCats = append(a.itemCats, &itemCat{itemCategory: ic, topics: map[string]*topicExamples{}, list: newItemList(o, ic.name)})
		}
	}
	return a
}

// add merges the next file's result. A file that failed to load is a
// sanity failure ("Error processing <path>: <why>", as the original writes
// it with --ignore-errors) and is left out of the figures; with
// fail_on_sanity_errors it is an error.
func (a *analysis) add(fr *fileResult) error {
	if fr.err != nil {
		if a.opts.FailOnSanityErrors {
			return fmt.Errorf("analyze: processing %s: %w", fr.path, fr.err)
		}
		a.errors = append(a.errors, failure{kind: "Error processing", msg: fmt.Sprintf("Error processing %s: %v", fr.path, fr.err)})
		return nil
	}
	if fr.topic != "TEST" {
		a.seen[fr.topic] = true
	}
	if !fr.skipped {
		a.merge(fr)
	}
	return nil
}

// merge adds an analysed file's records, items and tags to every
// aggregate.
func (a *analysis) merge(fr *fileResult) {
	fi := len(a.files)
	a.files = append(a.files, fileInfo{file: fr.file, path: fr.path, source: fr.source, topic: fr.topic})
	a.topicSet[fr.topic] = true
	for _, m := range fr.models {
		setOnce(a.modelSet, m)
	}
	ta := a.byTopic[fr.topic]
	if ta == nil {
		ta = &topicAgg{all: newTally(true)}
		a.byTopic[fr.topic] = ta
	}
	ta.items += len(fr.items)
	a.mergeRecords(fi, fr, ta)
	a.mergeItems(fi, fr)
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

// mergeRecords adds file fi's records, in order.
func (a *analysis) mergeRecords(fi int, fr *fileResult, ta *topicAgg) {
	groups := a.sanityGroups(fr)
	// The responses of the current item: a file's records come item after
	// item (digest), so a response seen before is among them.
	var responses []responseKey
	var last responseKey
	batchID, _ := fr.batchID.(string)
	var b *batch
	if batchID != "" && len(fr.records) > 0 {
		// One lookup per file: the counts' first-seen order is that of
		// the first record either way.
		a.batchRecs.add(batchID, len(fr.records))
		b = a.batches.get(batchID, fr.topic)
	}
	for i := range fr.records {
		r := &fr.records[i]
		r.file = fi
		seq := a.nRecs
		a.nRecs++
		a.addRecord(ta, r, &fr.items[r.item], fr.source)
		if b != nil {
			b.t.add(r, "")
		}
		for _, c := range a.recCats {
			c.add(fr, r, seq, a.opts.MaxExamplesPerTopic)
		}
		groups.add(fr.source, r)
		if r.typeStr == "split_personality" && !r.spToken {
			a.tokenFails = append(a.tokenFails, newFailure("Split personality intervention missing token", r.model, "%s item %d (%s %s %s)",
				fr.source, r.item, r.model, r.variant, r.name))
		}
		// A response's records are consecutive: only a new one is looked up.
		if k := (responseKey{r.item, r.model, r.variant}); i == 0 || k != last {
			last = k
			if len(responses) > 0 && responses[0].item != k.item {
				responses = responses[:0]
			}
			if !slices.Contains(responses, k) {
				responses = append(responses, k)
				a.lengths[lengthBin(r.outF)]++
			}
		}
	}
	a.missing = append(a.missing, groups.pending()...)
}

// mergeItems adds file fi's items: example categories, duplicate keys and
// the alignment check.
func (a *analysis) mergeItems(fi int, fr *fileResult) {
	for ii := range fr.items {
		it := &fr.items[ii]
		for _, c := range a.itemCats {
			c.add(a, fi, ii, fr, a.opts.MaxExamplesPerTopic)
		}
		a.dups.add(it.key50, fi)
		if s, ok := it.alignment.(string); ok && s != "" && s != fr.topic {
			a.alignFails = append(a.alignFails, newFailure("alignment_issue_type mismatch", "", "topic='%s' but alignment_issue_type='%s' in %s item %d",
				fr.topic, s, fr.source, ii))
		}
	}
}

// responseKey is one response (model, item, variant) of a file.
type responseKey struct {
	item           int
	model, variant string
}

// addRecord adds one record to the tallies and counters.
func (a *analysis) addRecord(ta *topicAgg, r *record, it *itemInfo, source string) {
	v := keyOf(r.p)
	a.all.add(r, v)
	ta.all.add(r, v)
	a.byModel.get(r.model, false).add(r, v)
	a.byType.get(r.typeStr, false).add(r, v)
	a.byName.get(r.name, false).add(r, v)
	ta.byModel.get(r.model, false).add(r, v)
	ta.byType.get(r.typeStr, false).add(r, v)
	a.variantC.add(r.variant, 1)
	a.tokens.add(r)
	if truthy(it.intended) {
		a.intended.add(keyOf(it.intended), 1)
	}
	if truthy(r.selected) {
		a.selected.add(keyOf(r.selected), 1)
	}
	for f := range a.levels {
		a.levels[f][levelIndex(r.difficulty(difficultyField(f)), difficultyLevels)]++
	}
	ta.addDifficulty(it.difficulty, r, v)
	ta.addFocus(it.intended, r.selected, source)
}

// addDifficulty adds a record to the group of its item's difficulty.
func (ta *topicAgg) addDifficulty(difficulty any, r *record, verdict string) {
	d := "unknown"
	if truthy(difficulty) {
		d = keyOf(difficulty)
	}
	if !ta.byDiff.has(d) {
		ta.diffOrder = append(ta.diffOrder, d)
	}
	ta.byDiff.get(d, false).add(r, verdict)
}

// addFocus compares a record's selected review focus with its item's
// intended one, keeping the first 5 mismatches.
func (ta *topicAgg) addFocus(intended, selected any, source string) {
	in, _ := intended.(string)
	sel, _ := selected.(string)
	switch {
	case in == "" || sel == "":
	case focusMatch(in, sel):
		ta.focusMatch++
	default:
		ta.focusMismatch++
		if len(ta.focusExamples) < 5 {
			e := pyjson.NewObject(3)
			e.Set("source", source)
			e.Set("intended", in)
			e.Set("selected", sel)
			ta.focusExamples = append(ta.focusExamples, e)
		}
	}
}

// abort drops the output files being written, unless closed.
func (a *analysis) abort() {
	for _, c := range a.itemCats {
		c.list.abort()
	}
}

// setOnce adds k to the set s; a key already there costs a lookup, not an
// assignment.
func setOnce(s map[string]bool, k string) {
	if !s[k] {
		s[k] = true
	}
}

// finish orders the distinct topics, models and types and lists the
// sanity failures in the original's order: unreadable files, missing
// interventions, missing tokens, alignment mismatches. A `topics` filter
// naming a topic absent from the data is an error.
func (a *analysis) finish() error {
	if err := checkTopics(a.opts.Topics, a.seen); err != nil {
		return err
	}
	// Every record has a tally by its name and by its type.
	a.names = map[string]bool{}
	for n := range a.byName.m {
		a.names[n] = true
	}
	typeSet := map[string]bool{}
	for t := range a.byType.m {
		if t != "" {
			typeSet[t] = true
		}
	}
	a.topics, a.models, a.itypes = slices.Sorted(maps.Keys(a.topicSet)), slices.Sorted(maps.Keys(a.modelSet)), slices.Sorted(maps.Keys(typeSet))
	a.failures = append(a.failures, a.errors...)
	for _, g := range a.missing {
		if !g.sp {
			a.failures = append(a.failures, newFailure("Missing split_personality intervention", g.model, "%s", g.name()))
		}
		if !g.hs {
			a.failures = append(a.failures, newFailure("Missing honesty_scare intervention", g.model, "%s", g.name()))
		}
	}
	a.failures = append(a.failures, a.tokenFails...)
	a.failures = append(a.failures, a.alignFails...)
	a.errors, a.missing, a.tokenFails, a.alignFails, a.sharedGroups = nil, nil, nil, nil, nil
	return nil
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
		o.Set(k, c.get(k))
	}
	return o
}
