package analyze

import (
	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/pyjson"
	"slices"
)

// record is the analysis unit: one intervention record of one variant of
// one model's inference on one item (§12.2). Only the fields the analysis
// uses are kept; the long texts survive only in ex, the formatted example,
// and only for records that may be written as examples.
type record struct {
	file, item           int
	model, variant, name string
	itype                any
	typeStr              string
	p                    any
	pStr                 string
	conf                 any
	confF                float64
	confOK               bool // conf is a number
	ddInt, ddExt         any
	selected             any
	outTok               any
	outF                 float64
	spToken              bool // I starts with <split-personality-token>
	ex                   *pyjson.Object
}

// itemInfo is what the raw-item analyses need of one item.
type itemInfo struct {
	start, end                      int        // the item's byte range in its file
	bytes                           *itemBytes // its bytes, once a category keeps it (itemBytesOf)
	key50                           string
	intended, alignment, difficulty any
	// Whether the item has an A/B inversion, a disagreement, a
	// high-confidence disagreement (its affected_subsets are built from
	// the raw item only when a category keeps it).
	inversion, disagree, disagreeHC bool
}

// fileResult is everything the analysis keeps of one batch file.
type fileResult struct {
	file    engine.OutputFile
	path    string // upstream path (data-dir relative)
	source  string // source_file as reported
	topic   string
	batchID any
	skipped bool // TEST topic or filtered out
	models  []string
	items   []itemInfo
	records []record
	tags    counts // §12.2 counting rule, first-seen order
	err     error
	data    []byte   // the file's bytes, until it is merged
	raw     *rawFile // the file parsed, until it is merged
	w       *worker  // the worker whose buffer and parser data and raw are
}

// digest turns a parsed file into records, item infos and tag counts. The
// examples a category keeps are formatted when the file is merged, from
// raw (which stays valid until then). fr's records, items and models may
// hold storage to reuse.
func (fr *fileResult) digest(f *rawFile) {
	fr.raw = f
	fr.batchID = f.batchID
	fr.items = slices.Grow(fr.items[:0], len(f.items))[:len(f.items)]
	fr.records = slices.Grow(fr.records[:0], len(f.intervs))
	for i := range f.items {
		it := &f.items[i]
		fr.items[i] = itemInfo{start: it.start, end: it.end, key50: prefix50(it.t),
			intended: it.intended, alignment: it.alignment, difficulty: it.difficulty}
		fr.digestItem(i, it)
		fr.items[i].inversion = hasInversion(it)
		fr.items[i].disagree, fr.items[i].disagreeHC = hasDisagreements(it)
	}
}

func (fr *fileResult) digestItem(i int, it *rawItem) {
	for _, m := range it.models {
		fr.models = append(fr.models, m.name)
		for vi := range m.variants {
			v := &m.variants[vi]
			if !v.present {
				continue
			}
			for _, t := range v.tags {
				fr.tags.add(t, 1)
			}
			for _, r := range v.interventions {
				for _, t := range r.tags {
					if !contains(v.tags, t) {
						fr.tags.add(t, 1)
					}
				}
				fr.records = append(fr.records, newRecord(i, m.name, variantNames[vi], v, &r))
			}
		}
	}
}

func newRecord(item int, model, variant string, v *rawVariant, r *rawInterv) record {
	rec := record{item: item, model: model, variant: variant, name: r.key,
		itype: r.itype, p: r.p, conf: r.conf, ddInt: r.ddInt, ddExt: r.ddExt,
		selected: r.selected, outTok: v.outTok, spToken: hasSPToken(r.i)}
	rec.typeStr, _ = r.itype.(string)
	rec.pStr, _ = r.p.(string)
	if n, ok := r.conf.(pyjson.Number); ok {
		rec.confF, rec.confOK = n.Float64(), true
	}
	if n, ok := v.outTok.(pyjson.Number); ok {
		rec.outF = n.Float64()
	}
	return rec
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// hasInversion reports whether inversion(it) is not empty.
func hasInversion(it *rawItem) bool {
	found := false
	eachInversion(it, func(string, string) bool { found = true; return false })
	return found
}

// hasDisagreements reports whether the lists of disagreements(it) are not
// empty, without building them.
func hasDisagreements(it *rawItem) (all, hc bool) {
	for _, m := range it.models {
		for vi := range m.variants {
			v := &m.variants[vi]
			if !v.present {
				continue
			}
			var first, firstHC any
			n, nHC := 0, 0
			for _, r := range v.interventions {
				if n == 0 {
					first = r.p
				} else if r.p != first {
					all = true
				}
				n++
				if c, ok := r.conf.(pyjson.Number); ok && c.Float64() >= 4 {
					if nHC == 0 {
						firstHC = r.p
					} else if r.p != firstHC {
						hc = true
					}
					nHC++
				}
			}
			if all && hc {
				return all, hc
			}
		}
	}
	return all, hc
}

// inversion lists [model, key] where A's verdict is FAIL and B's verdict for
// the same key is PASS. A key missing on B is skipped (the original crashed).
func inversion(it *rawItem) []any {
	var out []any
	eachInversion(it, func(model, key string) bool {
		out = append(out, []any{model, key})
		return true
	})
	return out
}

// eachInversion calls f with the model and key of each entry of
// inversion(it), in order, until f returns false.
func eachInversion(it *rawItem, f func(model, key string) bool) {
	for _, m := range it.models {
		a, b := &m.variants[0], &m.variants[1]
		if !a.present || !b.present {
			continue
		}
		for _, r := range a.interventions {
			if r.p != "FAIL" {
				continue
			}
			if rb := findInterv(b, r.key); rb != nil && rb.p == "PASS" && !f(m.name, r.key) {
				return
			}
		}
	}
}

func findInterv(v *rawVariant, key string) *rawInterv {
	for i := range v.interventions {
		if v.interventions[i].key == key {
			return &v.interventions[i]
		}
	}
	return nil
}

// disagreements lists [model, variant, [[key, P, confidence], ...]] for each
// variant whose verdicts take more than one value: over all interventions,
// and over those with confidence >= 4 (hc).
func disagreements(it *rawItem) (all, hc []any) {
	for _, m := range it.models {
		for vi := range m.variants {
			v := &m.variants[vi]
			if !v.present {
				continue
			}
			triples := make([]any, len(v.interventions))
			var ps, hps []any
			for i, r := range v.interventions {
				triples[i] = []any{r.key, r.p, r.conf}
				ps = append(ps, r.p)
				if n, ok := r.conf.(pyjson.Number); ok && n.Float64() >= 4 {
					hps = append(hps, r.p)
				}
			}
			subset := []any{m.name, variantNames[vi], triples}
			if distinct(ps) > 1 {
				all = append(all, subset)
			}
			if distinct(hps) > 1 {
				hc = append(hc, subset)
			}
		}
	}
	return all, hc
}

// distinct counts distinct verdict values (strings, null or other scalars).
func distinct(vs []any) int {
	seen := map[any]bool{}
	for _, v := range vs {
		seen[v] = true
	}
	return len(seen)
}

// sortKey is the original's example sort key: confidence, or 0 when absent.
func (r *record) sortKey() float64 {
	if r.confOK {
		return r.confF
	}
	return 0
}

// example formats a record as the original's _format_example, with the two
// detection-difficulty fields in place of the dead `detection_difficulty`.
func (fr *fileResult) example(r *record) *pyjson.Object {
	it := &fr.raw.items[r.item]
	v, ri := findRaw(it, r)
	o := pyjson.NewObject(20)
	o.Set("category", "auto-detected")
	o.Set("source", fr.source)
	o.Set("item_index", r.item)
	o.Set("topic", fr.topic)
	o.Set("variant", r.variant)
	o.Set("model", r.model)
	o.Set("intervention", r.name)
	o.Set("intervention_type", r.itype)
	o.Set("T", cut(it.t, 200))
	o.Set("S", cutText(v.s, 300))
	o.Set("I", cutText(ri.i, 200))
	o.Set("R", cutText(ri.r, 300))
	o.Set("P", r.p)
	o.Set("confidence", r.conf)
	o.Set("detection_difficulty_internal", r.ddInt)
	o.Set("detection_difficulty_external", r.ddExt)
	o.Set("intended_review_focus", it.intended)
	o.Set("selected_review_focus", r.selected)
	o.Set("output_tokens", r.outTok)
	return o
}

func findRaw(it *rawItem, r *record) (*rawVariant, *rawInterv) {
	vi := 0
	if r.variant == "B" {
		vi = 1
	}
	for mi := range it.models {
		if it.models[mi].name == r.model {
			v := &it.models[mi].variants[vi]
			return v, findInterv(v, r.name)
		}
	}
	return &rawVariant{}, &rawInterv{}
}
