package store

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/sptflow/sptflow/regfile"
)

// LockFileVersion is the format version written to sptflow.lock.
const LockFileVersion = 1

// LockEntry pins what produced one node partition.
type LockEntry struct {
	Key          string         `yaml:"key"`    // node key, hex
	Output       string         `yaml:"output"` // manifest digest, hex
	Produced     time.Time      `yaml:"produced"`
	ServedModels []string       `yaml:"served_models,omitempty,flow"`
	Usage        map[string]any `yaml:"usage,omitempty"` // tokens and cost
}

// LockFile is the content of sptflow.lock: pipeline name → partition id →
// entry.
//
// The store locks, reads and atomically replaces the file; its bytes are a
// LockCodec's (sptflow's is engine/lockyaml, a canonical YAML meant to be
// committed). The field tags name the file's keys for the codec.
type LockFile struct {
	Version   int                             `yaml:"version"`
	Pipelines map[string]map[string]LockEntry `yaml:"pipelines"`
	// Replicas records, per pipeline and partition, which draw of model
	// samples the partition holds when it is not what the pipeline file
	// says (see SetReplica). Written after `pipelines`, only when not empty.
	Replicas map[string]map[string]int `yaml:"replicas,omitempty"`
}

// LockCodec is the format of the lock file: it turns the file's bytes into
// a LockFile and back. Encode must be canonical (the same content always
// gives the same bytes): UpdateLockFile does not rewrite a file whose
// content did not change, and diffs of the file show only what changed.
type LockCodec interface {
	Decode(b []byte) (*LockFile, error)
	Encode(lf *LockFile) ([]byte, error)
}

// ReadLockFile reads a lock file in codec's format. A missing file is an
// empty LockFile.
func ReadLockFile(path string, codec LockCodec) (*LockFile, error) {
	b, err := regfile.Read(path, regfile.MaxLock)
	if errors.Is(err, os.ErrNotExist) {
		return &LockFile{Version: LockFileVersion, Pipelines: map[string]map[string]LockEntry{}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read lock file: %w", err)
	}
	return parseLockFile(path, b, codec)
}

func parseLockFile(path string, b []byte, codec LockCodec) (*LockFile, error) {
	lf, err := codec.Decode(b)
	if err != nil {
		return nil, fmt.Errorf("read lock file %s: %w", path, err)
	}
	if lf.Version == 0 && len(lf.Pipelines) == 0 {
		lf.Version = LockFileVersion
	}
	if lf.Version != LockFileVersion {
		return nil, fmt.Errorf("read lock file %s: version %d, this sptflow understands %d", path, lf.Version, LockFileVersion)
	}
	if lf.Pipelines == nil {
		lf.Pipelines = map[string]map[string]LockEntry{}
	}
	return lf, nil
}

// UpdateLockFile reads the lock file at path, applies fn and writes the
// result atomically in codec's format, all under an exclusive flock on the
// file's directory, so concurrent updates from several processes all land.
// Unchanged content is not rewritten.
func UpdateLockFile(path string, codec LockCodec, fn func(*LockFile) error) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("update lock file %s: %w", path, err)
	}
	unlockDir, err := lockDir(dir)
	if err != nil {
		return fmt.Errorf("update lock file %s: %w", path, err)
	}
	defer unlockDir()
	old, err := regfile.Read(path, regfile.MaxLock)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("update lock file: %w", err)
	}
	lf := &LockFile{Version: LockFileVersion, Pipelines: map[string]map[string]LockEntry{}}
	if old != nil {
		if lf, err = parseLockFile(path, old, codec); err != nil {
			return err
		}
	}
	if err := fn(lf); err != nil {
		return fmt.Errorf("update lock file %s: %w", path, err)
	}
	b, err := codec.Encode(lf)
	if err != nil {
		return fmt.Errorf("update lock file %s: %w", path, err)
	}
	if bytes.Equal(b, old) {
		return nil
	}
	return WriteFileAtomic(path, b, 0o644)
}

// lockDir takes an exclusive flock on a directory (the lock file itself is
// replaced by rename, so it cannot carry the lock).
func lockDir(dir string) (func(), error) {
	d, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	if err := lockWait(d); err != nil {
		d.Close()
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	return func() { _ = unlock(d); d.Close() }, nil
}
