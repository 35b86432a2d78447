package engine

import (
	"context"
	"maps"
	"os"
	"sync"
	"time"

	"github.com/sptflow/sptflow/engine/store"
)

// lockState is what an engine remembers about its lock file.
type lockState struct {
	warned sync.Once // damage is reported once per engine

	mu     sync.Mutex
	fi     os.FileInfo     // the file last read, if intact
	parsed *store.LockFile // its content
}

// lockBatch collects a run's lock entries; the run writes them to the lock
// file at once when it ends (also when interrupted), so the file is
// rewritten once per run, not once per partition. A run killed before
// that loses only entries the next run (or readLock's rebuild) restores
// from the store's manifests.
type lockBatch struct {
	mu      sync.Mutex
	entries map[string]store.LockEntry
}

// recordLock pins partition n's sealed output in the run's lock entries,
// with the usage and served models its manifest recorded (also when the
// output was reused rather than produced by this run). Nothing is recorded
// when the lock file already has this key and output and the partition
// was not executed, so a no-op run leaves the file untouched.
func (r *run) recordLock(n *node, s sealed, executed bool) error {
	if r.e.opt.LockPath == "" {
		return nil
	}
	old := r.lockOld[string(n.spec.ID)]
	if old.Key == s.key.String() && old.Output == s.digest.String() && !executed {
		return nil
	}
	b := &r.lockNew
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.entries == nil {
		b.entries = map[string]store.LockEntry{}
	}
	b.entries[string(n.spec.ID)] = lockEntry(s.key, s.digest, s.m)
	return nil
}

// flushLock writes the run's lock entries in one atomic update. A failure
// is a warning: the outputs are sealed, and the next run records them.
func (r *run) flushLock() {
	b := &r.lockNew
	b.mu.Lock()
	entries := maps.Clone(b.entries)
	b.mu.Unlock()
	if len(entries) == 0 {
		return
	}
	name := r.e.g.Name
	err := store.UpdateLockFile(r.e.opt.LockPath, r.e.opt.LockCodec, func(lf *store.LockFile) error {
		if lf.Pipelines[name] == nil {
			lf.Pipelines[name] = map[string]store.LockEntry{}
		}
		maps.Copy(lf.Pipelines[name], entries)
		return nil
	})
	if err != nil {
		r.e.opt.Log.Warn().Err(err).Int("partitions", len(entries)).
			Msg("lock file not updated; the next run records these partitions")
	}
}

// lockEntry is the lock entry of a sealed output: its key, manifest digest,
// time, served models and usage.
func lockEntry(key NodeKey, digest Digest, m *store.Manifest) store.LockEntry {
	entry := store.LockEntry{Key: key.String(), Output: digest.String(), Produced: m.Produced.UTC().Truncate(time.Second),
		ServedModels: servedModels(m.Meta)}
	if u, ok := m.Meta["usage"].(map[string]any); ok {
		entry.Usage = u
	}
	return entry
}

// loadLockFile reads the lock file. Damage is a warning (once per engine),
// and what is left of the file is returned with damaged set.
func (e *Engine) loadLockFile() (lf *store.LockFile, damaged bool, err error) {
	if lf := e.lock.cached(e.opt.LockPath); lf != nil {
		return lf, false, nil
	}
	fi, _ := os.Stat(e.opt.LockPath)
	lf, dmg, err := store.LoadLockFile(e.opt.LockPath, e.opt.LockCodec)
	if err != nil {
		return nil, false, err
	}
	if dmg == nil {
		e.lock.remember(fi, lf)
	}
	if dmg != nil {
		e.lock.warned.Do(func() { e.opt.Log.Warn().Msg(dmg.Error() + "; rebuilding it") })
	}
	return lf, dmg != nil, nil
}

// cached returns the lock file last read when the file at path is still
// that one (it is only ever replaced by rename, so a rewrite changes the
// inode), or nil. Callers must not modify it.
func (s *lockState) cached(path string) *store.LockFile {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fi == nil {
		return nil
	}
	fi, err := os.Stat(path)
	if err != nil || !os.SameFile(fi, s.fi) || fi.Size() != s.fi.Size() || !fi.ModTime().Equal(s.fi.ModTime()) {
		return nil
	}
	return s.parsed
}

func (s *lockState) remember(fi os.FileInfo, lf *store.LockFile) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fi, s.parsed = fi, lf
}

// readLock returns this pipeline's lock entries. A damaged lock file is
// rebuilt (see rebuildLock) rather than an error.
func (e *Engine) readLock() (map[string]store.LockEntry, error) {
	if e.opt.LockPath == "" {
		return nil, nil
	}
	lf, damaged, err := e.loadLockFile()
	if err != nil {
		return nil, err
	}
	if !damaged {
		return lf.Pipelines[e.g.Name], nil
	}
	return e.rebuildLock(lf.Pipelines[e.g.Name])
}

// rebuildLock rebuilds this pipeline's entries of a damaged lock file from
// the store: it recomputes the current node keys, and every partition
// whose current key has a sealed manifest gets its entry from it; the
// entries salvaged from the file are kept for the others (their old key
// still explains why they are stale). The rebuilt file keeps the other
// pipelines' entries and the replica records that were salvaged. Failing
// to write it is a warning: the entries are returned all the same.
func (e *Engine) rebuildLock(salvaged map[string]store.LockEntry) (map[string]store.LockEntry, error) {
	entries := maps.Clone(salvaged)
	if entries == nil {
		entries = map[string]store.LockEntry{}
	}
	known := map[PartitionID]PartitionStatus{}
	for _, id := range e.order {
		st, err := e.status(context.Background(), id, salvaged, known)
		if err != nil {
			return nil, err
		}
		known[id] = st
		if st.State == UpToDate && st.manifest != nil {
			entries[string(id)] = lockEntry(st.Key, st.Output, st.manifest)
		}
	}
	err := store.UpdateLockFile(e.opt.LockPath, e.opt.LockCodec, func(lf *store.LockFile) error {
		lf.Pipelines[e.g.Name] = entries
		return nil
	})
	if err != nil {
		e.opt.Log.Warn().Err(err).Msg("rebuilt lock file not written")
	}
	return entries, nil
}

// servedModels reads the served models usageMap put into a manifest's
// metadata: a []string in memory, a []any once read back from the store.
func servedModels(meta map[string]any) []string {
	switch v := meta["served_models"].(type) {
	case []string:
		return v
	case []any:
		out := make([]string, 0, len(v))
		for _, m := range v {
			if s, ok := m.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
