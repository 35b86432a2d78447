package main

import (
	"fmt"
	"os"
	"time"

	"github.com/sptflow/sptflow/engine/store"
	"github.com/sptflow/sptflow/llm"
)

// Environment of the batch executor.
const (
	// batchPollEnv sets how often a provider batch in flight is polled
	// (a Go duration; default llm.DefaultBatchPoll).
	batchPollEnv = "SPTFLOW_BATCH_POLL"
	// batchCrashEnv (tests only) kills the process, as kill -9 would, at a
	// batch hook point: "intent" (the intent record is durable, the batch
	// not created), "created" (created, its id not recorded), "polled"
	// (a batch in flight answered its first poll of the run) or
	// "harvested:N" (N results of a batch are recorded, the others not yet).
	batchCrashEnv = "SPTFLOW_TEST_BATCH_CRASH"
)

// batchOptions configure the runtime's batch executor.
type batchOptions struct {
	ledger llm.BatchFiles
	poll   time.Duration
	noWait bool
	hook   func(string) error
}

// batchConfig returns the batch options of a store at dir: its write-ahead
// ledger (dir/batches), the poll interval of $SPTFLOW_BATCH_POLL, and the
// test crash hook. A poll interval that is not a positive duration is a
// usage error (not silently the default: "5" is not 5 seconds).
func batchConfig(dir string, noWait bool) (batchOptions, error) {
	o := batchOptions{ledger: store.Batches(dir), noWait: noWait}
	if v := os.Getenv(batchPollEnv); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return o, fmt.Errorf("%w: %s=%q: want a positive duration with its unit (30s, 5m)", errUsage, batchPollEnv, v)
		}
		o.poll = d
	}
	if at := os.Getenv(batchCrashEnv); at != "" {
		o.hook = func(point string) error {
			if point == at {
				fmt.Fprintf(os.Stderr, "sptflow: %s=%s: exiting at the batch hook\n", batchCrashEnv, at)
				os.Exit(137)
			}
			return nil
		}
	}
	return o, nil
}
