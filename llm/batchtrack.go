package llm

import (
	"slices"
	"strings"
	"sync"
	"time"
)

// BatchProgress is a provider batch in flight as its last poll saw it.
type BatchProgress struct {
	Model   string // model entry name
	ID      string // the provider's batch id
	Counts  BatchCounts
	Created time.Time
	ETA     time.Time
	Polled  time.Time
}

// batchTrack holds the batches a runtime is polling, for the progress
// display.
type batchTrack struct {
	mu sync.Mutex
	m  map[string]BatchProgress
}

func (t *batchTrack) set(p BatchProgress) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m == nil {
		t.m = map[string]BatchProgress{}
	}
	t.m[p.ID] = p
}

func (t *batchTrack) drop(id string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.m, id)
}

// BatchesInFlight returns the provider batches the runtime is waiting
// for, by batch id, as each was last polled.
func (r *Runtime) BatchesInFlight() []BatchProgress {
	r.inflight.mu.Lock()
	defer r.inflight.mu.Unlock()
	out := make([]BatchProgress, 0, len(r.inflight.m))
	for _, p := range r.inflight.m {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b BatchProgress) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// ledgerSaveEvery is how often a batch whose counts did not change is
// written back to its ledger entry, so "as last polled" stays recent.
const ledgerSaveEvery = time.Minute

// polled records one poll of e's batch: in the runtime's tracker for the
// progress display, and in the ledger entry (when the counts changed, or
// a minute after it was last written) for status and `sptflow batches`.
func (x *batchRun) polled(e *BatchEntry, st *BatchStatus) error {
	now := time.Now().UTC()
	if e.Created.IsZero() {
		e.Created = st.Created
	}
	if !st.Ended {
		x.c.rt.inflight.set(BatchProgress{Model: x.c.spec.Name, ID: e.BatchID, Counts: st.Counts,
			Created: st.Created, ETA: batchETA(st, now), Polled: now})
		if n, done := st.Counts.Total(), st.Counts.Total()-st.Counts.Processing; e.Counts == nil || *e.Counts != st.Counts {
			x.c.rt.cfg.Log.Info().Str("batch", e.BatchID).Int("done", done).Int("requests", n).
				Time("eta", batchETA(st, now)).Msg("batch in flight")
		}
	}
	if e.Counts != nil && *e.Counts == st.Counts && now.Sub(e.Polled) < ledgerSaveEvery {
		return nil
	}
	c := st.Counts
	e.Counts, e.Polled = &c, now
	return x.led.save(e)
}

// ETA is when the entry's batch is expected to end, extrapolated from
// its counts as last polled (the provider's deadline without progress;
// zero without a batch id).
func (e *BatchEntry) ETA(now time.Time) time.Time {
	if e.BatchID == "" {
		return time.Time{}
	}
	st := &BatchStatus{Created: e.Created, Expires: e.Expires}
	if e.Counts != nil {
		st.Counts = *e.Counts
		// Extrapolate to the time of the poll, not to now.
		now = e.Polled
	}
	return batchETA(st, now)
}
