package engine

import (
	"time"

	"github.com/sptflow/sptflow/engine/store"
)

// recordLock pins partition n's sealed output in the lock file. Nothing is
// written when the entry already records this key and output, so a no-op
// run leaves the file untouched.
func (e *Engine) recordLock(n *node, s sealed, old store.LockEntry, usage *Usage) error {
	if e.opt.LockPath == "" {
		return nil
	}
	if old.Key == s.key.String() && old.Output == s.digest.String() && usage == nil {
		return nil
	}
	entry := store.LockEntry{Key: s.key.String(), Output: s.digest.String(), Produced: s.m.Produced.UTC().Truncate(time.Second)}
	if u, ok := s.m.Meta["usage"].(map[string]any); ok {
		entry.Usage = u
	}
	if usage != nil {
		entry.ServedModels = usage.ServedModels
	}
	return store.UpdateLockFile(e.opt.LockPath, func(lf *store.LockFile) error {
		if lf.Pipelines == nil {
			lf.Pipelines = map[string]map[string]store.LockEntry{}
		}
		if lf.Pipelines[e.g.Name] == nil {
			lf.Pipelines[e.g.Name] = map[string]store.LockEntry{}
		}
		lf.Pipelines[e.g.Name][string(n.spec.ID)] = entry
		return nil
	})
}
