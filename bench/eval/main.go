// Command eval benchmarks the analyze_eval step on the reference evaluation
// results: it runs the step the way the engine does (inputs matched and
// digested beforehand, outputs kept in memory) and prints wall time and peak
// memory.
//
//	SPT_REFERENCE_DATA=/tmp/refdata go run ./bench/eval [-n 5] [-include-baselines] [-out DIR]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"time"

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
	ref := os.Getenv("SPT_REFERENCE_DATA")
	if ref == "" {
		return fmt.Errorf("set SPT_REFERENCE_DATA to the reference data directory")
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
	var best, total time.Duration
	var res *enginetest.Output
	for i := 0; i < *n; i++ {
		runtime.GC()
		res = enginetest.NewOutput()
		t := &engine.Task{Spec: spec, Params: plan.Params, Plan: plan, Inputs: inputs, Out: res, Progress: &enginetest.Progress{}}
		start := time.Now()
		if err := step.Run(context.Background(), t); err != nil {
			return err
		}
		d := time.Since(start)
		total += d
		if i == 0 || d < best {
			best = d
		}
	}
	fmt.Printf("analyze_eval: %d files, %d runs: best %v, mean %v, peak heap %.1f MB, peak RSS %.1f MB\n",
		len(inputs), *n, best.Round(time.Millisecond), (total / time.Duration(*n)).Round(time.Millisecond),
		peakHeapMB(), peakRSSMB())
	if *out != "" {
		for p, data := range res.Files {
			dst := filepath.Join(*out, p)
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(dst, data, 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}

// peakHeapMB is the heap size the Go runtime reached (bytes of heap spans).
func peakHeapMB() float64 {
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}}
	metrics.Read(s)
	return float64(s[0].Value.Uint64()) / 1e6
}
