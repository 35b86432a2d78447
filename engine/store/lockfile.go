package store

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

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
// The file is YAML meant to be committed: a comment header, `version`, then
// `pipelines`, with pipelines and partitions sorted by name, one block per
// partition separated by a blank line, times in UTC. The same content
// always gives the same bytes, so diffs show only what changed.
type LockFile struct {
	Version   int                             `yaml:"version"`
	Pipelines map[string]map[string]LockEntry `yaml:"pipelines"`
	// Replicas records, per pipeline and partition, which draw of model
	// samples the partition holds when it is not what the pipeline file
	// says (see SetReplica). Written after `pipelines`, only when not empty.
	Replicas map[string]map[string]int `yaml:"replicas,omitempty"`
}

const lockHeader = "# sptflow.lock: what produced each node partition (node key, output digest).\n" +
	"# Written by sptflow; commit it with your pipelines. Do not edit by hand.\n"

// ReadLockFile reads a lock file. A missing file is an empty LockFile.
func ReadLockFile(path string) (*LockFile, error) {
	b, err := regfile.Read(path, regfile.MaxLock)
	if errors.Is(err, os.ErrNotExist) {
		return &LockFile{Version: LockFileVersion, Pipelines: map[string]map[string]LockEntry{}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read lock file: %w", err)
	}
	return parseLockFile(path, b)
}

func parseLockFile(path string, b []byte) (*LockFile, error) {
	lf := &LockFile{}
	if err := yaml.Unmarshal(b, lf); err != nil {
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
// result atomically, all under an exclusive flock on the file's directory,
// so concurrent updates from several processes all land. Unchanged content
// is not rewritten.
func UpdateLockFile(path string, fn func(*LockFile) error) error {
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
		if lf, err = parseLockFile(path, old); err != nil {
			return err
		}
	}
	if err := fn(lf); err != nil {
		return fmt.Errorf("update lock file %s: %w", path, err)
	}
	b, err := lf.Encode()
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

// Encode returns the lock file's canonical bytes (see LockFile).
func (lf *LockFile) Encode() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(lockHeader)
	fmt.Fprintf(&buf, "version: %d\n", lf.Version)
	if len(lf.Pipelines) == 0 {
		buf.WriteString("pipelines: {}\n")
	} else {
		buf.WriteString("pipelines:\n")
	}
	for i, name := range sortedKeys(lf.Pipelines) {
		if i > 0 {
			buf.WriteString("\n")
		}
		if err := encodePipeline(&buf, name, lf.Pipelines[name]); err != nil {
			return nil, err
		}
	}
	if err := encodeReplicas(&buf, lf.Replicas); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func encodePipeline(buf *bytes.Buffer, name string, parts map[string]LockEntry) error {
	k, err := yamlKey(name)
	if err != nil {
		return fmt.Errorf("pipeline %q: %w", name, err)
	}
	if len(parts) == 0 {
		fmt.Fprintf(buf, "  %s: {}\n", k)
		return nil
	}
	fmt.Fprintf(buf, "  %s:\n", k)
	for i, id := range sortedKeys(parts) {
		if i > 0 {
			buf.WriteString("\n")
		}
		if err := encodeEntry(buf, id, parts[id]); err != nil {
			return fmt.Errorf("pipeline %q: partition %q: %w", name, id, err)
		}
	}
	return nil
}

// encodeEntry writes one partition block, indented under its pipeline.
func encodeEntry(buf *bytes.Buffer, id string, e LockEntry) error {
	if _, err := yamlKey(id); err != nil {
		return err
	}
	e.Produced = e.Produced.UTC()
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(map[string]LockEntry{id: e}); err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	for line := range strings.Lines(b.String()) {
		buf.WriteString("    ")
		buf.WriteString(line)
	}
	return nil
}

// yamlKey returns name as a YAML scalar, quoted if needed.
func yamlKey(name string) (string, error) {
	if name == "" || strings.ContainsAny(name, "\n\r") {
		return "", fmt.Errorf("invalid name %q", name)
	}
	b, err := yaml.Marshal(name)
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(string(b), "\n"), nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
