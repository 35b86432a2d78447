package evalreport

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkParseRunReference parses every reference result file held in
// memory (SPT_REFERENCE_DATA), without reading: the scanner's own cost.
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
	for range b.N {
		for i, d := range data {
			if _, err := ParseRun(filepath.Base(names[i]), d); err != nil {
				b.Fatal(err)
			}
		}
	}
}
