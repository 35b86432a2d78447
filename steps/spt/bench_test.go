package spt_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/sptflow/sptflow/steps/spt"
)

// BenchmarkReadBatch parses and checks the published tagged batch files
// (what tag, infer and intervene pay per input file before their work).
func BenchmarkReadBatch(b *testing.B) {
	root := os.Getenv("SPT_REFERENCE_DATA")
	if root == "" {
		b.Skip("SPT_REFERENCE_DATA is not set")
	}
	paths, _ := filepath.Glob(filepath.Join(root, "stage_3_tagged", "*", "*.json"))
	var docs [][]byte
	var size int64
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		docs = append(docs, data)
		size += int64(len(data))
	}
	b.SetBytes(size)
	b.ResetTimer()
	for range b.N {
		for _, d := range docs {
			if _, err := spt.ReadBatch(d); err != nil {
				b.Fatal(err)
			}
		}
	}
}
