//go:build unix

package remote

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestFileBucketFIFO: a named pipe in a file:// bucket where an entry
// belongs is an error naming it, not a read that waits for a writer.
func TestFileBucketFIFO(t *testing.T) {
	dir := t.TempDir()
	b, err := openFileBucket(dir)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "objects", "ab", "cd")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan error, 1)
	go func() { _, err := b.read(context.Background(), "objects/ab/cd"); done <- err }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "not a regular file (a named pipe)") {
			t.Errorf("read got: %v\nwant: an error saying it is a named pipe", err)
		}
	case <-time.After(5 * time.Second):
		if w, err := os.OpenFile(p, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			w.Close() // lets the blocked read end
		}
		t.Fatal("read blocked on the named pipe")
	}
}
