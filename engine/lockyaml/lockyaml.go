// Package lockyaml is the format of sptflow.lock: YAML meant to be
// committed. A comment header, `version`, then `pipelines`, with pipelines
// and partitions sorted by name, one block per partition separated by a
// blank line, times in UTC; then, only when a partition holds other model
// samples than its pipeline file says, a `replicas` section. The same
// content always gives the same bytes, so diffs show only what changed.
//
// The store (engine/store) locks, reads and replaces the file through
// Codec; this package is where the lock file's YAML lives, so that neither
// the store nor the engine links a YAML library.
package lockyaml

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/sptflow/sptflow/engine/store"
)

// Codec reads and writes sptflow.lock as canonical YAML.
type Codec struct{}

var _ store.LockCodec = Codec{}

// Decode parses a lock file. Unknown keys are ignored; the store checks the
// version. Damage is a *store.LockDamage with the line: the first git merge
// conflict marker, or where YAML stopped.
func (Codec) Decode(b []byte) (*store.LockFile, error) {
	if line := firstConflictMarker(b); line > 0 {
		return nil, &store.LockDamage{Line: line, Conflict: true, Err: errConflict}
	}
	if lf, ok := decodeCanonical(b); ok { // fast.go
		return lf, nil
	}
	return decodeYAML(b)
}

// decodeYAML is Decode with yaml.v3, for any lock file without conflict
// markers.
func decodeYAML(b []byte) (*store.LockFile, error) {
	lf := &store.LockFile{}
	if err := yaml.Unmarshal(b, lf); err != nil {
		return nil, &store.LockDamage{Line: yamlErrorLine(err), Err: trimYAMLError(err)}
	}
	if err := checkEntries(b, lf); err != nil {
		return nil, err
	}
	return lf, nil
}

// checkEntries reports an entry that YAML reads but that is incomplete or
// not a digest (a truncated file, a flipped bit) as damage at its line.
func checkEntries(b []byte, lf *store.LockFile) error {
	for _, name := range sortedKeys(lf.Pipelines) {
		parts := lf.Pipelines[name]
		for _, id := range sortedKeys(parts) {
			e := parts[id]
			bad := ""
			switch {
			case !isHexDigest(e.Key):
				bad = "key: " + e.Key
			case !isHexDigest(e.Output):
				bad = "output: " + e.Output
			case e.Produced.IsZero():
				bad = "produced"
			default:
				continue
			}
			return &store.LockDamage{Line: entryLine(b, "    "+id+":", bad),
				Err: fmt.Errorf("pipeline %q: partition %q: %s: want a complete entry with digests", name, id, strings.TrimSuffix(bad, ": "))}
		}
	}
	return nil
}

// entryLine returns the 1-based line of the first "field" line after the
// partition line "head" in b (or of head itself, or 0).
func entryLine(b []byte, head, field string) int {
	i := bytes.Index(b, []byte("\n"+head))
	if i < 0 {
		return 0
	}
	line := bytes.Count(b[:i+1], []byte("\n")) + 1
	if j := bytes.Index(b[i+1:], []byte(field)); j >= 0 {
		return line + bytes.Count(b[i+1:i+1+j], []byte("\n"))
	}
	return line
}

const lockHeader = "# sptflow.lock: what produced each node partition (node key, output digest).\n" +
	"# Written by sptflow; commit it with your pipelines. Do not edit by hand.\n"

// Encode returns the lock file's canonical bytes (see the package doc).
func (Codec) Encode(lf *store.LockFile) ([]byte, error) {
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

func encodePipeline(buf *bytes.Buffer, name string, parts map[string]store.LockEntry) error {
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
func encodeEntry(buf *bytes.Buffer, id string, e store.LockEntry) error {
	if _, err := yamlKey(id); err != nil {
		return err
	}
	e.Produced = e.Produced.UTC()
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(map[string]store.LockEntry{id: e}); err != nil {
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
