package analyze

import (
	"maps"
	"regexp"
	"slices"
	"sort"
	"sync"

	"github.com/sptflow/sptflow/pyjson"
)

// recordCategory is an example category over records (§12.7).
type recordCategory struct {
	name, option string
	match        func(*record) bool
}

var recordCategories = []recordCategory{
	{"unexpected_b_passes", "unexpected_passes", func(r *record) bool { return r.variant == "B" && r.pStr == "PASS" }},
	{"unexpected_a_fails", "unexpected_fails", func(r *record) bool { return r.variant == "A" && r.pStr == "FAIL" }},
	{"low_confidence", "low_confidence", func(r *record) bool { return r.confOK && r.confF <= 2 }},
	{"token_cutoffs", "token_cutoffs", func(r *record) bool { return r.outF == 2048 }},
}

// itemCategory is an example category over items, written whole.
type itemCategory struct {
	name    string
	has     func(*itemInfo) bool // the item belongs
	subsets func(*rawItem) []any // its affected_subsets (not empty when it belongs)
}

var itemCategories = []itemCategory{
	{"unexpected_a_b_inversion", func(it *itemInfo) bool { return it.inversion }, inversion},
	{"intervention_disagreements", func(it *itemInfo) bool { return it.disagree },
		func(it *rawItem) []any { all, _ := disagreements(it); return all }},
	{"intervention_disagreements_high_confidence", func(it *itemInfo) bool { return it.disagreeHC },
		func(it *rawItem) []any { _, hc := disagreements(it); return hc }},
}

// example is one entry of a list category.
type example struct {
	ex      *pyjson.Object // per-record categories: the formatted record
	key     float64        // its sort key (confidence)
	seq     int            // its position among all records
	file    int            // raw-item categories: file and item
	item    int            //
	bytes   *itemBytes     // the item's bytes
	subsets []any          // affected_subsets
	obj     *pyjson.Object // duplicate_prompts
}

// topicExamples is one topic's part of a list category: how many examples
// it has and the first `limit` in the category's order (the ones written).
type topicExamples struct {
	n       int
	kept    []example
	written int     // raw-item categories: kept examples already written
	maxKey  float64 // per-record categories: the topic's best sort key
	maxSeq  int     // and the first record that has it
}

// category is one interesting-example category, in creation order.
type category struct {
	name   string
	obj    *pyjson.Object // batch_analysis, difficulty_patterns
	isList bool
	raw    bool     // examples hold whole items, written as the files are merged
	items  *itemCat // raw: the category being written
	total  int      // non-standard categories: the original's "total"
	base   map[string]int
	n      int                       // list categories: examples found
	topics []string                  // topics in the order their examples are listed
	by     map[string]*topicExamples // by topic
}

func (c *category) baseSum() int {
	n := 0
	for _, v := range c.base {
		n += v
	}
	return n
}

// recordCat collects a per-record category as records come: its examples
// are sorted by confidence descending, stably, so a topic's written
// examples are its `limit` best (earliest first among equals), and topics
// are listed in the order of their best example.
type recordCat struct {
	recordCategory
	first  int // position of the first matching record (-1: none yet)
	n      int
	order  []string
	topics map[string]*topicExamples
}

func (c *recordCat) add(fr *fileResult, r *record, seq, limit int) {
	topic := fr.topic
	if !c.match(r) {
		return
	}
	if c.first < 0 {
		c.first = seq
	}
	c.n++
	te := c.topics[topic]
	key := r.sortKey()
	if te == nil {
		te = &topicExamples{maxKey: key, maxSeq: seq}
		c.topics[topic] = te
		c.order = append(c.order, topic)
	} else if key > te.maxKey {
		te.maxKey, te.maxSeq = key, seq
	}
	te.n++
	// Insert after every kept example with a key >= key: they sort first.
	i := len(te.kept)
	for i > 0 && te.kept[i-1].key < key {
		i--
	}
	if i >= limit {
		return
	}
	if r.ex == nil {
		r.ex = fr.example(r)
	}
	te.kept = slices.Insert(te.kept, i, example{ex: r.ex, key: key, seq: seq})
	if len(te.kept) > limit {
		te.kept = te.kept[:limit]
	}
}

// category returns the collected category.
func (c *recordCat) category(base map[string]int) *category {
	topics := slices.Clone(c.order)
	sort.SliceStable(topics, func(i, j int) bool {
		a, b := c.topics[topics[i]], c.topics[topics[j]]
		if a.maxKey != b.maxKey {
			return a.maxKey > b.maxKey
		}
		return a.maxSeq < b.maxSeq
	})
	return &category{name: c.name, isList: true, base: base, n: c.n, topics: topics, by: c.topics}
}

// itemCat collects a raw-item category: items in file order, the first
// `limit` of each topic kept and written as soon as their place in the
// file is known (see items.go).
type itemCat struct {
	itemCategory
	n      int
	order  []string
	topics map[string]*topicExamples
	list   *itemList
	head   int // the topics before order[head] are complete and written
}

func (c *itemCat) add(a *analysis, fi, ii int, fr *fileResult, limit int) {
	it, topic := &fr.items[ii], fr.topic
	if !c.has(it) {
		return
	}
	c.n++
	te := c.topics[topic]
	if te == nil {
		te = &topicExamples{}
		c.topics[topic] = te
		c.order = append(c.order, topic)
	}
	te.n++
	if len(te.kept) < limit {
		b := fr.itemForm(ii)
		te.kept = append(te.kept, example{file: fi, item: ii, bytes: b, subsets: c.subsets(&fr.raw.items[ii])})
		c.flush(a, limit, false)
		if te.written < len(te.kept) {
			b.own(&a.held) // written later: out of the file's buffer
		}
	}
}

// categories collects every requested category in the order the original
// creates them.
func (a *analysis) categories() []*category {
	recBase, itemBase, batchBase, topicBase := map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}
	for _, t := range a.topics {
		ta := a.byTopic[t]
		if ta.all.n > 0 {
			recBase[t] = ta.all.n
			batchBase[t] = 1
		}
		itemBase[t] = ta.items
		topicBase[t] = 1
	}
	var cats []*category
	var recCats []*recordCat
	for _, c := range a.recCats {
		if c.n > 0 {
			recCats = append(recCats, c)
		}
	}
	sort.SliceStable(recCats, func(i, j int) bool { return recCats[i].first < recCats[j].first })
	for _, c := range recCats {
		cats = append(cats, c.category(recBase))
	}
	for _, c := range a.itemCats {
		if c.n > 0 {
			cats = append(cats, &category{name: c.name, isList: true, raw: true, base: itemBase, n: c.n, topics: c.order, by: c.topics, items: c})
		}
	}
	o := a.opts
	if o.wants("duplicate_prompts") {
		cats = append(cats, a.duplicates(recBase))
	}
	if o.wants("batch_analysis") {
		obj, total := a.batches.json()
		cats = append(cats, &category{name: "batch_analysis", obj: obj, total: total, base: batchBase})
	}
	if o.wants("difficulty_patterns") {
		cats = append(cats, &category{name: "difficulty_patterns", obj: a.difficultyPatterns(), base: topicBase})
	}
	return cats
}

// duplicates groups items by the first 50 characters of T. Topics and
// sources are sorted (the original wrote them in set order).
func (a *analysis) duplicates(base map[string]int) *category {
	c := &category{name: "duplicate_prompts", isList: true, base: base, by: map[string]*topicExamples{}}
	limit := a.opts.MaxExamplesPerTopic
	for _, g := range a.dups.groups() {
		topics, sources := map[string]bool{}, map[string]bool{}
		for _, fi := range g.files {
			topics[a.files[fi].topic] = true
			sources[a.files[fi].source] = true
		}
		ts := slices.Sorted(maps.Keys(topics))
		c.n++
		te := c.by[ts[0]]
		if te == nil {
			te = &topicExamples{}
			c.by[ts[0]] = te
			c.topics = append(c.topics, ts[0])
		}
		te.n++
		if len(te.kept) >= limit {
			continue
		}
		o := pyjson.NewObject(4)
		o.Set("key", g.key)
		o.Set("count", g.n)
		o.Set("topics", ts)
		o.Set("sources", slices.Sorted(maps.Keys(sources)))
		te.kept = append(te.kept, example{obj: o})
	}
	return c
}

// batchIDPattern is <topic>_<YYYYMMDD>_<HHMMSS>_batch_<NNN>.
var batchIDPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`_(\d{8})_(\d{6})_batch_\d+$`) })

// batchDate returns the YYYYMMDD date of a batch id, or "".
func batchDate(id string) string {
	if m := batchIDPattern().FindStringSubmatch(id); m != nil {
		return m[1]
	}
	return ""
}

// batchAgg summarises records per batch id, for the lowest and highest
// pass rates. avg_confidence is over non-null confidences (the original
// divided by all records).
type batchAgg struct {
	order []*batch
	byID  map[string]*batch
}

type batch struct {
	id, topic string
	t         *tally
}

func newBatchAgg() *batchAgg { return &batchAgg{byID: map[string]*batch{}} }

// get returns batch id, created on first use, for records of topic (the
// last topic given is the batch's).
func (ba *batchAgg) get(id, topic string) *batch {
	b := ba.byID[id]
	if b == nil {
		b = &batch{id: id, t: &tally{}}
		ba.byID[id] = b
		ba.order = append(ba.order, b)
	}
	b.topic = topic
	return b
}

func (ba *batchAgg) json() (*pyjson.Object, int) {
	type row struct {
		o    *pyjson.Object
		rate float64
	}
	rows := make([]row, len(ba.order))
	for i, b := range ba.order {
		o := pyjson.NewObject(6)
		o.Set("batch_id", b.id)
		o.Set("topic", b.topic)
		o.Set("date", batchDate(b.id))
		o.Set("samples", b.t.n)
		rate := float64(b.t.passN) / float64(b.t.n) * 100
		o.Set("pass_rate", rate)
		o.Set("avg_confidence", b.t.avgConfidence())
		rows[i] = row{o, rate}
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].rate < rows[j].rate })
	objs := make([]any, len(rows))
	for i, r := range rows {
		objs[i] = r.o
	}
	lo, hi := objs[:min(10, len(objs))], objs[max(0, len(objs)-10):]
	o := pyjson.NewObject(3)
	o.Set("lowest_pass_rates", nonNil(lo))
	o.Set("highest_pass_rates", nonNil(hi))
	o.Set("total_batches", len(objs))
	return o, len(lo) + len(hi)
}

// difficultyPatterns groups each topic's records by item difficulty.
func (a *analysis) difficultyPatterns() *pyjson.Object {
	out := pyjson.NewObject(len(a.topics))
	for _, t := range a.topics {
		ta := a.byTopic[t]
		o := pyjson.NewObject(len(ta.diffOrder))
		for _, d := range ta.diffOrder {
			g := ta.byDiff.m[d]
			s := pyjson.NewObject(3)
			s.Set("samples", g.n)
			s.Set("pass_rate", float64(g.passN)/float64(g.n)*100)
			s.Set("avg_confidence", g.avgConfidence())
			o.Set(d, s)
		}
		out.Set(t, o)
	}
	return out
}

// breakdowns is summary_report.json's interestingness_breakdowns (§12.8).
func breakdowns(cats []*category) *pyjson.Object {
	out := pyjson.NewObject(len(cats))
	for _, c := range cats {
		base := c.baseSum()
		o := pyjson.NewObject(4)
		if !c.isList {
			o.Set("total", c.total)
			o.Set("structure", "non-standard")
			o.Set("dataset_count", base)
			o.Set("percentage_of_dataset", pct(c.obj.Len(), base))
			out.Set(c.name, o)
			continue
		}
		by := pyjson.NewObject(len(c.topics))
		for _, t := range c.topics {
			n := c.by[t].n
			b := pyjson.NewObject(3)
			b.Set("count", n)
			b.Set("dataset_count", c.base[t])
			b.Set("percentage", pct(n, c.base[t]))
			by.Set(t, b)
		}
		o.Set("total", c.n)
		o.Set("by_topic", by)
		out.Set(c.name, o)
	}
	return out
}

// written returns the examples written to the category's file: at most
// limit per topic, grouped by topic in the category's order.
func (c *category) written() []example {
	var out []example
	for _, t := range c.topics {
		out = append(out, c.by[t].kept...)
	}
	return out
}
