package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
)

// startProfiles starts the profiles named by the undocumented environment
// variables SPTFLOW_CPUPROFILE (a CPU profile of the whole process),
// SPTFLOW_MEMPROFILE (allocations, written at exit) and SPTFLOW_TRACE (an
// execution trace, for `go tool trace`: when each core was busy, and what
// each goroutine waited on), for measuring where a run's time goes (README,
// Benchmarks). One that cannot be written is reported on stderr and left
// out. The returned stop writes them out.
func startProfiles() (stop func()) {
	var stops []func()
	for _, p := range []struct {
		env, what string
		start     func(io.Writer) error
		end       func()
	}{
		{"SPTFLOW_CPUPROFILE", "cpu profile", pprof.StartCPUProfile, pprof.StopCPUProfile},
		{"SPTFLOW_TRACE", "trace", trace.Start, trace.Stop},
	} {
		s, err := startStream(os.Getenv(p.env), p.start, p.end)
		if err != nil {
			fmt.Fprintf(os.Stderr, "sptflow: %s: %v\n", p.what, err)
		}
		if s != nil {
			stops = append(stops, s)
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

// startStream starts a profile that streams into the file at path, unless
// path is empty: start begins it on the file, and the stop it returns ends
// it (end) and closes the file. A file that cannot be created or a profile
// that cannot start is an error, and no profile.
func startStream(path string, start func(io.Writer) error, end func()) (stop func(), err error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := start(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { end(); f.Close() }, nil
}
