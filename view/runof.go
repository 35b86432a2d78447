package view

import (
	"encoding/json"
	"path/filepath"
)

// RunOf returns the run of the store that produced outputs (manifest
// digests, hex; a lock file's entries): of the runs of pipeline ("" =
// any), the one whose journal records the most of them (the latest of
// those), or "" when no recorded run did (the outputs came from another
// store, or their runs were removed). A later run that changed some
// partitions also records the outputs it reused; the run that wrote the
// lock recorded them all.
func RunOf(storeDir, pipeline string, outputs map[string]bool) string {
	best, most := "", 0
	for _, id := range runDirs(storeDir, pipeline) { // oldest first: a tie goes to the later run
		seen := map[string]bool{}
		_ = readJSONL(filepath.Join(storeDir, "runs", id, "journal.jsonl"), func(line []byte) {
			var e struct {
				Output string `json:"output"`
			}
			if json.Unmarshal(line, &e) == nil && outputs[e.Output] {
				seen[e.Output] = true
			}
		})
		if len(seen) > 0 && len(seen) >= most {
			best, most = id, len(seen)
		}
	}
	return best
}
