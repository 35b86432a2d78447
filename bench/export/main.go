// Command export benchmarks the export step on the reference tagged data
// with config/training_config.json and every model: it prints the sample
// count, wall time and peak memory.
//
//	SPT_REFERENCE_DATA=/tmp/refdata go run ./bench/export [-n 5] [-model all] [-out DIR]
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
	ref := os.Getenv("SPT_REFERENCE_DATA")
	if ref == "" {
		return fmt.Errorf("set SPT_REFERENCE_DATA to the reference data directory")
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
	up, err := upstream(filepath.Join(ref, "stage_3_tagged"))
	if err != nil {
		return err
	}
	var best, total time.Duration
	var res *enginetest.Output
	for i := 0; i < *n; i++ {
		runtime.GC()
		res = enginetest.NewOutput()
		t := &engine.Task{Spec: spec, Params: plan.Params, Plan: plan, Inputs: inputs, Upstream: []engine.Upstream{up},
			Out: res, Progress: &enginetest.Progress{}}
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
	lines := 0
	for _, c := range res.Files[filepath.ToSlash(filepath.Join(plan.OutputDir, export.TrainFile))] {
		if c == '\n' {
			lines++
		}
	}
	fmt.Printf("export (model %s): %d files, %d train samples, %d runs: best %v, mean %v, peak heap %.1f MB, peak RSS %.1f MB\n",
		*model, len(up.Files), lines, *n, best.Round(time.Millisecond), (total / time.Duration(*n)).Round(time.Millisecond),
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

// upstream exposes dir/<topic>/*.json as one fan-in upstream output.
func upstream(dir string) (engine.Upstream, error) {
	u := engine.Upstream{ID: "tag", Node: "tag", Kind: "tag"}
	files, err := filepath.Glob(filepath.Join(dir, "*", "*.json"))
	if err != nil {
		return u, err
	}
	for _, f := range files {
		rel, _ := filepath.Rel(dir, f)
		u.Files = append(u.Files, enginetest.DiskFile("stage_3_tagged/"+filepath.ToSlash(rel), f))
	}
	return u, nil
}

func peakHeapMB() float64 {
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}}
	metrics.Read(s)
	return float64(s[0].Value.Uint64()) / 1e6
}
