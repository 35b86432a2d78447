//go:build unix

package engine

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestReadJournalFIFO: a named pipe in place of a run's journal is an
// error naming it (`sptflow log` says so), never a read that waits for a
// writer.
func TestReadJournalFIFO(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, JournalFile)
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan error, 1)
	go func() { _, err := ReadJournal(dir); done <- err }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), p+": not a regular file (a named pipe)") {
			t.Errorf("ReadJournal got: %v\nwant: an error naming %s, a named pipe", err, p)
		}
	case <-time.After(5 * time.Second):
		if w, err := os.OpenFile(p, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			w.Close() // lets the blocked read end
		}
		t.Fatal("ReadJournal blocked on the named pipe")
	}
}
