// Package ordered runs independent jobs in parallel and consumes their
// results in job order with a bounded number of results alive at once, so a
// step that streams files keeps memory bounded by a few files whatever
// their number.
package ordered

import (
	"context"
	"sync"
)

// Map runs work(ctx, i) for i in [0, n) on parallel goroutines and calls use
// with each result in index order, from the calling goroutine. At most
// workers+1 jobs are running or waiting to be used at any time. The first
// error of work or use cancels the jobs not yet done and is returned; so is
// ctx's error when ctx ends first.
func Map[T any](ctx context.Context, n, workers int, work func(ctx context.Context, i int) (T, error), use func(i int, v T) error) error {
	workers = max(workers, 1)
	jctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		v   T
		err error
	}
	pending := make(chan chan result, workers)
	var wg sync.WaitGroup
	go func() {
		defer close(pending)
		for i := range n {
			if jctx.Err() != nil {
				return
			}
			c := make(chan result, 1)
			select {
			case pending <- c:
			case <-jctx.Done():
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				v, err := work(jctx, i)
				c <- result{v, err}
			}()
		}
	}()
	var err error
	used := 0
	for c := range pending {
		r := <-c
		if err == nil {
			err = r.err
			if err == nil {
				err = use(used, r.v)
			}
			if err != nil {
				cancel()
			}
		}
		used++
	}
	wg.Wait()
	if err == nil && used < n {
		err = context.Cause(ctx)
	}
	return err
}
