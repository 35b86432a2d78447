//go:build linux && (amd64 || arm64)

package store

import (
	"os"
	"path/filepath"
	"testing"
)

// TestAIOSyncer: asynchronous flushes succeed on a regular file and fail,
// without hanging, on a file the kernel cannot flush asynchronously.
func TestAIOSyncer(t *testing.T) {
	s, err := newAIOSyncer()
	if err != nil {
		t.Skipf("no Linux AIO here (%v): segments use fdatasync", err)
	}
	defer s.close()
	f, err := os.Create(filepath.Join(t.TempDir(), "seg"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for i := range 3 {
		if _, err := f.WriteString("entry"); err != nil {
			t.Fatal(err)
		}
		if err := s.sync(f); err != nil {
			t.Fatalf("flush %d: %v", i, err)
		}
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if err := s.sync(w); err == nil {
		t.Error("flush of a pipe: no error")
	}
	if _, ok := newSyncer(f).(*aioSyncer); !ok {
		t.Error("newSyncer fell back to fdatasync where AIO works")
	}
}
