// Command export benchmarks the export step on the reference tagged data
// with config/training_config.json and every model: it prints the sample
// count, wall time, CPU time and peak memory.
//
//	SPT_REFERENCE_DATA=/tmp/refdata go run ./bench/export [-n 5] [-model all] [-out DIR]
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/sptflow/sptflow/bench/internal/harness"
	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/engine/enginetest"
	"github.com/sptflow/sptflow/steps/export"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench/export:", err)
		os.Exit(1)
	}
}

func run() error {
	n := flag.Int("n", 5, "repetitions")
	model := flag.String("model", export.AllModels, "data model, or all")
	out := flag.String("out", "", "write the outputs of the last run to this directory")
	flag.Parse()
	ref, err := harness.RefData()
	if err != nil {
		return err
	}
	root, err := filepath.Abs(".")
	if err != nil {
		return err
	}
	step := export.New()
	spec := enginetest.Spec(export.Kind, root, map[string]any{"config": "config/training_config.json", "model": *model})
	plan, err := step.Resolve(spec)
	if err != nil {
		return err
	}
	inputs, err := enginetest.MatchInputs(root, plan.Inputs)
	if err != nil {
		return err
	}
	up, err := harness.TaggedUpstream(filepath.Join(ref, "stage_3_tagged"))
	if err != nil {
		return err
	}
	var res *enginetest.Output
	tm, err := harness.Time(*n, func(int) error {
		res = enginetest.NewOutput()
		t := &engine.Task{Spec: spec, Params: plan.Params, Plan: plan, Inputs: inputs, Upstream: []engine.Upstream{up},
			Out: res, Progress: &enginetest.Progress{}}
		return step.Run(context.Background(), t)
	})
	if err != nil {
		return err
	}
	lines := bytes.Count(res.Files[filepath.ToSlash(filepath.Join(plan.OutputDir, export.TrainFile))], []byte{'\n'})
	fmt.Printf("export (model %s): %d files, %d train samples, %d runs: best %v, mean %v, CPU per run %v, peak heap %.1f MB, peak RSS %.1f MB\n",
		*model, len(up.Files), lines, *n, tm.Min().Round(time.Millisecond), tm.Mean().Round(time.Millisecond),
		tm.CPUPerRun().Round(time.Millisecond), harness.GoMemoryMB(), harness.PeakRSSMB())
	if *out != "" {
		return harness.WriteFiles(*out, res.Files)
	}
	return nil
}
