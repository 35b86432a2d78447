//go:build unix

package llm_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sptflow/sptflow/llm"
)

// TestReadLedgerFIFO: a named pipe in place of a run's spend ledger is an
// error naming it, never a read that waits for a writer.
func TestReadLedgerFIFO(t *testing.T) {
	p := filepath.Join(t.TempDir(), "spend.jsonl")
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan error, 1)
	go func() { _, err := llm.ReadLedger(p); done <- err }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), p+": not a regular file (a named pipe)") {
			t.Errorf("ReadLedger got: %v\nwant: an error naming %s, a named pipe", err, p)
		}
	case <-time.After(5 * time.Second):
		if w, err := os.OpenFile(p, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			w.Close() // lets the blocked read end
		}
		t.Fatal("ReadLedger blocked on the named pipe")
	}
}
