package main

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"
)

// BenchmarkNoopCommand runs one sptflow command in-process, again and
// again, in a project where it is a no-op: bench/noop/run.sh's project,
// for a CPU profile of the no-op's own work without the process start.
//
//	SPTFLOW_NOOP_DIR=/tmp/sptflow-bench-noop/proj \
//	SPTFLOW_NOOP_ARGS='run pipelines/reference.yaml --set source=… --set eval_results=…' \
//	go test ./cmd/sptflow -run '^$' -bench NoopCommand -cpuprofile cpu.out
func BenchmarkNoopCommand(b *testing.B) {
	dir, args := os.Getenv("SPTFLOW_NOOP_DIR"), strings.Fields(os.Getenv("SPTFLOW_NOOP_ARGS"))
	if dir == "" || len(args) == 0 {
		b.Skip("set SPTFLOW_NOOP_DIR and SPTFLOW_NOOP_ARGS")
	}
	b.Chdir(dir)
	b.ReportAllocs()
	for b.Loop() {
		if err := run(context.Background(), args, io.Discard, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
