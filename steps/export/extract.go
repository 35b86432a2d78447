package export

import (
	"fmt"
	"sort"
	"strings"

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
	Simulated    SimParts // the parts that came from the sim provider
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

// extraction is the outcome of reading one batch file.
type extraction struct {
	kept      []Sample
	extracted int // samples built before filtering
	skips     Skips
	filtered  Filtered
}

// extract builds the samples of one batch file for model (or every model,
// sorted by name, with AllModels) following load_topic of the original
// loader, and keeps those sel lets through.
func extract(topic, file string, data []byte, model string, sel *selector) (*extraction, error) {
	x := &extraction{filtered: newFiltered()}
	simulated, err := scanBatch(data, model, func(i int, it *rawItem) error {
		return x.item(topic, file, i, it, model, sel)
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if simulated { // the marker follows the data list in the file
		for i := range x.kept {
			x.kept[i].Simulated |= SimTask
		}
	}
	return x, nil
}

func (x *extraction) item(topic, file string, i int, it *rawItem, model string, sel *selector) error {
	models := it.models
	if model == AllModels {
		sort.SliceStable(models, func(a, b int) bool { return models[a].name < models[b].name })
		if len(models) == 0 {
			models = []rawModel{{}} // counted as an item without inference
		}
	} else if len(models) == 0 {
		models = []rawModel{{name: model}}
	}
	var base Sample
	var err error
	base.Topic, base.File, base.Item = topic, file, i
	if base.Task, err = text(it.T); err != nil {
		return fmt.Errorf("data[%d].T: %w", i, err)
	}
	if base.OriginalA, err = text(it.A); err != nil {
		return fmt.Errorf("data[%d].A: %w", i, err)
	}
	if base.OriginalB, err = text(it.B); err != nil {
		return fmt.Errorf("data[%d].B: %w", i, err)
	}
	for _, m := range models {
		if m.keys == 0 {
			x.skips.ItemsWithoutModel++
			continue
		}
		if base.Task == "" {
			x.skips.ItemsEmptyTask++
			continue
		}
		base.Model = m.name
		if err := x.variants(base, &m, sel); err != nil {
			return fmt.Errorf("data[%d]: model %s: %w", i, m.name, err)
		}
	}
	return nil
}

func (x *extraction) variants(base Sample, m *rawModel, sel *selector) error {
	for vi, v := range spt.Variants {
		prompt := base.OriginalA
		if v == spt.VariantB {
			prompt = base.OriginalB
		}
		if prompt == "" {
			x.skips.VariantsNoPrompt++
			continue
		}
		rv := m.variants[vi]
		if rv == nil || rv.keys == 0 {
			x.skips.VariantsNoResponse++
			continue
		}
		for _, r := range rv.recs {
			s := base
			s.Variant, s.Key, s.System = v, r.key, prompt
			s.Simulated = simParts(rv, &r)
			s.Tags = append(append(make([]string, 0, len(r.tags)+len(rv.tags)), r.tags...), rv.tags...)
			x.extracted++
			if !sel.passes(&s, r.P, &x.filtered) {
				continue
			}
			if err := s.fill(rv, &r); err != nil {
				return fmt.Errorf("variant %s: %s: %w", v, r.key, err)
			}
			x.kept = append(x.kept, s)
		}
	}
	return nil
}

// fill decodes the texts of a kept sample.
func (s *Sample) fill(v *rawVariant, r *rawRecord) error {
	var err error
	if s.Response, err = text(v.S); err != nil {
		return err
	}
	var i string
	if i, err = text(r.I); err != nil {
		return err
	}
	s.Intervention = cutMarker(i)
	if s.Review, err = text(r.R); err != nil {
		return err
	}
	s.Flag, err = text(r.P)
	return err
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
