package export

import (
	"math"
	"slices"
)

// Filtered counts the samples the selection removed, and why.
type Filtered struct {
	OtherTypes     int            // key not in intervention_types
	ByTags         int            // at least one tag in tags_to_filter
	TagOccurrences map[string]int // filtered tags among those samples
	ByVerdict      map[string]int // dropped by drop_verdicts
}

func newFiltered() Filtered {
	return Filtered{TagOccurrences: map[string]int{}, ByVerdict: map[string]int{}}
}

func (f *Filtered) add(o Filtered) {
	f.OtherTypes += o.OtherTypes
	f.ByTags += o.ByTags
	for k, v := range o.TagOccurrences {
		f.TagOccurrences[k] += v
	}
	for k, v := range o.ByVerdict {
		f.ByVerdict[k] += v
	}
}

// selector applies the config's filters and the export options.
type selector struct {
	types        map[string]bool
	filterTags   map[string]bool
	dropVerdicts map[string]bool
}

func newSelector(c *Config, dropVerdicts []string) *selector {
	s := &selector{types: set(c.InterventionTypes), filterTags: set(c.TagsToFilter), dropVerdicts: set(dropVerdicts)}
	return s
}

func set(ss []string) map[string]bool {
	m := make(map[string]bool, len(ss))
	for _, s := range ss {
		m[s] = true
	}
	return m
}

// passes applies the filters to a sample whose verdict is the raw JSON
// value p, recording why a sample is removed.
func (s *selector) passes(smp *Sample, p []byte, f *Filtered) bool {
	if !s.types[smp.Key] {
		f.OtherTypes++
		return false
	}
	if hit := s.filteredTags(smp.Tags); len(hit) > 0 {
		f.ByTags++
		for _, t := range hit {
			f.TagOccurrences[t]++
		}
		return false
	}
	if len(s.dropVerdicts) > 0 {
		verdict, _ := text(p)
		if s.dropVerdicts[verdict] {
			f.ByVerdict[verdict]++
			return false
		}
	}
	return true
}

// filteredTags returns the distinct tags of tags that are filtered.
func (s *selector) filteredTags(tags []string) []string {
	var hit []string
	for _, t := range tags {
		if s.filterTags[t] && !slices.Contains(hit, t) {
			hit = append(hit, t)
		}
	}
	return hit
}

// strideSplit is the original's per-topic split: n_val = min(perTopic,
// total) validation samples at indices floor(i * total/n_val), the rest
// train, both in order.
func strideSplit(samples []Sample, perTopic int) (train, val []Sample) {
	isVal := strideIndices(len(samples), perTopic)
	if len(isVal) == 0 {
		return samples, nil
	}
	for i, s := range samples {
		if isVal[i] {
			val = append(val, s)
		} else {
			train = append(train, s)
		}
	}
	return train, val
}

// strideIndices returns strideSplit's validation indices for a topic of
// total samples.
func strideIndices(total, perTopic int) map[int]bool {
	nVal := min(perTopic, total)
	if nVal <= 0 {
		return nil
	}
	stride := float64(total) / float64(nVal)
	isVal := make(map[int]bool, nVal)
	for i := 0; i < nVal; i++ {
		isVal[int(math.Floor(float64(i)*stride))] = true
	}
	return isVal
}
