package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
)

// startProfiles starts the profiles named by the undocumented environment
// variables SPTFLOW_CPUPROFILE (a CPU profile of the whole process) and
// SPTFLOW_MEMPROFILE (allocations, written at exit) and SPTFLOW_TRACE (an
// execution trace, for `go tool trace`: when each core was busy, and what
// each goroutine waited on), for measuring where a run's time goes (README,
// Benchmarks). The returned stop writes them out.
func startProfiles() (stop func()) {
	var stops []func()
	if p := os.Getenv("SPTFLOW_CPUPROFILE"); p != "" {
		f, err := os.Create(p)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "sptflow: cpu profile:", err)
		} else {
			stops = append(stops, func() { pprof.StopCPUProfile(); f.Close() })
		}
	}
	if p := os.Getenv("SPTFLOW_TRACE"); p != "" {
		f, err := os.Create(p)
		if err == nil {
			err = trace.Start(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "sptflow: trace:", err)
		} else {
			stops = append(stops, func() { trace.Stop(); f.Close() })
		}
	}
	if p := os.Getenv("SPTFLOW_MEMPROFILE"); p != "" {
		runtime.MemProfileRate = 64 << 10
		stops = append(stops, func() {
			f, err := os.Create(p)
			if err == nil {
				err = pprof.Lookup("allocs").WriteTo(f, 0)
				f.Close()
			}
			if err != nil {
				fmt.Fprintln(os.Stderr, "sptflow: memory profile:", err)
			}
		})
	}
	return func() {
		for _, s := range stops {
			s()
		}
	}
}
