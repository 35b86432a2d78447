//go:build unix

package engine

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/sptflow/sptflow/internal/fifotest"
)

// TestReadJournalFIFO: a named pipe in place of a run's journal is an
// error naming it (`sptflow log` says so), never a read that waits for a
// writer.
func TestReadJournalFIFO(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, JournalFile)
	fifotest.Make(t, p)
	var err error
	fifotest.NoBlock(t, p, func() { _, err = ReadJournal(dir) })
	if err == nil || !strings.Contains(err.Error(), p+": not a regular file (a named pipe)") {
		t.Errorf("ReadJournal got: %v\nwant: an error naming %s, a named pipe", err, p)
	}
}
