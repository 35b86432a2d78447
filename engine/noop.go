package engine

import (
	"context"
	"slices"
)

// A run whose every planned partition is up to date, with its materialized
// files in place, no failed rows, nothing forced and the lock file already
// recording that output (a planned no-op) executes, writes and restores
// nothing. The caller that decided so from the statuses it computed just
// before (RunConfig.Verified: `sptflow run` computes them once, for its
// plan, its estimate and the no-op decision) lets the run reuse those
// outputs as Status found them: Status read and verified each manifest and
// checked each stored file and each materialized file moments ago, in
// this process, so the run does not read the manifest pointers, stat the
// objects and digest the materialized files a second time. A change in
// between is one made just after the run's own check would have been.
// The run still computes every key (a key that differs from the status's
// falls back to the full check), restores key components
// (EnsureKeyInfo), records the lock (nothing to record) and removes
// leftovers as any run. With a shared store the statuses are not used:
// reusing an output there also publishes it when the shared store lacks
// it, which Status does not check.

// verifiedNoOp returns the statuses of ids from r.cfg.Verified when they
// make this run a no-op, else nil.
func (r *run) verifiedNoOp(ids []PartitionID) map[PartitionID]PartitionStatus {
	cfg := r.cfg
	if len(cfg.Verified) == 0 || len(ids) == 0 || cfg.Force || cfg.Only || cfg.Resample != nil || cfg.Shard.sharded() {
		return nil
	}
	if r.e.opt.Shared != nil {
		return nil // reuse also publishes what the shared store lacks (sharedManifest)
	}
	byID := make(map[PartitionID]PartitionStatus, len(cfg.Verified))
	for _, st := range cfg.Verified {
		byID[st.ID] = st
	}
	out := make(map[PartitionID]PartitionStatus, len(ids))
	for _, id := range ids {
		st, ok := byID[id]
		if !ok || !r.noOpStatus(st) {
			return nil
		}
		out[id] = st
	}
	return out
}

// noOpStatus reports whether a run has nothing to do for st's partition:
// up to date in the local store, every materialized file in place, no
// failed rows to ask again, and the lock file's entry already this output
// (so nothing is recorded and no previous output's files are removed).
func (r *run) noOpStatus(st PartitionStatus) bool {
	if st.State != UpToDate || st.manifest == nil || len(st.Disk) > 0 || st.FailedRows > 0 || st.Remote {
		return false
	}
	if r.e.opt.LockPath == "" {
		return true
	}
	old, ok := r.lockOld[string(st.ID)]
	return ok && old.Key == st.Key.String() && old.Output == st.Output.String()
}

// reuseVerified is reuse for a partition of a planned no-op whose key is
// the one Status verified.
func (r *run) reuseVerified(n *node, res *PartitionResult) bool {
	st, ok := r.verified[n.spec.ID]
	if !ok || st.Key != res.Key {
		return false
	}
	m := *st.manifest
	m.Files = slices.Clone(m.Files)
	res.Outcome, res.Output = Cached, st.Output
	r.mu.Lock()
	r.outputs[n.spec.ID] = sealed{key: res.Key, digest: st.Output, m: &m}
	r.mu.Unlock()
	return true
}

// verifiedOutput reports whether s is the output Status verified for n,
// materialized files included.
func (r *run) verifiedOutput(n *node, s sealed) bool {
	st, ok := r.verified[n.spec.ID]
	return ok && st.Key == s.key && st.Output == s.digest
}

// walkInline is walk for a planned no-op: ids (in topological order) are
// visited one after the other in the calling goroutine, which has no
// partition to wait for, instead of a goroutine each. Goroutines handed
// from thread to thread cost a no-op more CPU than its visits (the
// scheduler's spinning threads). A partition whose needs failed is not
// visited, as in walk.
func walkInline(ctx context.Context, ids []PartitionID, needs map[PartitionID][]PartitionID, visit func(context.Context, PartitionID) error) map[PartitionID]error {
	in := make(map[PartitionID]bool, len(ids))
	for _, id := range ids {
		in[id] = true
	}
	out := make(map[PartitionID]error, len(ids))
	for _, id := range ids {
		if src := failedSource(id, needs[id], in, out); src != "" {
			out[id] = &SkippedError{Upstream: src}
			continue
		}
		out[id] = visit(ctx, id)
	}
	return out
}
