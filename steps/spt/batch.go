package spt

import (
	"fmt"

	"github.com/sptflow/sptflow/pyjson"
)

// Variant names, in the order every stage processes them: A is the
// unbiased system prompt, B the biased one.
const (
	VariantA = "A"
	VariantB = "B"
)

// Variants lists the variant names in processing order.
var Variants = [2]string{VariantA, VariantB}

// Data returns the "data" list of a batch file; ok is false when the file
// has no "data" key or it is not a list (the tagger re-serialises such
// files unchanged).
func Data(file *pyjson.Object) (data []any, ok bool) {
	v, found := file.Get("data")
	if !found {
		return nil, false
	}
	data, ok = v.([]any)
	return data, ok
}

// Item returns data[i] as an object, or an error naming the index.
func Item(data []any, i int) (*pyjson.Object, error) {
	item, ok := data[i].(*pyjson.Object)
	if !ok {
		return nil, fmt.Errorf("data[%d] is %s, not an object", i, pyjson.TypeName(data[i]))
	}
	return item, nil
}

// IntendedReviewFocus returns item.metadata.intended_review_focus, or nil
// when metadata or the key is missing.
func IntendedReviewFocus(item *pyjson.Object) any {
	meta := item.Obj("metadata")
	if meta == nil {
		return nil
	}
	v, _ := meta.Get("intended_review_focus")
	return v
}

// Model is one entry of an item's "inferences": a target model's A and B
// variants.
type Model struct {
	Name string
	Obj  *pyjson.Object
}

// Models returns the entries of item.inferences in insertion order. An item
// without inferences has none; a non-object entry is an error.
func Models(item *pyjson.Object) ([]Model, error) {
	v, ok := item.Get("inferences")
	if !ok || v == nil {
		return nil, nil
	}
	inf, ok := v.(*pyjson.Object)
	if !ok {
		return nil, fmt.Errorf("inferences is %s, not an object", pyjson.TypeName(v))
	}
	models := make([]Model, 0, inf.Len())
	for i := range inf.Len() {
		name, mv := inf.At(i)
		m, ok := mv.(*pyjson.Object)
		if !ok {
			return nil, fmt.Errorf("inferences[%q] is %s, not an object", name, pyjson.TypeName(mv))
		}
		models = append(models, Model{Name: name, Obj: m})
	}
	return models, nil
}

// Variant returns the variant object name ("A" or "B") of a model entry,
// or nil when it is absent. A present non-object variant is an error.
func Variant(model *pyjson.Object, name string) (*pyjson.Object, error) {
	v, ok := model.Get(name)
	if !ok {
		return nil, nil
	}
	variant, ok := v.(*pyjson.Object)
	if !ok {
		return nil, fmt.Errorf("variant %s is %s, not an object", name, pyjson.TypeName(v))
	}
	return variant, nil
}

// Record is one intervention record of a variant, with its key
// ("split_personality__version_4").
type Record struct {
	Key string
	Obj *pyjson.Object
}

// Interventions returns the intervention records of a variant in insertion
// order; ok is false when the variant has no "interventions" key. A
// non-object value is an error.
func Interventions(variant *pyjson.Object) (recs []Record, ok bool, err error) {
	v, ok := variant.Get("interventions")
	if !ok {
		return nil, false, nil
	}
	ivs, isObj := v.(*pyjson.Object)
	if !isObj {
		return nil, true, fmt.Errorf("interventions is %s, not an object", pyjson.TypeName(v))
	}
	recs = make([]Record, 0, ivs.Len())
	for i := range ivs.Len() {
		k, rv := ivs.At(i)
		r, isObj := rv.(*pyjson.Object)
		if !isObj {
			return nil, true, fmt.Errorf("interventions[%q] is %s, not an object", k, pyjson.TypeName(rv))
		}
		recs = append(recs, Record{Key: k, Obj: r})
	}
	return recs, true, nil
}
