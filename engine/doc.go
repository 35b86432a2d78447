// Package engine expands a pipeline into partitions, computes their node
// keys, schedules them topologically and records what ran. Before a run it
// prices the whole graph: steps that implement Estimator say what a
// partition would send and cost, and what its output is expected to hold
// (a Forecast) for the partitions that need it. It never imports
// YAML, HTTP or LLM code: node kinds plug in through the Step interface.
package engine

import "github.com/sptflow/sptflow/engine/store"

// Digest is a content digest (SHA-256) of a file or manifest.
type Digest = store.Digest
