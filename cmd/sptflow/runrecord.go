package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/engine/store"
	"github.com/sptflow/sptflow/llm"
)

// runRecord is a run's directory under .sptflow/runs/: its run log, its
// journal (what `sptflow log` reads) and its spend ledger. A run that will
// execute something creates it before it starts (newRunRecord with lazy
// false). A run planned as a no-op (every partition up to date, every
// materialized file in place, nothing forced) creates it only when
// something a no-op does not do happens after all: an event other than the
// run's start and end, a cached partition or an estimate (a partition
// starts, fails, is skipped or interrupted), an LLM call noted in the
// ledger, or a log line after the run's start (a restored file, a
// warning). What came before is then written to it as if it had existed
// from the start. A no-op that stays one leaves no directory, no file and
// no fsync behind, so `sptflow log` lists the runs that did something.
//
// runRecord is the run's engine.Monitor (the journal), its llm.Ledger and
// the run log's writer; all three are safe for concurrent use.
type runRecord struct {
	st *store.Store
	id string

	mu        sync.Mutex
	created   bool  // createLocked was called (it may have failed: err)
	err       error // why the record could not be created
	dir       string
	logFile   *os.File
	journal   *engine.Journal
	ledger    *llm.FileLedger
	armed     bool           // log writes from now on create the record
	logBuf    []byte         // run log written before the record exists
	events    []engine.Event // journal events before the record exists
	discarded bool           // Discard removed the record
}

// newRunRecord returns the record of run id in st; unless lazy it is
// created now.
func newRunRecord(st *store.Store, id string, lazy bool) (*runRecord, error) {
	r := &runRecord{st: st, id: id}
	if lazy {
		return r, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.createLocked(); err != nil {
		return nil, err
	}
	return r, nil
}

// createLocked creates the run directory and its files, once, and writes
// what was kept for them. The caller holds r.mu.
func (r *runRecord) createLocked() error {
	if r.created {
		return r.err
	}
	r.created = true
	r.err = r.create()
	r.logBuf, r.events = nil, nil
	return r.err
}

func (r *runRecord) create() error {
	dir, err := r.st.NewRunDir(r.id)
	if err != nil {
		return err
	}
	logFile, err := os.Create(filepath.Join(dir, "run.log"))
	if err != nil {
		return err
	}
	if _, err := logFile.Write(r.logBuf); err != nil {
		logFile.Close()
		return fmt.Errorf("write run log: %w", err)
	}
	journal, err := engine.OpenJournal(dir)
	if err != nil {
		logFile.Close()
		return err
	}
	for _, ev := range r.events {
		journal.Event(ev)
	}
	ledger, err := openSpendLedger(dir)
	if err != nil {
		logFile.Close()
		journal.Close()
		return err
	}
	r.dir, r.logFile, r.journal, r.ledger = dir, logFile, journal, ledger
	return nil
}

// arm makes every later log write create the record: call it once the
// lines a no-op writes (the run's start) are written.
func (r *runRecord) arm() {
	r.mu.Lock()
	r.armed = true
	r.mu.Unlock()
}

// Write implements io.Writer for the run log.
func (r *runRecord) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.discarded {
		return len(p), nil
	}
	if !r.created && !r.armed {
		r.logBuf = append(r.logBuf, p...)
		return len(p), nil
	}
	if err := r.createLocked(); err != nil {
		return len(p), nil // the run goes on; Close reports err
	}
	return r.logFile.Write(p)
}

// noOpEvent reports whether a no-op run journals events of type t.
func noOpEvent(t string) bool {
	switch t {
	case engine.EventRunStart, engine.EventCached, engine.EventRunEnd, engine.EventEstimate:
		return true
	}
	return false
}

// Event implements engine.Monitor: it journals ev.
func (r *runRecord) Event(ev engine.Event) {
	r.mu.Lock()
	if r.discarded {
		r.mu.Unlock()
		return
	}
	if !r.created && noOpEvent(ev.Type) {
		r.events = append(r.events, ev)
		r.mu.Unlock()
		return
	}
	err := r.createLocked()
	j := r.journal
	r.mu.Unlock()
	if err == nil {
		j.Event(ev)
	}
}

// Progress implements engine.Monitor; progress is not journaled.
func (r *runRecord) Progress(engine.PartitionID, engine.Rows) {}

// Note implements llm.Ledger.
func (r *runRecord) Note(ctx context.Context, s llm.Spend) {
	r.mu.Lock()
	if r.discarded {
		r.mu.Unlock()
		return
	}
	err := r.createLocked()
	l := r.ledger
	r.mu.Unlock()
	if err == nil {
		l.Note(ctx, s)
	}
}

// Dir is the run directory, "" when none was created.
func (r *runRecord) Dir() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.dir
}

// Close syncs and closes the record's files (nothing when none were
// created) and returns the first error, including a failure to create it.
func (r *runRecord) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.created || r.discarded {
		return nil
	}
	if r.err != nil {
		return fmt.Errorf("run record: %w", r.err)
	}
	return errors.Join(r.journal.Close(), r.ledger.Close(), r.logFile.Close())
}

// Discard closes and removes the record of a run the engine refused before
// it started (an --only target whose upstream is not up to date, say): it
// did nothing, and `sptflow log` lists the runs that did something. Later
// writes are dropped; Close does nothing.
func (r *runRecord) Discard() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.discarded {
		return nil
	}
	r.discarded = true
	r.logBuf, r.events = nil, nil
	if !r.created || r.err != nil {
		return nil
	}
	err := errors.Join(r.journal.Close(), r.ledger.Close(), r.logFile.Close())
	return errors.Join(err, os.RemoveAll(r.dir))
}

// plannedNoOp reports whether a run of ids would do nothing by the
// partitions' statuses: none would execute (toRun is empty), none has
// materialized files to restore, and nothing is forced or resampled.
func plannedNoOp(sts []engine.PartitionStatus, ids, willRun []engine.PartitionID, cfg engine.RunConfig) bool {
	if len(willRun) > 0 || cfg.Resample != nil || sts == nil {
		return false
	}
	in := make(map[engine.PartitionID]bool, len(ids))
	for _, id := range ids {
		in[id] = true
	}
	for _, st := range sts {
		if in[st.ID] && (st.State != engine.UpToDate || len(st.Disk) > 0 || st.FailedRows > 0) {
			return false
		}
	}
	return true
}
