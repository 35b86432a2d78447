package evalreport

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkParseRunReference parses every reference result file held in
// memory (SPT_REFERENCE_DATA), without reading, each copied first into one
// reused buffer as LoadRuns reads it (so it is in the cache, as after a
// read): the parser's own cost plus a memory copy.
func BenchmarkParseRunReference(b *testing.B) {
	ref := os.Getenv("SPT_REFERENCE_DATA")
	if ref == "" {
		b.Skip("SPT_REFERENCE_DATA not set")
	}
	names, err := filepath.Glob(filepath.Join(ref, "evaluation_results", resultsPattern))
	if err != nil || len(names) == 0 {
		b.Skipf("no result files below %s (%v)", ref, err)
	}
	var data [][]byte
	var size int64
	for _, n := range names {
		d, err := os.ReadFile(n)
		if err != nil {
			b.Fatal(err)
		}
		data = append(data, d)
		size += int64(len(d))
	}
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	var buf []byte
	for range b.N {
		for i, d := range data {
			buf = append(buf[:0], d...)
			if _, err := ParseRun(filepath.Base(names[i]), buf); err != nil {
				b.Fatal(err)
			}
		}
	}
}
