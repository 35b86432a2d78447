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

// LockDamage reports a lock file that did not read whole: a bit flip, a
// truncation, unresolved git merge conflict markers, an unknown version.
type LockDamage struct {
	Path     string
	Line     int  // 1-based line of the damage; 0 when unknown
	Conflict bool // git merge conflict markers (Line is the first one)
	Err      error
}

func (d *LockDamage) Error() string {
	name := filepath.Base(d.Path)
	switch {
	case d.Conflict:
		return fmt.Sprintf("%s has unresolved merge conflict markers at line %d", name, d.Line)
	case d.Line > 0:
		return fmt.Sprintf("%s is damaged at line %d: %v", name, d.Line, d.Err)
	}
	return fmt.Sprintf("%s is damaged: %v", name, d.Err)
}

func (d *LockDamage) Unwrap() error { return d.Err }

// LockSalvager is implemented by a LockCodec that can read the intact parts
// of a damaged file.
type LockSalvager interface {
	// Salvage returns the pipelines' entries and the replica records of b
	// that read on their own and are complete (possibly none).
	Salvage(b []byte) *LockFile
}

// ReadLockFile reads a lock file in codec's format. A missing file is an
// empty LockFile. A file that does not decode is a *LockDamage error; see
// LoadLockFile to read what is left of it.
func ReadLockFile(path string, codec LockCodec) (*LockFile, error) {
	lf, dmg, err := LoadLockFile(path, codec)
	if err != nil {
		return nil, err
	}
	if dmg != nil {
		return nil, dmg
	}
	return lf, nil
}

// LoadLockFile reads a lock file like ReadLockFile, but damage is not an
// error: it returns what the codec salvages (nothing unless it is a
// LockSalvager) and the damage. The error is for a file that cannot be
// read at all (permissions, a directory).
func LoadLockFile(path string, codec LockCodec) (*LockFile, *LockDamage, error) {
	b, err := regfile.Read(path, regfile.MaxLock)
	if errors.Is(err, os.ErrNotExist) {
		return emptyLockFile(), nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read lock file: %w", err)
	}
	lf, dmg := parseLockFile(path, b, codec)
	return lf, dmg, nil
}

// ParseLockFile decodes the bytes of a lock file read elsewhere (`git show
// rev:sptflow.lock`); name stands for its path in messages. Damage is a
// *LockDamage error.
func ParseLockFile(name string, b []byte, codec LockCodec) (*LockFile, error) {
	lf, dmg := parseLockFile(name, b, codec)
	if dmg != nil {
		return nil, dmg
	}
	return lf, nil
}

func emptyLockFile() *LockFile {
	return &LockFile{Version: LockFileVersion, Pipelines: map[string]map[string]LockEntry{}}
}

// parseLockFile decodes b; on damage it returns the salvaged content.
func parseLockFile(path string, b []byte, codec LockCodec) (*LockFile, *LockDamage) {
	lf, err := codec.Decode(b)
	if err == nil {
		if lf.Version == 0 && len(lf.Pipelines) == 0 {
			lf.Version = LockFileVersion
		}
		if lf.Version != LockFileVersion {
			err = fmt.Errorf("version %d, this sptflow understands %d", lf.Version, LockFileVersion)
		}
	}
	if err == nil {
		if lf.Pipelines == nil {
			lf.Pipelines = map[string]map[string]LockEntry{}
		}
		return lf, nil
	}
	dmg := &LockDamage{}
	if !errors.As(err, &dmg) {
		dmg = &LockDamage{Err: err}
	}
	dmg.Path = path
	lf = emptyLockFile()
	if s, ok := codec.(LockSalvager); ok {
		if got := s.Salvage(b); got != nil {
			lf.Pipelines, lf.Replicas = got.Pipelines, got.Replicas
			if lf.Pipelines == nil {
				lf.Pipelines = map[string]map[string]LockEntry{}
			}
		}
	}
	return lf, dmg
}

// UpdateLockFile reads the lock file at path, applies fn and writes the
// result atomically in codec's format, all under an exclusive flock on the
// file's directory, so concurrent updates from several processes all land.
// Unchanged content is not rewritten. A damaged file is replaced: fn gets
// what the codec salvaged from it (see LoadLockFile).
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
		return fmt.Errorf("update lock file %s: %w", path, err)
	}
	lf := emptyLockFile()
	if old != nil {
		lf, _ = parseLockFile(path, old, codec)
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
