// Command analyze-bench runs the analyze step over the reference tagged data
// ($SPT_REFERENCE_DATA/stage_3_tagged, or -data) and prints its wall time,
// CPU time and peak memory; with -out it also writes the outputs of the
// last run to a directory.
//
//	go run ./bench/analyze -runs 5
//
// The step writes to a throwaway Output that keeps only each file's size
// and SHA-256 (or, with -out, writes each file to disk as it comes), so the
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
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"syscall"
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
	mem := flag.String("memprofile", "", "write a heap profile (after the last run) to this file")
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
	spec := enginetest.Spec(analyze.Kind, os.TempDir(), nil)
	plan, err := step.Resolve(spec)
	if err != nil {
		return err
	}
	var res *sink
	var times []time.Duration
	cpu0 := cpuTime()
	for i := 0; i < *runs; i++ {
		res = &sink{files: map[string]fileSum{}}
		if i == *runs-1 {
			res.dir = *out
		}
		task := &engine.Task{Spec: spec, Params: plan.Params, Plan: plan, Upstream: []engine.Upstream{up},
			Out: res, Progress: &enginetest.Progress{}, Usage: &enginetest.Progress{}, Log: zerolog.Nop()}
		start := time.Now()
		if err := step.Run(context.Background(), task); err != nil {
			return err
		}
		times = append(times, time.Since(start))
		runtime.GC()
	}
	cpuUsed := cpuTime() - cpu0
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	fmt.Printf("analyze: %d files, %d runs, GOMAXPROCS=%d, load average %s\n", n, *runs, runtime.GOMAXPROCS(0), loadAvg())
	fmt.Printf("wall time: min %v, median %v, max %v (goal <= 0.5s)\n", times[0].Round(time.Millisecond),
		times[len(times)/2].Round(time.Millisecond), times[len(times)-1].Round(time.Millisecond))
	fmt.Printf("CPU time (user+sys) per run: %v\n", (cpuUsed / time.Duration(*runs)).Round(time.Millisecond))
	fmt.Printf("peak RSS: %s (goal <= 100 MB)\n", peakRSS())
	fmt.Printf("output: %d files, %d bytes\n", len(res.files), res.total())
	if *mem != "" {
		if err := writeHeapProfile(*mem); err != nil {
			return err
		}
	}
	if *out != "" {
		fmt.Printf("wrote %d files below %s\n", len(res.files), *out)
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

// cpuTime is the process's user+sys CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return pprof.Lookup("allocs").WriteTo(f, 0)
}
