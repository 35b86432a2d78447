package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/rs/zerolog"

	"github.com/sptflow/sptflow/engine/lockyaml"
)

// batchesInFlight is an error of a package the engine does not import
// (llm's *InFlightError) that says it is waiting.
type batchesInFlight struct{}

func (batchesInFlight) Error() string { return "2 batches in flight" }
func (batchesInFlight) Waiting() bool { return true }

// waitingStep wraps the fake step: the partitions in wait end with their
// error (a step wraps it), those in fail fail.
type waitingStep struct {
	*fakeStep
	wait map[PartitionID]error
}

func (s *waitingStep) Run(ctx context.Context, t *Task) error {
	if err := s.wait[t.ID()]; err != nil {
		return fmt.Errorf("stage-1 batch: %w", err)
	}
	return s.fakeStep.Run(ctx, t)
}

// TestWaitingIsNotFailure: a partition whose step ends waiting (an error
// with a Waiting method, or matching ErrWaiting) is Waiting, not Failed:
// nothing sealed or materialized, its dependents NotStarted (not Skipped),
// events "waiting" and "not_started", the summary's error ErrWaiting and
// not ErrRunFailed; the next run executes what did not finish. A failure
// upstream is named before a wait: sink, which needs a failed and a
// waiting partition, is skipped.
func TestWaitingIsNotFailure(t *testing.T) {
	for _, werr := range []error{batchesInFlight{}, ErrWaiting} {
		t.Run(werr.Error(), func(t *testing.T) {
			f := newFixture(t)
			step := &waitingStep{fakeStep: f.step, wait: map[PartitionID]error{"mid@a": werr}}
			e, err := New(f.graph(), Options{Steps: map[string]Step{"fake": step}, Store: f.st,
				LockPath: filepath.Join(f.dir, "sptflow.lock"), LockCodec: lockyaml.Codec{}, Log: zerolog.Nop()})
			if err != nil {
				t.Fatal(err)
			}
			events := &recorder{}
			sum, err := e.Run(context.Background(), RunConfig{Jobs: 2, Monitor: events})
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			got := outcomes(sum)
			if got["mid@a"] != Waiting || got["sink"] != NotStarted || sum.Waiting != 1 || sum.NotStarted != 1 ||
				sum.Failed+sum.Skipped+sum.Interrupted != 0 || sum.Executed != 3 {
				t.Errorf("outcomes: got %v %+v; want mid@a waiting, sink not started, nothing failed or skipped", got, sum)
			}
			if err := sum.Err(); !errors.Is(err, ErrWaiting) || errors.Is(err, ErrRunFailed) || errors.Is(err, ErrInterrupted) {
				t.Errorf("summary error: got %v; want ErrWaiting only", err)
			}
			if sink := result(sum, "sink"); sink.Err == nil || sink.Err.Error() != "not started: waiting for upstream batches (mid@a)" {
				t.Errorf("sink: got %v; want not started, waiting for mid@a", sink.Err)
			}
			if events.count(EventWaiting) != 1 || events.count(EventNotStarted) != 1 || events.count(EventFailed)+events.count(EventSkipped) != 0 {
				t.Errorf("events: got %d waiting, %d not_started, %d failed, %d skipped; want 1 1 0 0", events.count(EventWaiting),
					events.count(EventNotStarted), events.count(EventFailed), events.count(EventSkipped))
			}
			if rec := Summarize("r", events.evs); rec.Counts.Waiting != 1 || rec.Counts.NotStarted != 1 || len(rec.Waiting) != 1 || len(rec.Failures) != 0 {
				t.Errorf("journal summary: got %+v; want 1 waiting, 1 not started, no failure", rec)
			}
			if _, err := os.Stat(filepath.Join(f.dir, "data/mid/mid@a.txt")); !os.IsNotExist(err) {
				t.Errorf("the waiting partition was materialized (stat: %v)", err)
			}
			f.step.executed()
			f.step.fail["mid@b"] = true
			sum, err = e.Run(context.Background(), RunConfig{Jobs: 2, Force: true, Selection: Selection{Targets: []string{"mid@b", "sink"}}})
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			var skip *SkippedError
			if sink := result(sum, "sink"); sink.Outcome != Skipped || !errors.As(sink.Err, &skip) || skip.Upstream != "mid@b" {
				t.Errorf("sink after a failure and a wait: got %s %v; want skipped for mid@b", sink.Outcome, sink.Err)
			}
			if err := sum.Err(); !errors.Is(err, ErrRunFailed) || !errors.Is(err, ErrWaiting) {
				t.Errorf("summary error: got %v; want ErrRunFailed and ErrWaiting", err)
			}
			f.step.executed()
			f.step.fail["mid@b"] = false
			delete(step.wait, "mid@a")
			f.expectExecuted(RunConfig{}, "mid@a", "sink")
		})
	}
}

func outcomes(sum *Summary) map[PartitionID]Outcome {
	got := map[PartitionID]Outcome{}
	for _, r := range sum.Results {
		got[r.ID] = r.Outcome
	}
	return got
}

func result(sum *Summary, id PartitionID) PartitionResult {
	for _, r := range sum.Results {
		if r.ID == id {
			return r
		}
	}
	return PartitionResult{}
}
