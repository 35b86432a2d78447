package engine

import (
	"context"
	"errors"
	"fmt"
)

// ErrInterrupted is matched by a run's summary error when partitions were
// interrupted (RunConfig.Stop, or the run's context cancelled): they are
// neither sealed nor failed, and running the same command continues them.
var ErrInterrupted = errors.New("interrupted")

// errNotStarted is the outcome of a partition the run did not start
// because its stop was requested. It matches context.Canceled.
var errNotStarted error = notStartedError{}

type notStartedError struct{}

func (notStartedError) Error() string { return "not started: the run is stopping" }

func (notStartedError) Is(target error) bool { return target == context.Canceled }

// stopping reports whether the run's graceful stop was requested.
func (r *run) stopping() bool {
	if r.cfg.Stop == nil {
		return false
	}
	select {
	case <-r.cfg.Stop:
		return true
	default:
		return false
	}
}

// interrupted reports whether a partition that ended with err was
// interrupted rather than failed: the run's context ended, or its stop was
// requested and the step ended by cancellation (an LLM step's requests are
// refused with llm.ErrStopping, which matches context.Canceled).
func (r *run) interrupted(ctx context.Context, err error) bool {
	return ctx.Err() != nil || errors.Is(err, errNotStarted) ||
		r.stopping() && errors.Is(err, context.Canceled)
}

// skippedInterrupted turns the outcome of a partition that did not run
// because a partition it needs was interrupted into Interrupted.
func (r *run) skippedInterrupted(res *PartitionResult) {
	skip, ok := res.Err.(*SkippedError)
	if !ok {
		return
	}
	if up := r.results[skip.Upstream]; up != nil && up.Outcome == Interrupted {
		res.Outcome = Interrupted
		res.Err = fmt.Errorf("not started: upstream %s was interrupted", skip.Upstream)
	}
}
