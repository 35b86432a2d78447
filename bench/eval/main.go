// Command eval benchmarks the analyze_eval step on the reference evaluation
// results: it runs the step the way the engine does (inputs matched and
// digested beforehand, outputs kept in memory) and prints wall time, CPU
// time and peak memory, with the core count and the load average. The CPU
// time includes the reads (the kernel's copy from the page cache).
//
//	SPT_REFERENCE_DATA=/tmp/refdata go run ./bench/eval [-n 5] [-include-baselines] [-out DIR]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/sptflow/sptflow/bench/internal/harness"
	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/engine/enginetest"
	"github.com/sptflow/sptflow/steps/evalreport"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench/eval:", err)
		os.Exit(1)
	}
}

func run() error {
	n := flag.Int("n", 5, "repetitions")
	out := flag.String("out", "", "write the outputs of the last run to this directory")
	baselines := flag.Bool("include-baselines", false, "include the baseline runs in the working set")
	flag.Parse()
	ref, err := harness.RefData()
	if err != nil {
		return err
	}
	step := evalreport.New()
	spec := enginetest.Spec(evalreport.Kind, ref, map[string]any{"dir": "evaluation_results", "include_baselines": *baselines})
	plan, err := step.Resolve(spec)
	if err != nil {
		return err
	}
	inputs, err := enginetest.MatchInputs(ref, plan.Inputs)
	if err != nil {
		return err
	}
	var res *enginetest.Output
	tm, err := harness.Time(*n, func(int) error {
		res = enginetest.NewOutput()
		t := &engine.Task{Spec: spec, Params: plan.Params, Plan: plan, Inputs: inputs, Out: res, Progress: &enginetest.Progress{}}
		return step.Run(context.Background(), t)
	})
	if err != nil {
		return err
	}
	fmt.Printf("analyze_eval: %d cores, load average %s; %d files, %d runs: best %v, mean %v, CPU per run %v, peak heap %.1f MB, peak RSS %.1f MB\n",
		runtime.NumCPU(), harness.LoadAvg(), len(inputs), *n, tm.Min().Round(time.Millisecond), tm.Mean().Round(time.Millisecond),
		tm.CPUPerRun().Round(time.Millisecond), harness.GoMemoryMB(), harness.PeakRSSMB())
	if *out != "" {
		return harness.WriteFiles(*out, res.Files)
	}
	return nil
}
