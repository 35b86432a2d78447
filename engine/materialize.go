package engine

import (
	"errors"
	"fmt"
	"io/fs"
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
// paths it wrote: those that were absent and those that differed.
func (e *Engine) materialize(dataDir string, m, prev *store.Manifest) (writes, error) {
	var w writes
	keep := make(map[string]bool, len(m.Files))
	for _, f := range m.Files {
		keep[f.Path] = true
		if f.External != "" {
			continue
		}
		state, err := e.materializeFile(dataDir, f)
		if err != nil {
			return w, err
		}
		switch state {
		case FileMissing:
			w.created = append(w.created, f.Path)
		case FileModified:
			w.replaced = append(w.replaced, f.Path)
		}
	}
	if prev != nil {
		for _, f := range prev.Files {
			if f.External == "" && !keep[f.Path] {
				e.removeStale(dataDir, f)
			}
		}
	}
	return w, nil
}

// writes are the files materialize wrote: created were absent, replaced
// held other content.
type writes struct{ created, replaced []string }

// materializeFile writes f below dataDir unless it is there already; it
// returns what the file was before: "" (up to date, not written),
// FileMissing or FileModified.
func (e *Engine) materializeFile(dataDir string, f store.ManifestFile) (FileState, error) {
	abs := filepath.Join(dataDir, filepath.FromSlash(f.Path))
	state := FileModified
	if d, _, err := e.opt.Store.DigestPlaced(abs, f.Digest); err == nil && d == f.Digest {
		return "", nil
	} else if errors.Is(err, fs.ErrNotExist) {
		state = FileMissing
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		return "", fmt.Errorf("materialize %s: %w", f.Path, err)
	}
	if err := e.placeObject(f, abs); err != nil {
		if fi, serr := os.Lstat(abs); serr == nil && fi.IsDir() {
			// Never removed: it may hold the user's files.
			return "", fmt.Errorf("materialize %s: %s is a directory, where this output file belongs: move it away, and run again", f.Path, abs)
		}
		return "", fmt.Errorf("materialize %s: %w", f.Path, err)
	}
	return state, nil
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
