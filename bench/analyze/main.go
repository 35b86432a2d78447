// Command analyze-bench runs the analyze step over the reference tagged data
// ($SPT_REFERENCE_DATA/stage_3_tagged, or -data) and prints its wall time and
// peak memory; with -out it also writes the outputs to a directory.
//
//	go run ./bench/analyze -runs 5
//
// Peak memory is the process's peak resident set (VmHWM), so the figure
// covers everything the step touched, runtime included.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/engine/enginetest"
	"github.com/sptflow/sptflow/steps/analyze"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "analyze-bench:", err)
		os.Exit(1)
	}
}

func run() error {
	data := flag.String("data", filepath.Join(os.Getenv("SPT_REFERENCE_DATA"), "stage_3_tagged"), "tagged data directory")
	runs := flag.Int("runs", 3, "number of timed runs")
	out := flag.String("out", "", "write the outputs of the last run below this directory")
	cpu := flag.String("cpuprofile", "", "write a CPU profile of the timed runs to this file")
	flag.Parse()
	if *cpu != "" {
		f, err := os.Create(*cpu)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	up, n, err := upstream(*data)
	if err != nil {
		return err
	}
	step := analyze.New()
	spec := enginetest.Spec(analyze.Kind, os.TempDir(), map[string]any{"ignore_errors": true})
	plan, err := step.Resolve(spec)
	if err != nil {
		return err
	}
	var res *enginetest.Output
	var times []time.Duration
	for i := 0; i < *runs; i++ {
		res = enginetest.NewOutput()
		task := &engine.Task{Spec: spec, Params: plan.Params, Plan: plan, Upstream: []engine.Upstream{up},
			Out: res, Progress: &enginetest.Progress{}, Usage: &enginetest.Progress{}, Log: zerolog.Nop()}
		start := time.Now()
		if err := step.Run(context.Background(), task); err != nil {
			return err
		}
		times = append(times, time.Since(start))
		runtime.GC()
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	fmt.Printf("analyze: %d files, %d runs, GOMAXPROCS=%d\n", n, *runs, runtime.GOMAXPROCS(0))
	fmt.Printf("wall time: min %v, median %v, max %v (goal <= 0.5s)\n", times[0].Round(time.Millisecond),
		times[len(times)/2].Round(time.Millisecond), times[len(times)-1].Round(time.Millisecond))
	fmt.Printf("peak RSS: %s (goal <= 100 MB)\n", peakRSS())
	if *out != "" {
		return writeOut(*out, res)
	}
	return nil
}

// upstream exposes the *.json files below dir as one upstream partition.
func upstream(dir string) (engine.Upstream, int, error) {
	u := engine.Upstream{ID: "tag", Node: "tag", Kind: "tag"}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		info, err := d.Info()
		if err != nil {
			return err
		}
		f := enginetest.DiskFile("stage_3_tagged/"+filepath.ToSlash(rel), p)
		f.Size = info.Size()
		u.Files = append(u.Files, f)
		return nil
	})
	if err == nil && len(u.Files) == 0 {
		err = fmt.Errorf("no *.json files below %s (set SPT_REFERENCE_DATA or -data)", dir)
	}
	return u, len(u.Files), err
}

func peakRSS() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func writeOut(dir string, o *enginetest.Output) error {
	for _, p := range o.Paths() {
		dst := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(dst, o.Files[p], 0o644); err != nil {
			return err
		}
	}
	_, err := io.WriteString(os.Stdout, fmt.Sprintf("wrote %d files below %s\n", len(o.Files), dir))
	return err
}
