package store

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
)

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a", "b", "out.json")
	if err := WriteFileAtomic(p, []byte("v1"), 0o640); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(p)
	if err != nil || string(got) != "v1" {
		t.Fatalf("got %q, %v", got, err)
	}
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o640 {
		t.Errorf("mode: got %v, want 0640", fi.Mode().Perm())
	}
	if err := WriteFileAtomic(p, []byte("v2"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(p); string(got) != "v2" {
		t.Fatalf("after replace: got %q", got)
	}
	assertNoTemps(t, dir)
}

// Readers racing with writers only ever see one complete version.
func TestWriteFileAtomicNoPartialReads(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	versions := [][]byte{bytes.Repeat([]byte("a"), 1<<16), bytes.Repeat([]byte("b"), 1<<17)}
	if err := WriteFileAtomic(p, versions[0], 0o644); err != nil {
		t.Fatal(err)
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; !stop.Load() || i < 20; i++ {
			if err := WriteFileAtomic(p, versions[i%2], 0o644); err != nil {
				t.Error(err)
				return
			}
		}
	})
	reads := 0
	for ; reads < 300; reads++ {
		got, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, versions[0]) && !bytes.Equal(got, versions[1]) {
			stop.Store(true)
			wg.Wait()
			t.Fatalf("read a partial file of %d bytes", len(got))
		}
	}
	stop.Store(true)
	wg.Wait()
	assertNoTemps(t, dir)
}

func TestWriteFileAtomicFailureLeavesOld(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	WriteFileAtomic(p, []byte("old"), 0o644)
	// Make the target a non-empty directory's name: rename must fail.
	bad := filepath.Join(dir, "d")
	os.MkdirAll(filepath.Join(bad, "x"), 0o755)
	if err := WriteFileAtomic(bad, []byte("new"), 0o644); err == nil {
		t.Fatal("rename over a non-empty directory succeeded")
	}
	if got, _ := os.ReadFile(p); string(got) != "old" {
		t.Fatalf("got %q", got)
	}
	assertNoTemps(t, dir)
}
