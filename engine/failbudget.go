package engine

import (
	"fmt"

	"github.com/sptflow/sptflow/engine/store"
)

// metaFailedRows is the manifest metadata key of a partition sealed with
// failed rows (a failure budget, with.max_failed_rows): its output stands
// (dependents run on it) but is not final, and the next run executes the
// partition again under the same node key, asking only the failed rows
// again.
const metaFailedRows = "failed_rows"

// SealWithFailedRows says that the partition's output, though complete
// enough to seal, holds n failed rows (error records, or rows left out)
// within the node's failure budget: the engine seals it, runs its
// dependents, records n in the manifest and executes the partition again
// on the next run. A step whose failed rows exceed its budget returns an
// error instead. Call it from the goroutine that runs the step, before Run
// returns.
func (t *Task) SealWithFailedRows(n int) { t.failedRows = n }

// SealedFailedRows is what the step said through SealWithFailedRows.
func (t *Task) SealedFailedRows() int { return t.failedRows }

// withFailedRows adds n failed rows to manifest metadata.
func withFailedRows(meta map[string]any, n int) map[string]any {
	if n <= 0 {
		return meta
	}
	if meta == nil {
		meta = map[string]any{}
	}
	meta[metaFailedRows] = n
	return meta
}

// ManifestFailedRows returns the failed rows a sealed output was sealed
// with (0 for a final output).
func ManifestFailedRows(m *store.Manifest) int {
	if m == nil {
		return 0
	}
	switch v := m.Meta[metaFailedRows].(type) {
	case int:
		return v
	case int64:
		return int(v)
	case float64:
		return int(v)
	}
	return 0
}

// FailedRowsText describes a partition sealed with n failed rows.
func FailedRowsText(n int) string {
	if n == 1 {
		return "1 failed row (will retry)"
	}
	return fmt.Sprintf("%d failed rows (will retry)", n)
}

// sealedDuringRun reports whether m was sealed after this run started: by
// another process, whose lease this run waited for. Its failed rows were
// just asked again, so this run takes the output as it is rather than pay
// for them twice.
func (r *run) sealedDuringRun(m *store.Manifest) bool { return m.Produced.After(r.start) }

// WillRun reports whether a run would execute the partition: it is not up
// to date, it was sealed with failed rows, or it is forced.
func (st *PartitionStatus) WillRun() bool {
	return st.State != UpToDate || st.FailedRows > 0 || st.Forced
}
