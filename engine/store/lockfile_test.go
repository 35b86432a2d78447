package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestReadLockFileMissing(t *testing.T) {
	lf, err := ReadLockFile(filepath.Join(t.TempDir(), "sptflow.lock"), jsonLockCodec{})
	if err != nil {
		t.Fatal(err)
	}
	if lf.Version != LockFileVersion || lf.Pipelines == nil || len(lf.Pipelines) != 0 {
		t.Fatalf("got %+v, want an empty version-%d lock file", lf, LockFileVersion)
	}
}

func sampleEntry(n string) LockEntry {
	return LockEntry{
		Key:          DigestOf([]byte("key" + n)).String(),
		Output:       DigestOf([]byte("out" + n)).String(),
		Produced:     time.Date(2025, 1, 2, 3, 4, 5, 0, time.FixedZone("CET", 3600)),
		ServedModels: []string{"claude-sonnet-4-5-20250929"},
		Usage:        map[string]any{"input_tokens": 1200, "cost_usd": 0.25},
	}
}

func TestUpdateLockFileUnchangedNotRewritten(t *testing.T) {
	p := filepath.Join(t.TempDir(), "sptflow.lock")
	set := func(lf *LockFile) error {
		lf.Pipelines["p"] = map[string]LockEntry{"a": sampleEntry("a")}
		return nil
	}
	if err := UpdateLockFile(p, jsonLockCodec{}, set); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	os.Chtimes(p, old, old)
	fi1, _ := os.Stat(p)
	if err := UpdateLockFile(p, jsonLockCodec{}, set); err != nil {
		t.Fatal(err)
	}
	fi2, _ := os.Stat(p)
	if !os.SameFile(fi1, fi2) || !fi2.ModTime().Equal(old) {
		t.Fatal("unchanged lock file was rewritten")
	}
}

func TestUpdateLockFileErrors(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "sptflow.lock")
	boom := errors.New("boom")
	if err := UpdateLockFile(p, jsonLockCodec{}, func(*LockFile) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("got %v, want boom", err)
	}
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Fatal("failed update wrote the file")
	}
	os.WriteFile(p, []byte(`{"Version": 99}`), 0o644)
	if _, err := ReadLockFile(p, jsonLockCodec{}); err == nil || !strings.Contains(err.Error(), "version 99") {
		t.Fatalf("newer version: got %v", err)
	}
	os.WriteFile(p, []byte(`{"Pipelines": [`), 0o644)
	_, err := ReadLockFile(p, jsonLockCodec{})
	var dmg *LockDamage
	if !errors.As(err, &dmg) || dmg.Path != p || !strings.Contains(err.Error(), "sptflow.lock is damaged") {
		t.Fatalf("malformed lock file: got %v, want a *LockDamage naming the file", err)
	}
	if strings.Count(err.Error(), "lock file") > 0 {
		t.Errorf("damage message %q: want it to name the file once, not stutter", err)
	}
	lf, dmg, err := LoadLockFile(p, jsonLockCodec{})
	if err != nil || dmg == nil || lf == nil || len(lf.Pipelines) != 0 {
		t.Fatalf("LoadLockFile of a damaged file: got %+v, %v, %v; want an empty lock and the damage", lf, dmg, err)
	}
	if err := UpdateLockFile(p, jsonLockCodec{}, func(lf *LockFile) error {
		lf.Pipelines["p"] = map[string]LockEntry{"a": sampleEntry("a")}
		return nil
	}); err != nil {
		t.Fatalf("update of a damaged lock file: %v, want it replaced", err)
	}
	if lf, err := ReadLockFile(p, jsonLockCodec{}); err != nil || len(lf.Pipelines["p"]) != 1 {
		t.Fatalf("after replacing a damaged lock file: got %+v, %v", lf, err)
	}
	x := filepath.Join(dir, "x.lock")
	err = UpdateLockFile(x, failingEncode{boom}, func(lf *LockFile) error {
		lf.Pipelines["p"] = map[string]LockEntry{"id": {}}
		return nil
	})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), x) {
		t.Fatalf("encoding error: got %v, want boom naming %s", err, x)
	}
	if _, err := os.Stat(x); !os.IsNotExist(err) {
		t.Fatal("an update that failed to encode wrote the file")
	}
}

// jsonLockCodec is a LockCodec for the store's own tests, which are about
// locking, atomic replacement and version checks; engine/lockyaml tests
// sptflow's format.
type jsonLockCodec struct{}

func (jsonLockCodec) Decode(b []byte) (*LockFile, error) {
	lf := &LockFile{}
	return lf, json.Unmarshal(b, lf)
}

func (jsonLockCodec) Encode(lf *LockFile) ([]byte, error) { return json.MarshalIndent(lf, "", "  ") }

// failingEncode decodes as JSON and fails to encode.
type failingEncode struct{ err error }

func (failingEncode) Decode(b []byte) (*LockFile, error) { return jsonLockCodec{}.Decode(b) }
func (f failingEncode) Encode(*LockFile) ([]byte, error) { return nil, f.err }

func TestUpdateLockFileConcurrentGoroutines(t *testing.T) {
	p := filepath.Join(t.TempDir(), "sptflow.lock")
	var wg sync.WaitGroup
	for g := range 6 {
		wg.Go(func() {
			for i := range 4 {
				err := UpdateLockFile(p, jsonLockCodec{}, func(lf *LockFile) error {
					if lf.Pipelines["p"] == nil {
						lf.Pipelines["p"] = map[string]LockEntry{}
					}
					lf.Pipelines["p"][fmt.Sprintf("n@%d-%d", g, i)] = LockEntry{Key: "k"}
					return nil
				})
				if err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	lf, err := ReadLockFile(p, jsonLockCodec{})
	if err != nil || len(lf.Pipelines["p"]) != 24 {
		t.Fatalf("got %d entries (%v), want 24", len(lf.Pipelines["p"]), err)
	}
}
