package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/rs/zerolog"

	"github.com/sptflow/sptflow/engine/lockyaml"
)

// stoppingStep wraps the fake step: partition id signals started, waits
// for stop and then ends as an LLM step does when its requests are
// refused (an error matching context.Canceled).
type stoppingStep struct {
	*fakeStep
	id            PartitionID
	started, stop chan struct{}
}

func (s *stoppingStep) Run(ctx context.Context, t *Task) error {
	if t.ID() != s.id {
		return s.fakeStep.Run(ctx, t)
	}
	close(s.started)
	<-s.stop
	return fmt.Errorf("step %s: request refused: %w", t.ID(), context.Canceled)
}

// TestStopInterruptsWithoutFailing closes RunConfig.Stop while mid@a runs:
// mid@a ends Interrupted (not Failed, nothing sealed or materialized), no
// partition starts afterwards, those it would have started are
// Interrupted too (not Skipped), the summary's error is ErrInterrupted and
// not ErrRunFailed, the journal events say "interrupted", and the next run
// executes exactly what did not finish.
func TestStopInterruptsWithoutFailing(t *testing.T) {
	f := newFixture(t)
	step := &stoppingStep{fakeStep: f.step, id: "mid@a", started: make(chan struct{}), stop: make(chan struct{})}
	e, err := New(f.graph(), Options{Steps: map[string]Step{"fake": step}, Store: f.st,
		LockPath: filepath.Join(f.dir, "sptflow.lock"), LockCodec: lockyaml.Codec{}, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	go func() { <-step.started; close(step.stop) }()
	events := &recorder{}
	sum, err := e.Run(context.Background(), RunConfig{Jobs: 1, Stop: step.stop, Monitor: events})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	got := map[PartitionID]Outcome{}
	for _, r := range sum.Results {
		got[r.ID] = r.Outcome
	}
	if got["mid@a"] != Interrupted || got["sink"] != Interrupted || sum.Failed != 0 || sum.Skipped != 0 {
		t.Errorf("outcomes: got %v (failed %d, skipped %d); want mid@a and sink interrupted, nothing failed or skipped", got, sum.Failed, sum.Skipped)
	}
	if err := sum.Err(); !errors.Is(err, ErrInterrupted) || errors.Is(err, ErrRunFailed) {
		t.Errorf("summary error: got %v; want ErrInterrupted only", err)
	}
	if n := events.count(EventInterrupted); n != sum.Interrupted || n < 2 {
		t.Errorf("journal: %d interrupted events; want %d (at least 2)", n, sum.Interrupted)
	}
	if _, err := os.Stat(filepath.Join(f.dir, "data/mid/mid@a.txt")); !os.IsNotExist(err) {
		t.Errorf("the interrupted partition was materialized (stat: %v)", err)
	}
	var want []string
	for id, o := range got {
		if o != Executed {
			want = append(want, string(id))
		}
	}
	f.step.executed()
	f.expectExecuted(RunConfig{}, want...)
}

// recorder is a Monitor that keeps the events.
type recorder struct {
	mu  sync.Mutex
	evs []Event
}

func (r *recorder) Event(ev Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.evs = append(r.evs, ev)
}

func (r *recorder) Progress(PartitionID, Rows) {}

func (r *recorder) count(typ string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, ev := range r.evs {
		if ev.Type == typ {
			n++
		}
	}
	return n
}
