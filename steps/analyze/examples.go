package analyze

import (
	"maps"
	"regexp"
	"slices"
	"sort"

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
	name string
	pick func(*itemInfo) []any // affected_subsets; the item belongs when not empty
}

var itemCategories = []itemCategory{
	{"unexpected_a_b_inversion", func(it *itemInfo) []any { return it.inversion }},
	{"intervention_disagreements", func(it *itemInfo) []any { return it.disagree }},
	{"intervention_disagreements_high_confidence", func(it *itemInfo) []any { return it.disagreeHC }},
}

// example is one entry of a list category.
type example struct {
	topic   string
	rec     *record        // per-record categories
	file    int            // raw-item categories: file and item
	item    int            //
	subsets []any          // affected_subsets
	obj     *pyjson.Object // duplicate_prompts
}

// category is one interesting-example category, in creation order.
type category struct {
	name   string
	list   []example      // list categories
	obj    *pyjson.Object // batch_analysis, difficulty_patterns
	isList bool
	raw    bool // examples hold whole items, read again when written
	total  int  // non-standard categories: the original's "total"
	base   map[string]int
}

func (c *category) baseSum() int {
	n := 0
	for _, v := range c.base {
		n += v
	}
	return n
}

// categories collects every requested category in the order the original
// creates them.
func (a *analysis) categories() []*category {
	recBase, itemBase, batchBase, topicBase := map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}
	for _, r := range a.recs {
		recBase[a.files[r.file].topic]++
		batchBase[a.files[r.file].topic] = 1
	}
	for _, fr := range a.files {
		itemBase[fr.topic] += len(fr.items)
	}
	for _, t := range a.topics {
		topicBase[t] = 1
	}
	cats := a.recordCats(recBase)
	o := a.opts
	for _, rc := range itemCategories {
		if o.wants(rc.name) {
			if c := a.itemCat(rc.name, rc.pick, itemBase); len(c.list) > 0 {
				cats = append(cats, c)
			}
		}
	}
	if o.wants("duplicate_prompts") {
		cats = append(cats, &category{name: "duplicate_prompts", isList: true, list: a.duplicates(), base: recBase})
	}
	if o.wants("batch_analysis") {
		obj, total := a.batchAnalysis()
		cats = append(cats, &category{name: "batch_analysis", obj: obj, total: total, base: batchBase})
	}
	if o.wants("difficulty_patterns") {
		cats = append(cats, &category{name: "difficulty_patterns", obj: a.difficultyPatterns(), base: topicBase})
	}
	return cats
}

// recordCats builds the per-record categories, ordered by their first
// matching record, each sorted by confidence descending (stable).
func (a *analysis) recordCats(base map[string]int) []*category {
	var cats []*category
	first := map[*category]int{}
	for _, rc := range recordCategories {
		if !a.opts.wants(rc.option) {
			continue
		}
		c := &category{name: rc.name, isList: true, base: base}
		for i, r := range a.recs {
			if rc.match(r) {
				if len(c.list) == 0 {
					first[c] = i
				}
				c.list = append(c.list, example{topic: a.files[r.file].topic, rec: r})
			}
		}
		if len(c.list) > 0 {
			sort.SliceStable(c.list, func(i, j int) bool { return c.list[i].rec.sortKey() > c.list[j].rec.sortKey() })
			cats = append(cats, c)
		}
	}
	sort.SliceStable(cats, func(i, j int) bool { return first[cats[i]] < first[cats[j]] })
	return cats
}

func (a *analysis) itemCat(name string, pick func(*itemInfo) []any, base map[string]int) *category {
	c := &category{name: name, isList: true, raw: true, base: base}
	for fi, fr := range a.files {
		for ii := range fr.items {
			if s := pick(&fr.items[ii]); len(s) > 0 {
				c.list = append(c.list, example{topic: fr.topic, file: fi, item: ii, subsets: s})
			}
		}
	}
	return c
}

// duplicates groups items by the first 50 characters of T. Topics and
// sources are sorted (the original wrote them in set order).
func (a *analysis) duplicates() []example {
	type group struct {
		key     string
		n       int
		topics  map[string]bool
		sources map[string]bool
	}
	var order []*group
	groups := map[string]*group{}
	for _, fr := range a.files {
		for _, it := range fr.items {
			g := groups[it.key50]
			if g == nil {
				g = &group{key: it.key50, topics: map[string]bool{}, sources: map[string]bool{}}
				groups[it.key50] = g
				order = append(order, g)
			}
			g.n++
			g.topics[fr.topic] = true
			g.sources[fr.source] = true
		}
	}
	out := []example{}
	for _, g := range order {
		if g.n < 2 {
			continue
		}
		o := pyjson.NewObject(4)
		topics := slices.Sorted(maps.Keys(g.topics))
		o.Set("key", g.key)
		o.Set("count", g.n)
		o.Set("topics", topics)
		o.Set("sources", slices.Sorted(maps.Keys(g.sources)))
		out = append(out, example{topic: topics[0], obj: o})
	}
	return out
}

// batchIDPattern is <topic>_<YYYYMMDD>_<HHMMSS>_batch_<NNN>.
var batchIDPattern = regexp.MustCompile(`_(\d{8})_(\d{6})_batch_\d+$`)

// batchDate returns the YYYYMMDD date of a batch id, or "".
func batchDate(id string) string {
	if m := batchIDPattern.FindStringSubmatch(id); m != nil {
		return m[1]
	}
	return ""
}

// batchAnalysis summarises records per batch id: lowest and highest pass
// rates. avg_confidence is over non-null confidences (the original divided
// by all records).
func (a *analysis) batchAnalysis() (*pyjson.Object, int) {
	type batch struct {
		id, topic      string
		n, pass, confN int
		confSum        float64
	}
	var order []*batch
	byID := map[string]*batch{}
	for _, r := range a.recs {
		id, _ := a.files[r.file].batchID.(string)
		if id == "" {
			continue
		}
		b := byID[id]
		if b == nil {
			b = &batch{id: id}
			byID[id] = b
			order = append(order, b)
		}
		b.n++
		b.topic = a.files[r.file].topic
		b.pass += b2i(r.pStr == "PASS")
		if r.confOK {
			b.confSum += r.confF
			b.confN++
		}
	}
	type row struct {
		o    *pyjson.Object
		rate float64
	}
	rows := make([]row, len(order))
	for i, b := range order {
		o := pyjson.NewObject(6)
		o.Set("batch_id", b.id)
		o.Set("topic", b.topic)
		o.Set("date", batchDate(b.id))
		o.Set("samples", b.n)
		rate := float64(b.pass) / float64(b.n) * 100
		o.Set("pass_rate", rate)
		o.Set("avg_confidence", mean(b.confSum, b.confN))
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
		var order []string
		groups := map[string][]*record{}
		for _, r := range a.byTopic[t] {
			d := "unknown"
			if v := a.itemOf(r).difficulty; truthy(v) {
				d = keyOf(v)
			}
			if _, ok := groups[d]; !ok {
				order = append(order, d)
			}
			groups[d] = append(groups[d], r)
		}
		o := pyjson.NewObject(len(order))
		for _, d := range order {
			g := groups[d]
			pass := 0
			for _, r := range g {
				pass += b2i(r.pStr == "PASS")
			}
			s := pyjson.NewObject(3)
			s.Set("samples", len(g))
			s.Set("pass_rate", float64(pass)/float64(len(g))*100)
			s.Set("avg_confidence", avgConfidence(g))
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
		var topics []string
		n := map[string]int{}
		for _, e := range c.list {
			if _, ok := n[e.topic]; !ok {
				topics = append(topics, e.topic)
			}
			n[e.topic]++
		}
		by := pyjson.NewObject(len(topics))
		for _, t := range topics {
			b := pyjson.NewObject(3)
			b.Set("count", n[t])
			b.Set("dataset_count", c.base[t])
			b.Set("percentage", pct(n[t], c.base[t]))
			by.Set(t, b)
		}
		o.Set("total", len(c.list))
		o.Set("by_topic", by)
		out.Set(c.name, o)
	}
	return out
}

// written returns the examples written to the category's file: at most
// limit per topic, grouped by topic in first-seen order.
func (c *category) written(limit int) []example {
	var topics []string
	by := map[string][]example{}
	for _, e := range c.list {
		if _, ok := by[e.topic]; !ok {
			topics = append(topics, e.topic)
		}
		if len(by[e.topic]) < limit {
			by[e.topic] = append(by[e.topic], e)
		}
	}
	var out []example
	for _, t := range topics {
		out = append(out, by[t]...)
	}
	return out
}
