package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/sptflow/sptflow/regfile"
)

// BatchDir is the write-ahead ledger of provider batches
// (.sptflow/batches/<name>.json): one small JSON document per batch in
// flight, each written atomically and durably (llm.BatchFiles). An entry
// stands for requests that may be paid for: it is removed only once every
// result is in the request store.
type BatchDir struct{ dir string }

// BatchesDir is the ledger's directory below the store root.
const BatchesDir = "batches"

// Batches returns the batch ledger of the store rooted at root.
func Batches(root string) *BatchDir { return &BatchDir{dir: filepath.Join(root, BatchesDir)} }

// Put writes the entry called name atomically and durably.
func (d *BatchDir) Put(name string, data []byte) error {
	if err := checkBatchName(name); err != nil {
		return err
	}
	return WriteFileAtomic(filepath.Join(d.dir, name+".json"), data, 0o644)
}

// Path returns the file of the entry called name (for messages).
func (d *BatchDir) Path(name string) string { return filepath.Join(d.dir, name+".json") }

// Remove deletes the entry called name (a missing one is no error) and
// syncs the directory.
func (d *BatchDir) Remove(name string) error {
	if err := checkBatchName(name); err != nil {
		return err
	}
	err := os.Remove(filepath.Join(d.dir, name+".json"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove batch entry %s: %w", name, err)
	}
	return SyncDir(d.dir)
}

// All returns every entry by name; temp files of killed writers are
// skipped.
func (d *BatchDir) All() (map[string][]byte, error) {
	ents, err := os.ReadDir(d.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read batch ledger: %w", err)
	}
	out := map[string][]byte{}
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || IsTemp(e.Name()) || !e.Type().IsRegular() {
			continue
		}
		data, err := regfile.Read(filepath.Join(d.dir, e.Name()), 0) // never blocks on a FIFO swapped in
		if err != nil {
			return nil, fmt.Errorf("read batch entry %s: %w", name, err)
		}
		out[name] = data
	}
	return out, nil
}

func checkBatchName(name string) error {
	if name == "" || strings.ContainsAny(name, "/\\.") {
		return fmt.Errorf("batch entry name %q: want a plain name", name)
	}
	return nil
}
