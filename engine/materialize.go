package engine

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/sptflow/sptflow/engine/store"
)

// materialize places m's stored files below dataDir atomically (linked to
// the store where possible, see placeObject),
// skipping files whose current content already matches (checked through the
// stat cache), and removes files that prev (this partition's previous
// output) materialized but m no longer has, if they were not modified since.
// Referenced (external) files are never materialized. It returns the
// paths it wrote.
func (e *Engine) materialize(dataDir string, m, prev *store.Manifest) ([]string, error) {
	var written []string
	keep := make(map[string]bool, len(m.Files))
	for _, f := range m.Files {
		keep[f.Path] = true
		if f.External != "" {
			continue
		}
		w, err := e.materializeFile(dataDir, f)
		if err != nil {
			return written, err
		}
		if w {
			written = append(written, f.Path)
		}
	}
	if prev != nil {
		for _, f := range prev.Files {
			if f.External == "" && !keep[f.Path] {
				e.removeStale(dataDir, f)
			}
		}
	}
	return written, nil
}

func (e *Engine) materializeFile(dataDir string, f store.ManifestFile) (bool, error) {
	abs := filepath.Join(dataDir, filepath.FromSlash(f.Path))
	if d, _, err := e.opt.Store.DigestFile(abs); err == nil && d == f.Digest {
		return false, nil
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		return false, fmt.Errorf("materialize %s: %w", f.Path, err)
	}
	if err := e.placeObject(f, abs); err != nil {
		return false, fmt.Errorf("materialize %s: %w", f.Path, err)
	}
	return true, nil
}

// removeStale removes a file a previous output materialized, unless someone
// changed it since.
func (e *Engine) removeStale(dataDir string, f store.ManifestFile) {
	abs := filepath.Join(dataDir, filepath.FromSlash(f.Path))
	if d, _, err := e.opt.Store.DigestFile(abs); err != nil || d != f.Digest {
		return
	}
	if err := os.Remove(abs); err == nil {
		e.opt.Log.Debug().Str("file", f.Path).Msg("removed output no longer produced")
	}
}
