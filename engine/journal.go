package engine

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/sptflow/sptflow/regfile"
)

// JournalFile is the name of a run's journal in its run directory.
const JournalFile = "journal.jsonl"

// Journal appends a run's events to journal.jsonl, one JSON object per
// line. It is a Monitor; progress updates are not journaled.
type Journal struct {
	mu  sync.Mutex
	f   *os.File
	err error
}

// OpenJournal creates the journal in runDir.
func OpenJournal(runDir string) (*Journal, error) {
	f, err := os.OpenFile(filepath.Join(runDir, JournalFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open journal: %w", err)
	}
	return &Journal{f: f}, nil
}

// Event implements Monitor. Each line is written with one write call, so a
// crash leaves at most a truncated last line, which readers skip.
func (j *Journal) Event(ev Event) {
	if ev.Time.IsZero() {
		ev.Time = time.Now().UTC()
	}
	b, err := json.Marshal(ev)
	if err != nil {
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if _, err := j.f.Write(append(b, '\n')); err != nil && j.err == nil {
		j.err = err
	}
}

// Progress implements Monitor; progress is not journaled.
func (j *Journal) Progress(PartitionID, Rows) {}

// Close syncs and closes the journal, returning the first write error.
func (j *Journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	err := errors.Join(j.err, j.f.Sync(), j.f.Close())
	if err != nil {
		return fmt.Errorf("close journal: %w", err)
	}
	return nil
}

// ReadJournal reads the events of the journal in runDir. A line that does
// not decode (a killed run's truncated last line, a damaged one, however
// long) is skipped: damage costs that line's event, never the journal. A
// named pipe or a directory in its place is an error, never a wait.
func ReadJournal(runDir string) ([]Event, error) {
	f, _, err := regfile.Open(filepath.Join(runDir, JournalFile), 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read journal: %w", err)
	}
	defer f.Close()
	var evs []Event
	rd := bufio.NewReader(f)
	for {
		line, err := rd.ReadBytes('\n')
		var ev Event
		if len(line) > 0 && json.Unmarshal(line, &ev) == nil {
			evs = append(evs, ev)
		}
		if errors.Is(err, io.EOF) {
			return evs, nil
		}
		if err != nil {
			return evs, fmt.Errorf("read journal: %w", err)
		}
	}
}

// RunRecord summarises one run from its journal.
type RunRecord struct {
	ID       string
	Pipeline string
	Args     []string
	Start    time.Time
	End      time.Time // zero when the run did not finish (killed)
	Counts   Counts
	Usage    Usage
	Failures []Event // failed partitions
	// Interrupted partitions (stopped by an interrupt or not started
	// because of one).
	Interrupted []Event
	// Waiting partitions (EventWaiting): provider batches in flight.
	Waiting []Event
	// SealedWithFailures are the executed partitions sealed with failed
	// rows (Event.FailedRows).
	SealedWithFailures []Event
	// Estimates are the run's estimate per node, recorded at its start
	// (the last entry is the total); nil for runs that recorded none.
	Estimates []NodeEstimate
}

// Summarize folds a run's events into a RunRecord. Counts come from the
// partition events, so a killed run is summarised up to where it stopped.
func Summarize(id string, evs []Event) RunRecord {
	r := RunRecord{ID: id}
	for _, ev := range evs {
		switch ev.Type {
		case EventRunStart:
			r.Pipeline, r.Args, r.Start = ev.Pipeline, ev.Args, ev.Time
		case EventRunEnd:
			r.End = ev.Time
		case EventEstimate:
			r.Estimates = ev.Estimates
		case EventSucceeded:
			r.Counts.Executed++
			if ev.FailedRows > 0 {
				r.SealedWithFailures = append(r.SealedWithFailures, ev)
			}
			if ev.Usage != nil {
				r.Usage.Add(*ev.Usage)
			}
		case EventCached:
			r.Counts.Cached++
		case EventFailed:
			r.Counts.Failed++
			r.Failures = append(r.Failures, ev)
		case EventSkipped:
			r.Counts.Skipped++
		case EventInterrupted:
			r.Counts.Interrupted++
			r.Interrupted = append(r.Interrupted, ev)
		case EventWaiting:
			r.Counts.Waiting++
			r.Waiting = append(r.Waiting, ev)
		case EventNotStarted:
			r.Counts.NotStarted++
		}
	}
	return r
}
