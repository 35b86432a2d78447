package tag

import (
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/sptflow/sptflow/internal/refdata"
	"github.com/sptflow/sptflow/steps/spt"
)

// benchFiles returns the batch files the fast-path benchmarks tag: those
// below $SPT_TAG_BENCH_DIR (<dir>/<topic>/*.json, e.g. the untagged copies
// bench/tag -prepare writes), else the published files rewritten in the
// stage-3 writers' form (UTF-8, tags kept).
func benchFiles(b *testing.B) (names []string, files [][]byte, size int64) {
	b.Helper()
	var paths []string
	dir := os.Getenv("SPT_TAG_BENCH_DIR")
	if dir == "" {
		root := refdata.Dir(b, "stage_3_tagged")
		paths, _ = filepath.Glob(filepath.Join(root, "stage_3_tagged", "*", "*.json"))
	} else {
		paths, _ = filepath.Glob(filepath.Join(dir, "*", "*.json"))
	}
	if len(paths) == 0 {
		b.Skip("no batch files")
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		if dir == "" {
			doc, err := spt.ReadBatch(data)
			if err != nil {
				b.Fatal(err)
			}
			if data, err = spt.EncodeBatch(doc); err != nil {
				b.Fatal(err)
			}
		}
		names = append(names, spt.Stem(filepath.Base(p)))
		files = append(files, data)
		size += int64(len(data))
	}
	return names, files, size
}

// BenchmarkFastPath tags every file on the fast path, one after another
// (no reading, no store): the tag step's own CPU. analyze and emit are
// also timed alone.
func BenchmarkFastPath(b *testing.B) {
	names, files, size := benchFiles(b)
	analyzed := make([]*fastFile, len(files))
	for i, data := range files {
		ff, err := analyze(data, names[i])
		if err != nil {
			b.Fatalf("%s: %v", names[i], err)
		}
		analyzed[i] = ff
	}
	b.Run("analyze", func(b *testing.B) {
		b.SetBytes(size)
		defer reportCPU(b)()
		for b.Loop() {
			for i, data := range files {
				if _, err := analyze(data, names[i]); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("emit", func(b *testing.B) {
		b.SetBytes(size)
		defer reportCPU(b)()
		for b.Loop() {
			for _, ff := range analyzed {
				if err := ff.emit(io.Discard, 1); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("both", func(b *testing.B) {
		b.SetBytes(size)
		defer reportCPU(b)()
		for b.Loop() {
			for i, data := range files {
				ff, err := analyze(data, names[i])
				if err != nil {
					b.Fatal(err)
				}
				if err := ff.emit(io.Discard, 1); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}

// reportCPU starts counting the process's CPU time (user+sys); the function
// it returns reports it per op as cpu-ms/op, which load on the machine
// disturbs less than wall time.
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() { b.ReportMetric(float64(cpuTime()-start)/1e6/float64(b.N), "cpu-ms/op") }
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkKeywordScan runs the leakage keyword scan over every I and R
// text of the benchmark files: run, and the byte-at-a-time scan it
// replaced (runReference), for comparison in one process.
func BenchmarkKeywordScan(b *testing.B) {
	_, files, _ := benchFiles(b)
	var texts []string
	var size int64
	for _, data := range files {
		doc, err := spt.ReadBatch(data)
		if err != nil {
			b.Fatal(err)
		}
		items, _ := spt.Data(doc)
		for i := range items {
			item, err := spt.Item(items, i)
			if err != nil {
				b.Fatal(err)
			}
			models, _ := spt.Models(item)
			for _, m := range models {
				for _, name := range spt.Variants {
					v, _ := spt.Variant(m.Obj, name)
					if v == nil {
						continue
					}
					recs, _, _ := spt.Interventions(v)
					for _, r := range recs {
						for _, k := range []string{"I", "R"} {
							if s, ok := r.Obj.Get(k); ok {
								if s, ok := s.(string); ok {
									texts = append(texts, s)
									size += int64(len(s))
								}
							}
						}
					}
				}
			}
		}
	}
	var sc scan
	for _, scanner := range []struct {
		name string
		run  func(string)
	}{{"run", sc.run}, {"reference", sc.runReference}} {
		b.Run(scanner.name, func(b *testing.B) {
			b.SetBytes(size)
			defer reportCPU(b)()
			for b.Loop() {
				for _, s := range texts {
					scanner.run(s)
				}
			}
		})
	}
}
