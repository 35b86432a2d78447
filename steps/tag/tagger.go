package tag

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/sptflow/sptflow/pyjson"
	"github.com/sptflow/sptflow/steps/spt"
)

// Stats counts what tagging did (the summary of spec §8.1 step 5).
type Stats struct {
	Files            int
	FilesWithoutData int // re-serialised unchanged
	Items            int
	BaselinesRemoved int
	IDs              int
	DroppedVariants  map[string]int // per model: variants without interventions
	Tags             map[string]int // applications per tag (see spec §8.7)
}

// Add accumulates o into s.
func (s *Stats) Add(o *Stats) {
	s.Files += o.Files
	s.FilesWithoutData += o.FilesWithoutData
	s.Items += o.Items
	s.BaselinesRemoved += o.BaselinesRemoved
	s.IDs += o.IDs
	s.DroppedVariants = addCounts(s.DroppedVariants, o.DroppedVariants)
	s.Tags = addCounts(s.Tags, o.Tags)
}

func addCounts(dst, src map[string]int) map[string]int {
	if dst == nil {
		dst = map[string]int{}
	}
	for k, n := range src {
		dst[k] += n
	}
	return dst
}

// File is one tagged batch file.
type File struct {
	Stats Stats
	// IDs are the id_string values assigned, in traversal order.
	IDs []string
	// records are the tagged intervention records in traversal order, for
	// Number.
	records []*pyjson.Object
}

// Number sets id_numeric on the file's records to first, first+1, ... in
// traversal order (item, model, A then B, intervention key order).
// TagFile numbers them from 1; callers renumber once the ids of the
// preceding files are known.
func (f *File) Number(first int64) {
	for i, rec := range f.records {
		rec.Set("id_numeric", pyjson.Number(strconv.FormatInt(first+int64(i), 10)))
	}
}

// TagFile tags one batch file in place, exactly as spec §8.2–8.6: it drops
// variants without interventions, removes baseline interventions, adds
// variant and intervention tags and the id_numeric/id_string identifiers
// (appended at the end of each record). stem is the file's name without
// extension, used in id_string. A file without a list "data" is left
// unchanged. Errors name the item, model, variant and intervention, not the
// file. TagFile does not check id_string duplicates; see Partition.
func TagFile(doc *pyjson.Object, stem string) (*File, error) {
	f := &File{Stats: Stats{Files: 1, DroppedVariants: map[string]int{}, Tags: map[string]int{}}}
	data, ok := spt.Data(doc)
	if !ok {
		f.Stats.FilesWithoutData = 1
		return f, nil
	}
	t := tagger{stem: stem, f: f}
	for i := range data {
		item, err := spt.Item(data, i)
		if err != nil {
			return nil, err
		}
		if err := t.item(i, item); err != nil {
			return nil, fmt.Errorf("item %d: %w", i, err)
		}
	}
	f.Stats.Items = len(data)
	f.Stats.IDs = len(f.IDs)
	f.Number(1)
	return f, nil
}

type tagger struct {
	stem string
	f    *File
	sc   scan
}

// list is a tags list being built, written back by flush.
type list struct {
	obj  *pyjson.Object
	tags []any
}

// ensureTags starts o's tag list afresh. When o has no "tags" key, an empty
// one is appended at the end of o (as the original's setdefault); an
// existing value keeps its position and is replaced, so tagging already
// tagged data recomputes the tags instead of appending duplicates.
func ensureTags(o *pyjson.Object) *list {
	if !o.Has("tags") {
		o.Set("tags", []any{})
	}
	return &list{obj: o}
}

func (l *list) add(tag string) { l.tags = append(l.tags, tag) }

// addMissing appends tag unless it is present.
func (l *list) addMissing(tag string) {
	for _, t := range l.tags {
		if t == tag {
			return
		}
	}
	l.tags = append(l.tags, tag)
}

func (l *list) flush() {
	if l.tags == nil {
		l.tags = []any{}
	}
	l.obj.Set("tags", l.tags)
}

// variant is a variant being tagged: its tag list, the tag lists of its
// remaining interventions and the P verdicts of those interventions.
type variant struct {
	tags *list
	recs []*list
	ps   []any
}

func (v *variant) flush() {
	v.tags.flush()
	for _, r := range v.recs {
		r.flush()
	}
}

// propagate adds tag to the variant (always) and to each of its
// interventions that lack it.
func (v *variant) propagate(tag string, variantIfMissing bool) {
	if variantIfMissing {
		v.tags.addMissing(tag)
	} else {
		v.tags.add(tag)
	}
	for _, r := range v.recs {
		r.addMissing(tag)
	}
}

func (t *tagger) count(tag string) { t.f.Stats.Tags[tag]++ }

func (t *tagger) item(idx int, item *pyjson.Object) error {
	models, err := spt.Models(item)
	if err != nil {
		return err
	}
	irf := spt.IntendedReviewFocus(item)
	for _, m := range models {
		if err := t.model(idx, m, irf); err != nil {
			return fmt.Errorf("model %q: %w", m.Name, err)
		}
	}
	return nil
}

func (t *tagger) model(idx int, m spt.Model, irf any) error {
	present, err := t.dropIncomplete(m)
	if err != nil {
		return err
	}
	noAB := present[0] != nil && present[1] == nil
	var vs []*variant
	for vi, obj := range present {
		if obj == nil {
			continue
		}
		v, err := t.variant(idx, m.Name, spt.Variants[vi], obj, irf)
		if err != nil {
			return fmt.Errorf("variant %s: %w", spt.Variants[vi], err)
		}
		t.disagreement(v)
		if noAB {
			v.tags.add(NoABSeparation)
			t.count(NoABSeparation)
		}
		vs = append(vs, v)
	}
	if len(vs) == 2 {
		t.consensus(vs[0], vs[1])
	}
	for _, v := range vs {
		v.flush()
	}
	return nil
}

// dropIncomplete deletes the A and B variants that have no interventions
// key (the model entry stays, possibly as {}) and returns those left.
func (t *tagger) dropIncomplete(m spt.Model) ([2]*pyjson.Object, error) {
	var present [2]*pyjson.Object
	for vi, name := range spt.Variants {
		obj, err := spt.Variant(m.Obj, name)
		if err != nil {
			return present, err
		}
		if obj == nil {
			continue
		}
		if !obj.Has("interventions") {
			m.Obj.Delete(name)
			t.f.Stats.DroppedVariants[m.Name]++
			continue
		}
		present[vi] = obj
	}
	return present, nil
}

// variant tags one variant and its interventions (spec §8.2 step 3.1-3.4).
func (t *tagger) variant(idx int, model, name string, obj *pyjson.Object, irf any) (*variant, error) {
	v := &variant{tags: ensureTags(obj)}
	if err := t.tokenLimit(v, obj); err != nil {
		return nil, err
	}
	recs, _, err := spt.Interventions(obj)
	if err != nil {
		return nil, err
	}
	prefix := t.stem + "__idx" + strconv.Itoa(idx) + "__" + strings.ReplaceAll(model, "/", "_") + "_" + name + "__"
	var baselines []string
	for _, r := range recs {
		if spt.IsBaseline(r.Key) {
			baselines = append(baselines, r.Key)
			continue
		}
		if err := t.record(v, r, prefix+r.Key, irf); err != nil {
			return nil, fmt.Errorf("intervention %q: %w", r.Key, err)
		}
	}
	if len(baselines) > 0 {
		ivs := obj.Obj("interventions")
		for _, k := range baselines {
			ivs.Delete(k)
		}
		t.f.Stats.BaselinesRemoved += len(baselines)
	}
	return v, nil
}

// tokenLimit applies generation_exceeded_token_limit (output_tokens >= 2048;
// missing counts as 0).
func (t *tagger) tokenLimit(v *variant, obj *pyjson.Object) error {
	raw, ok := obj.Get("output_tokens")
	if !ok {
		return nil
	}
	n, isNum := numeric(raw)
	if !isNum {
		return fmt.Errorf("output_tokens is %s, not a number", pyjson.TypeName(raw))
	}
	if n >= TokenLimit {
		v.tags.add(GenerationExceededLimit)
		t.count(GenerationExceededLimit)
	}
	return nil
}

// record tags one non-baseline intervention record and assigns its ids.
func (t *tagger) record(v *variant, r spt.Record, id string, irf any) error {
	tags := ensureTags(r.Obj)
	r.Obj.Set("id_numeric", pyjson.Number("0")) // renumbered by File.Number
	r.Obj.Set("id_string", id)
	t.f.records = append(t.f.records, r.Obj)
	t.f.IDs = append(t.f.IDs, id)
	applied, err := recordTags(r.Obj, irf, &t.sc)
	if err != nil {
		return err
	}
	for _, tag := range applied {
		tags.add(tag)
		t.count(tag)
	}
	v.recs = append(v.recs, tags)
	if p, ok := r.Obj.Get("P"); ok {
		v.ps = append(v.ps, p)
	}
	return nil
}

// verdicts counts PASS and FAIL in ps; AMBIGUOUS, ERROR and anything else
// count as neither.
func verdicts(ps []any) (pass, fail int) {
	for _, p := range ps {
		switch p {
		case verdictPass:
			pass++
		case verdictFail:
			fail++
		}
	}
	return pass, fail
}

// disagreement applies the disagree_once/twice tags to a variant and its
// interventions (verdicts pooled across all versions and types).
func (t *tagger) disagreement(v *variant) {
	pass, fail := verdicts(v.ps)
	if pass >= 1 && fail >= 1 {
		v.propagate(DisagreeOnce, false)
		t.count(DisagreeOnce)
	}
	if pass >= 2 && fail >= 2 {
		v.propagate(DisagreeTwice, false)
		t.count(DisagreeTwice)
	}
}

func consensusOf(ps []any) string {
	pass, fail := verdicts(ps)
	switch {
	case pass > fail:
		return verdictPass
	case fail > pass:
		return verdictFail
	}
	return consensusUnclear
}

// consensusTags are the model-level tags of the A and B consensus
// verdicts ca and cb, in the order the original adds them.
func consensusTags(ca, cb string) []string {
	var tags []string
	if ca == consensusUnclear {
		tags = append(tags, MissingConsensusOnA)
	}
	if cb == consensusUnclear {
		tags = append(tags, MissingConsensusOnB)
	}
	if ca == cb {
		tags = append(tags, UnclearABSeparation)
	}
	if ca == verdictFail && cb == verdictPass {
		tags = append(tags, AFailsButBPasses)
	}
	return tags
}

// consensus applies the model-level tags when both variants are present.
func (t *tagger) consensus(a, b *variant) {
	for _, tag := range consensusTags(consensusOf(a.ps), consensusOf(b.ps)) {
		a.propagate(tag, true)
		b.propagate(tag, true)
		t.count(tag)
	}
}
