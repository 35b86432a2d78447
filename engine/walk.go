package engine

import (
	"context"
	"fmt"
)

// SkippedError is the outcome of a partition that did not run because a
// partition it needs (directly or not) failed. Upstream names the failure,
// so it is reported once, at its source.
type SkippedError struct{ Upstream PartitionID }

func (e *SkippedError) Error() string {
	return fmt.Sprintf("skipped: upstream %s failed", e.Upstream)
}

// walk calls visit for every partition of ids once all of its needs within
// ids have finished, each in its own goroutine (visit bounds its own
// concurrency: see slots). A partition whose needs failed is not visited:
// its outcome is a *SkippedError naming the failed source. walk returns every
// partition's outcome (nil on success). After terminal failure of one branch
// the others keep running, as in terraform's dag walk.
func walk(ctx context.Context, ids []PartitionID, needs map[PartitionID][]PartitionID, visit func(context.Context, PartitionID) error) map[PartitionID]error {
	in := make(map[PartitionID]bool, len(ids))
	for _, id := range ids {
		in[id] = true
	}
	pending := make(map[PartitionID]int, len(ids))
	dependents := map[PartitionID][]PartitionID{}
	for _, id := range ids {
		for _, n := range needs[id] {
			if in[n] {
				pending[id]++
				dependents[n] = append(dependents[n], id)
			}
		}
	}
	type result struct {
		id  PartitionID
		err error
	}
	done := make(chan result)
	out := make(map[PartitionID]error, len(ids))
	running := 0
	var start func(id PartitionID)
	finish := func(id PartitionID, err error) {
		out[id] = err
		for _, d := range dependents[id] {
			if pending[d]--; pending[d] == 0 {
				start(d)
			}
		}
	}
	start = func(id PartitionID) {
		if src := failedSource(id, needs[id], in, out); src != "" {
			finish(id, &SkippedError{Upstream: src})
			return
		}
		running++
		go func() { done <- result{id, visit(ctx, id)} }()
	}
	for _, id := range ids {
		if pending[id] == 0 {
			start(id)
		}
	}
	for running > 0 {
		r := <-done
		running--
		finish(r.id, r.err)
	}
	return out
}

// failedSource returns the partition whose failure prevents id from running,
// or "" when all of its needs within the walk succeeded. A failure is named
// before a partition that is only waiting (ErrWaiting), so a partition both
// stop is skipped for the failure.
func failedSource(id PartitionID, needs []PartitionID, in map[PartitionID]bool, out map[PartitionID]error) PartitionID {
	var held PartitionID // the first source that is only waiting
	for _, n := range needs {
		if !in[n] || out[n] == nil {
			continue
		}
		src := n
		if s, ok := out[n].(*SkippedError); ok {
			src = s.Upstream
		}
		if !waiting(out[src]) {
			return src
		}
		if held == "" {
			held = src
		}
	}
	return held
}

// slots bounds how many partitions execute at once. A visit takes a slot
// only around the step's execution, never while waiting for a lease or for
// another partition.
type slots chan struct{}

func newSlots(n int) slots {
	if n < 1 {
		n = 1
	}
	return make(slots, n)
}

// acquire takes a slot or returns the context's cause, or errNotStarted
// once stop is closed.
func (s slots) acquire(ctx context.Context, stop <-chan struct{}) error {
	select {
	case s <- struct{}{}:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-stop:
		return errNotStarted
	}
}

func (s slots) release() { <-s }
