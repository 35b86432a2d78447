package tag

import (
	"maps"
	"slices"

	"github.com/rs/zerolog"

	"github.com/sptflow/sptflow/pyjson"
)

// Report is the summary of one tagged partition, written as JSON to
// reports/<node>/<topic>.json. It has no timestamps, so identical inputs
// give identical bytes.
type Report struct {
	Topic string
	Stats
	// UniqueIDs is the number of distinct id_string values (equal to IDs,
	// since a duplicate is an error).
	UniqueIDs int
	// FirstID and LastID bound the id_numeric values assigned (0 when none).
	FirstID, LastID int64
}

// JSON encodes the report with sorted count keys, indent 2.
func (r *Report) JSON() ([]byte, error) {
	o := pyjson.NewObject(12)
	o.Set("topic", r.Topic)
	o.Set("files", r.Files)
	o.Set("files_without_data", r.FilesWithoutData)
	o.Set("items", r.Items)
	o.Set("baseline_interventions_removed", r.BaselinesRemoved)
	o.Set("ids", r.IDs)
	o.Set("unique_ids", r.UniqueIDs)
	o.Set("id_numeric_first", r.FirstID)
	o.Set("id_numeric_last", r.LastID)
	o.Set("dropped_variants", r.DroppedVariants)
	o.Set("tags", r.Tags)
	return pyjson.Marshal(o, pyjson.Options{Indent: 2})
}

// Log writes the summary to log: a warning per model whose variants were
// dropped; the totals, the baseline note and the tag counts are details
// (debug level: the partition's "executed" line is what a user acts on).
func (r *Report) Log(log zerolog.Logger) {
	log.Debug().Str("topic", r.Topic).Int("files", r.Files).Int("items", r.Items).
		Int("baselines_removed", r.BaselinesRemoved).Int("ids", r.IDs).Int("unique_ids", r.UniqueIDs).
		Msg("tagged")
	if r.BaselinesRemoved == 0 {
		log.Debug().Msg("no *_baseline interventions found (the original tagger would fail here; sptflow does not)")
	}
	for _, m := range slices.Sorted(maps.Keys(r.DroppedVariants)) {
		log.Warn().Str("model", m).Int("variants", r.DroppedVariants[m]).Msg("dropped variants without interventions")
	}
	d := zerolog.Dict()
	for _, k := range slices.Sorted(maps.Keys(r.Tags)) {
		d = d.Int(k, r.Tags[k])
	}
	log.Debug().Dict("tags", d).Msg("tags applied")
}
