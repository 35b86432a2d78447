// Package sptflow holds the files `sptflow init` copies into a new project:
// the demo pipeline, the prompt set and the training configuration, embedded
// from this repository so that a new project starts from the same files the
// repository runs and tests.
package sptflow

import "embed"

// Starter is the tree of a new project: pipelines/demo.yaml,
// config/training_config.json and prompts/ (base prompt, stage-1 and
// stage-3 prompts, README), with the paths they have in this repository.
//
//go:embed pipelines/demo.yaml config/training_config.json prompts
var Starter embed.FS
