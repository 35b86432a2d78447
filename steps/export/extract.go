package export

import (
	"fmt"
	"sort"
	"strings"

	"github.com/sptflow/sptflow/pyjson"
	"github.com/sptflow/sptflow/steps/spt"
)

// markerLen is the length of "<split-personality-token>": the original
// loader cuts this many code points from I whenever "<split" occurs in it.
const markerLen = 25

// Sample is one training sample before formatting.
type Sample struct {
	Topic   string
	File    string // base name of the batch file
	Item    int    // index in the file's data list
	Model   string
	Variant string // "A" or "B"
	Key     string // intervention storage key
	Tags    []string

	System       string // the variant's system prompt (A or B text)
	Task         string
	Response     string
	Intervention string // I with the marker cut
	Review       string
	Flag         string // P
	OriginalA    string
	OriginalB    string
}

// Skips counts what extraction passed over, and why.
type Skips struct {
	ItemsWithoutModel  int // the model has no (or an empty) inference entry
	ItemsEmptyTask     int // T empty or absent
	VariantsNoPrompt   int // the item's A/B text is empty or absent
	VariantsNoResponse int // the model has no (or an empty) entry for the variant
}

func (s *Skips) add(o Skips) {
	s.ItemsWithoutModel += o.ItemsWithoutModel
	s.ItemsEmptyTask += o.ItemsEmptyTask
	s.VariantsNoPrompt += o.VariantsNoPrompt
	s.VariantsNoResponse += o.VariantsNoResponse
}

// AllModels selects every model of every item.
const AllModels = "all"

// extract builds the raw samples of one batch file for model (or every
// model with AllModels), following load_topic of the original loader.
func extract(topic, file string, batch *pyjson.Object, model string) ([]Sample, Skips, error) {
	var out []Sample
	var sk Skips
	data, ok := spt.Data(batch)
	if !ok {
		return nil, sk, fmt.Errorf("%s: no data list", file)
	}
	for i := range data {
		item, err := spt.Item(data, i)
		if err != nil {
			return nil, sk, fmt.Errorf("%s: %w", file, err)
		}
		models, err := selectModels(item, model)
		if err != nil {
			return nil, sk, fmt.Errorf("%s: data[%d]: %w", file, i, err)
		}
		for _, m := range models {
			if m.Obj == nil || m.Obj.Len() == 0 {
				sk.ItemsWithoutModel++
				continue
			}
			if str(item, "T") == "" {
				sk.ItemsEmptyTask++
				continue
			}
			base := Sample{Topic: topic, File: file, Item: i, Model: m.Name, Task: str(item, "T"),
				OriginalA: str(item, "A"), OriginalB: str(item, "B")}
			got, err := variantSamples(base, item, m.Obj, &sk)
			if err != nil {
				return nil, sk, fmt.Errorf("%s: data[%d]: model %s: %w", file, i, m.Name, err)
			}
			out = append(out, got...)
		}
	}
	return out, sk, nil
}

// selectModels returns the named model's entry (nil Obj when absent), or
// every entry sorted by name for AllModels.
func selectModels(item *pyjson.Object, model string) ([]spt.Model, error) {
	models, err := spt.Models(item)
	if err != nil {
		return nil, err
	}
	if model == AllModels {
		if len(models) == 0 {
			return []spt.Model{{}}, nil // counted as an item without inference
		}
		sort.SliceStable(models, func(i, j int) bool { return models[i].Name < models[j].Name })
		return models, nil
	}
	for _, m := range models {
		if m.Name == model {
			return []spt.Model{m}, nil
		}
	}
	return []spt.Model{{Name: model}}, nil
}

func variantSamples(base Sample, item, model *pyjson.Object, sk *Skips) ([]Sample, error) {
	var out []Sample
	for _, v := range spt.Variants {
		prompt := str(item, v)
		if prompt == "" {
			sk.VariantsNoPrompt++
			continue
		}
		variant, err := spt.Variant(model, v)
		if err != nil {
			return nil, err
		}
		if variant == nil || variant.Len() == 0 {
			sk.VariantsNoResponse++
			continue
		}
		recs, _, err := spt.Interventions(variant)
		if err != nil {
			return nil, fmt.Errorf("variant %s: %w", v, err)
		}
		vtags := strs(variant, "tags")
		for _, r := range recs {
			s := base
			s.Variant, s.Key, s.System, s.Response = v, r.Key, prompt, str(variant, "S")
			s.Intervention = cutMarker(str(r.Obj, "I"))
			s.Review, s.Flag = str(r.Obj, "R"), str(r.Obj, "P")
			s.Tags = append(strs(r.Obj, "tags"), vtags...)
			out = append(out, s)
		}
	}
	return out, nil
}

// cutMarker removes the first 25 code points of I when "<split" occurs
// anywhere in it, as the original loader does (a positional cut, not a
// search-and-remove: an I with the marker elsewhere loses its first 25
// characters and keeps the marker).
func cutMarker(i string) string {
	if strings.Contains(i, "<split") {
		return spt.Slice(i, markerLen, -1)
	}
	return i
}

// str returns o[k] when it is a string, else "" (absent, null or another type).
func str(o *pyjson.Object, k string) string {
	s, _ := o.Str(k)
	return s
}

// strs returns the strings of the list o[k] (other elements skipped).
func strs(o *pyjson.Object, k string) []string {
	var out []string
	for _, v := range o.Arr(k) {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}
