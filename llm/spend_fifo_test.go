//go:build unix

package llm_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/sptflow/sptflow/internal/fifotest"
	"github.com/sptflow/sptflow/llm"
)

// TestReadLedgerFIFO: a named pipe in place of a run's spend ledger is an
// error naming it, never a read that waits for a writer.
func TestReadLedgerFIFO(t *testing.T) {
	p := filepath.Join(t.TempDir(), "spend.jsonl")
	fifotest.Make(t, p)
	var err error
	fifotest.NoBlock(t, p, func() { _, err = llm.ReadLedger(p) })
	if err == nil || !strings.Contains(err.Error(), p+": not a regular file (a named pipe)") {
		t.Errorf("ReadLedger got: %v\nwant: an error naming %s, a named pipe", err, p)
	}
}
