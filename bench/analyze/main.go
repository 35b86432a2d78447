// Command analyze-bench runs the analyze step over the reference tagged data
// ($SPT_REFERENCE_DATA/stage_3_tagged, or -data) and prints its wall time,
// CPU time and peak memory; with -out it also writes the outputs of the
// last run to a directory.
//
//	go run ./bench/analyze -runs 5
//
// The step writes to a throwaway Output that keeps only each file's size
// and SHA-256, hashed as it is written as the engine's store does (or, with -out, writes each file to disk as it comes), so the
// figures are the step's, not the harness's. Peak memory is the process's
// peak resident set (VmHWM): everything the step touched, runtime
// included. CPU time (user+sys of the process over the timed runs) is the
// figure to trust on a loaded machine; wall time is only meaningful when
// `uptime` shows a low load.
package main

import (
	"context"
	"crypto/sha256"
	"flag"
	"fmt"
	"hash"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/sptflow/sptflow/bench/internal/harness"
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
	mem := flag.String("memprofile", "", "write a heap profile (after the last run) to this file")
	flag.Parse()
	stop, err := harness.StartCPUProfile(*cpu)
	if err != nil {
		return err
	}
	defer stop()
	up, err := harness.TaggedUpstream(*data)
	if err != nil {
		return fmt.Errorf("%w (set SPT_REFERENCE_DATA or -data)", err)
	}
	step := analyze.New()
	spec := enginetest.Spec(analyze.Kind, os.TempDir(), nil)
	plan, err := step.Resolve(spec)
	if err != nil {
		return err
	}
	var res *sink
	tm, err := harness.Time(*runs, func(i int) error {
		res = &sink{files: map[string]fileSum{}}
		if i == *runs-1 {
			res.dir = *out
		}
		task := &engine.Task{Spec: spec, Params: plan.Params, Plan: plan, Upstream: []engine.Upstream{up},
			Out: res, Progress: &enginetest.Progress{}, Usage: &enginetest.Progress{}, Log: zerolog.Nop()}
		return step.Run(context.Background(), task)
	})
	if err != nil {
		return err
	}
	fmt.Printf("analyze: %d files, %d runs, GOMAXPROCS=%d, load average %s\n", len(up.Files), *runs, runtime.GOMAXPROCS(0), harness.LoadAvg())
	fmt.Printf("wall time: min %v, median %v, max %v (goal <= 0.5s)\n", tm.Min().Round(time.Millisecond),
		tm.Median().Round(time.Millisecond), tm.Max().Round(time.Millisecond))
	fmt.Printf("CPU time (user+sys) per run: %v\n", tm.CPUPerRun().Round(time.Millisecond))
	fmt.Printf("peak RSS: %.1f MB (goal <= 100 MB)\n", harness.PeakRSSMB())
	fmt.Printf("output: %d files, %d bytes\n", len(res.files), res.total())
	if *mem != "" {
		if err := harness.WriteAllocsProfile(*mem); err != nil {
			return err
		}
	}
	if *out != "" {
		fmt.Printf("wrote %d files below %s\n", len(res.files), *out)
	}
	return nil
}

// sink is a throwaway engine.Output: it keeps each file's size and
// SHA-256, and writes the file below dir when dir is set.
type sink struct {
	mu    sync.Mutex
	dir   string
	files map[string]fileSum
}

type fileSum struct {
	size int
	sum  [sha256.Size]byte
}

func (s *sink) WriteFile(rel string, data []byte) error {
	if s.dir != "" {
		dst := filepath.Join(s.dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[rel] = fileSum{len(data), sha256.Sum256(data)}
	return nil
}

// Create implements engine.StreamOutput as the engine's output does:
// the file is hashed as it is written, never held whole in memory.
func (s *sink) Create(rel string) (engine.FileWriter, error) {
	if s.dir != "" { // write it whole, to disk
		return &bufWriter{s: s, rel: rel}, nil
	}
	return &hashWriter{s: s, rel: rel, h: sha256.New()}, nil
}

type hashWriter struct {
	s    *sink
	rel  string
	h    hash.Hash
	size int
}

func (w *hashWriter) Write(p []byte) (int, error) {
	w.size += len(p)
	return w.h.Write(p)
}

func (w *hashWriter) WriteString(p string) (int, error) { return w.Write([]byte(p)) }

func (w *hashWriter) Close() error {
	var sum [sha256.Size]byte
	w.h.Sum(sum[:0])
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	w.s.files[w.rel] = fileSum{w.size, sum}
	return nil
}

func (w *hashWriter) Abort() {}

type bufWriter struct {
	s   *sink
	rel string
	buf []byte
}

func (w *bufWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	return len(p), nil
}

func (w *bufWriter) WriteString(p string) (int, error) {
	w.buf = append(w.buf, p...)
	return len(p), nil
}

func (w *bufWriter) Close() error { return w.s.WriteFile(w.rel, w.buf) }

func (w *bufWriter) Abort() {}

func (s *sink) Reference(rel string, f engine.InputFile) error {
	return fmt.Errorf("analyze does not reference inputs (%s)", rel)
}

func (s *sink) total() int {
	n := 0
	for _, f := range s.files {
		n += f.size
	}
	return n
}
