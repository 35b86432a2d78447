package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestReadLockFileMissing(t *testing.T) {
	lf, err := ReadLockFile(filepath.Join(t.TempDir(), "sptflow.lock"))
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

func TestLockFileFormat(t *testing.T) {
	p := filepath.Join(t.TempDir(), "sptflow.lock")
	err := UpdateLockFile(p, func(lf *LockFile) error {
		lf.Pipelines["spt-full"] = map[string]LockEntry{
			"tag@sycophancy":                      sampleEntry("2"),
			"infer@topic=sycophancy,model=qwen32": sampleEntry("1"),
		}
		lf.Pipelines["demo"] = map[string]LockEntry{"load": {Key: "k", Output: "o", Produced: time.Unix(0, 0)}}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	text := string(b)
	wantInOrder := []string{
		"version: 1\n", "pipelines:\n", "  demo:\n", "    load:\n", "      key: k\n",
		"  spt-full:\n", "    infer@topic=sycophancy,model=qwen32:\n",
		"      produced: 2025-01-02T02:04:05Z\n", "      served_models: [claude-sonnet-4-5-20250929]\n",
		"      usage:\n        cost_usd: 0.25\n        input_tokens: 1200\n",
		"\n    tag@sycophancy:\n",
	}
	rest := text
	for _, w := range wantInOrder {
		i := strings.Index(rest, w)
		if i < 0 {
			t.Fatalf("lock file lacks %q (in order); got:\n%s", w, text)
		}
		rest = rest[i+len(w):]
	}
	lf, err := ReadLockFile(p)
	if err != nil {
		t.Fatal(err)
	}
	got := lf.Pipelines["spt-full"]["tag@sycophancy"]
	want := sampleEntry("2")
	if got.Key != want.Key || got.Output != want.Output || !got.Produced.Equal(want.Produced) || !reflect.DeepEqual(got.ServedModels, want.ServedModels) {
		t.Errorf("round trip: got %+v, want %+v", got, want)
	}
	// Re-encoding what was read gives the same bytes.
	again, _ := lf.Encode()
	if string(again) != text {
		t.Errorf("encoding is not stable:\n%s\nvs\n%s", again, text)
	}
}

func TestUpdateLockFileUnchangedNotRewritten(t *testing.T) {
	p := filepath.Join(t.TempDir(), "sptflow.lock")
	set := func(lf *LockFile) error {
		lf.Pipelines["p"] = map[string]LockEntry{"a": sampleEntry("a")}
		return nil
	}
	if err := UpdateLockFile(p, set); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	os.Chtimes(p, old, old)
	fi1, _ := os.Stat(p)
	if err := UpdateLockFile(p, set); err != nil {
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
	if err := UpdateLockFile(p, func(*LockFile) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("got %v, want boom", err)
	}
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Fatal("failed update wrote the file")
	}
	os.WriteFile(p, []byte("version: 99\n"), 0o644)
	if _, err := ReadLockFile(p); err == nil || !strings.Contains(err.Error(), "version 99") {
		t.Fatalf("newer version: got %v", err)
	}
	os.WriteFile(p, []byte("pipelines: [\n"), 0o644)
	if _, err := ReadLockFile(p); err == nil || !strings.Contains(err.Error(), p) {
		t.Fatalf("malformed lock file: got %v, want an error naming the file", err)
	}
	err := UpdateLockFile(filepath.Join(dir, "x.lock"), func(lf *LockFile) error {
		lf.Pipelines["p"] = map[string]LockEntry{"bad\nid": {}}
		return nil
	})
	if err == nil {
		t.Fatal("a partition id with a newline was written")
	}
}

func TestUpdateLockFileConcurrentGoroutines(t *testing.T) {
	p := filepath.Join(t.TempDir(), "sptflow.lock")
	var wg sync.WaitGroup
	for g := range 6 {
		wg.Go(func() {
			for i := range 4 {
				err := UpdateLockFile(p, func(lf *LockFile) error {
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
	lf, err := ReadLockFile(p)
	if err != nil || len(lf.Pipelines["p"]) != 24 {
		t.Fatalf("got %d entries (%v), want 24", len(lf.Pipelines["p"]), err)
	}
}
