package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/sptflow/sptflow/engine/store"
)

// State is a partition's state against the store.
type State string

// Partition states.
const (
	UpToDate State = "up-to-date" // a sealed output exists for its current key
	Stale    State = "stale"      // produced before, but something it depends on changed
	Missing  State = "missing"    // never produced (or its output is gone from the store)
)

// PartitionStatus is the state of one partition and why.
type PartitionStatus struct {
	ID    PartitionID
	Node  string
	Kind  string
	State State
	// Key is the current node key; zero when an upstream is not up to date
	// (the key depends on that upstream's future output).
	Key NodeKey
	// Output is the sealed output's manifest digest when up to date, and
	// Content its content digest (what dependents' keys hash).
	Output, Content Digest
	// Reasons say why the partition is stale or missing, in words.
	Reasons []string
	// Changes are the key components that differ from the key recorded in
	// the lock file.
	Changes []Change
	// Estimate is what running it would cost (see Engine.Estimate); nil
	// before Estimate or when it could not be priced, then EstimateErr
	// says why.
	Estimate    *Estimate
	EstimateErr error
	// Disk lists the materialized files of an up-to-date partition that
	// do not match its sealed output (modified, missing, foreign); run
	// restores them.
	Disk []FileCheck
	// FailedRows are the failed rows an up-to-date output was sealed with
	// (a failure budget); the next run executes it again for them.
	FailedRows int
	// Remote says the up-to-date output is sealed in the shared store
	// only (Options.Shared); run pulls it.
	Remote bool
	// Forced marks a partition a run executes although it is up to date
	// (run --force on its target, in the shard that owns it): it will run,
	// and is priced. The caller sets it; Status never does.
	Forced bool
	// Unwritten says that none of the up-to-date output's files is in the
	// data directory (a store pulled or shared, a clone's first status, the
	// files deleted): Disk lists every one as missing, and run writes them.
	Unwritten bool
	// Problems are the partition's input problems (also in Reasons): a
	// run fails it with them until they are mended.
	Problems []string

	manifest *store.Manifest // the sealed output, when up to date
}

// Status computes every partition's state, in topological order. It reads
// the store and the lock file and never writes data.
func (e *Engine) Status(ctx context.Context) ([]PartitionStatus, error) {
	return e.statusIn(ctx, nil)
}

// StatusOf is Status of the partitions ids and everything they need,
// transitively: it reads (and digests) the inputs of those partitions only.
func (e *Engine) StatusOf(ctx context.Context, ids []PartitionID) ([]PartitionStatus, error) {
	return e.statusIn(ctx, e.closure(ids))
}

// statusIn is Status of the partitions in (all when in is nil).
func (e *Engine) statusIn(ctx context.Context, in map[PartitionID]bool) ([]PartitionStatus, error) {
	lock, err := e.readLock()
	if err != nil {
		return nil, err
	}
	e.logStoreWarnings()
	out := make([]PartitionStatus, 0, len(e.order))
	known := map[PartitionID]PartitionStatus{}
	for _, id := range e.order {
		if in != nil && !in[id] {
			continue
		}
		st, err := e.status(ctx, id, lock, known)
		if err != nil {
			return nil, err
		}
		known[id] = st
		out = append(out, st)
	}
	e.checkDisk(out)
	e.logStoreWarnings() // inputs are digested lazily: the stat cache may load only now
	return out, nil
}

// status evaluates one partition given the status of its needs.
func (e *Engine) status(ctx context.Context, id PartitionID, lock map[string]store.LockEntry, known map[PartitionID]PartitionStatus) (PartitionStatus, error) {
	n := e.nodes[id]
	st := PartitionStatus{ID: id, Node: n.spec.Node, Kind: n.spec.Kind}
	entry, inLock := lock[string(id)]
	if err := n.inputProblems(); err != nil {
		st.State, st.Reasons = Missing, problemList(err)
		st.Problems = st.Reasons
		if inLock {
			st.State = Stale
		}
		return st, nil
	}
	var notReady []string
	for _, u := range e.g.Needs[id] {
		if us := known[u]; us.State != UpToDate {
			notReady = append(notReady, fmt.Sprintf("upstream %s is %s", u, us.State))
		}
	}
	if len(notReady) > 0 {
		st.State, st.Reasons = Missing, notReady
		if inLock {
			st.State = Stale
		}
		return st, nil
	}
	desc, _, err := e.key(n, func(u PartitionID) (Digest, bool) { return known[u].Content, true })
	if err != nil {
		return st, err
	}
	st.Key = desc.Key()
	if m, d, err := e.opt.Store.GetManifest(st.Key); err == nil {
		st.State, st.Output, st.Content, st.manifest = UpToDate, d, ContentDigest(m.Files), m
		st.FailedRows = ManifestFailedRows(m)
		return st, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		// Unreadable (a permission, an I/O error): this partition's
		// problem, which run meets by running it again, not the command's.
		st.State, st.Reasons = Missing, []string{fmt.Sprintf("stored output unreadable (%v); run re-runs it", err)}
		if inLock {
			st.State = Stale
		}
		return st, nil
	}
	if e.sharedStatus(ctx, &st) {
		return st, nil
	}
	e.explain(&st, desc, entry, inLock)
	return st, nil
}

// explain fills the reasons of a partition without a sealed output for its
// current key, comparing with the key the lock file recorded.
func (e *Engine) explain(st *PartitionStatus, desc KeyDesc, entry store.LockEntry, inLock bool) {
	st.State = Missing
	switch {
	case !inLock:
		st.Reasons = []string{"never produced"}
		return
	case entry.Key == st.Key.String():
		if _, err := e.keyInfo(entry.Key); err != nil {
			// Sealing stores the key's components: this store never had it.
			st.Reasons = []string{"the lock pins an output this store never had (a fresh clone, or another SPTFLOW_HOME): run makes it (from the request store, if it holds the responses), or sptflow store pull brings it from a remote store"}
			return
		}
		st.Reasons = []string{"output no longer in the store"}
		return
	}
	st.State = Stale
	old, err := e.keyInfo(entry.Key)
	if err != nil {
		st.Reasons = []string{fmt.Sprintf("node key changed (%s → %s; the old key's components are not in the store)", short(entry.Key), st.Key.Short())}
		return
	}
	st.Changes = Diff(old, desc)
	for _, c := range st.Changes {
		st.Reasons = append(st.Reasons, c.String())
	}
}

func short(hex string) string {
	if len(hex) > 12 {
		return hex[:12]
	}
	return hex
}

// keyInfo reads the stored components of a hex node key.
func (e *Engine) keyInfo(hex string) (KeyDesc, error) { return storedKeyDesc(e.opt.Store, hex) }
