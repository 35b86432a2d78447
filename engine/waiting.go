package engine

import (
	"errors"
	"fmt"
)

// ErrWaiting says work is handed off outside the run and goes on without
// it: a provider batch still in flight under `run --no-wait`. A step whose
// error matches it, or has in its chain an error with a Waiting method that
// returns true (how packages the engine does not import say so, such as
// llm's *InFlightError), ends its partition Waiting: nothing is sealed, it
// did not fail, and the next run takes the work up where it is. A run's
// summary error matches it while partitions are Waiting.
var ErrWaiting = errors.New("waiting")

// waiting reports whether a step's error says its partition is waiting.
func waiting(err error) bool {
	if errors.Is(err, ErrWaiting) {
		return true
	}
	w, ok := errors.AsType[waiter](err)
	return ok && w.Waiting()
}

// waiter is an error that can say it is waiting.
type waiter interface {
	error
	Waiting() bool
}

// skippedWaiting turns the outcome of a partition that did not run because
// a partition it needs is Waiting (and none it needs failed: walk names a
// failure first) into NotStarted.
func (r *run) skippedWaiting(res *PartitionResult) {
	skip, ok := res.Err.(*SkippedError)
	if !ok {
		return
	}
	if up := r.results[skip.Upstream]; up != nil && up.Outcome == Waiting {
		res.Outcome = NotStarted
		res.Err = fmt.Errorf("not started: waiting for upstream batches (%s)", skip.Upstream)
	}
}
