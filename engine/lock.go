package engine

import (
	"time"

	"github.com/sptflow/sptflow/engine/store"
)

// recordLock pins partition n's sealed output in the lock file, with the
// usage and served models its manifest recorded (also when the output was
// reused rather than produced by this run). Nothing is written when the
// entry already records this key and output and the partition was not
// executed, so a no-op run leaves the file untouched.
func (e *Engine) recordLock(n *node, s sealed, old store.LockEntry, executed bool) error {
	if e.opt.LockPath == "" {
		return nil
	}
	if old.Key == s.key.String() && old.Output == s.digest.String() && !executed {
		return nil
	}
	entry := store.LockEntry{Key: s.key.String(), Output: s.digest.String(), Produced: s.m.Produced.UTC().Truncate(time.Second),
		ServedModels: servedModels(s.m.Meta)}
	if u, ok := s.m.Meta["usage"].(map[string]any); ok {
		entry.Usage = u
	}
	return store.UpdateLockFile(e.opt.LockPath, e.opt.LockCodec, func(lf *store.LockFile) error {
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
