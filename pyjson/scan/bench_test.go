package scan_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/sptflow/sptflow/pyjson/scan"
)

// referenceFiles reads the published tagged batch files, or skips.
func referenceFiles(b *testing.B) ([][]byte, int64) {
	root := os.Getenv("SPT_REFERENCE_DATA")
	if root == "" {
		b.Skip("SPT_REFERENCE_DATA is not set (the unpacked reference data directory)")
	}
	paths, err := filepath.Glob(filepath.Join(root, "stage_3_tagged", "*", "*.json"))
	if err != nil || len(paths) == 0 {
		b.Fatalf("no stage_3_tagged/*/*.json below %s", root)
	}
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
	return docs, size
}

// BenchmarkSkip skips whole documents (what a step pays for the parts it
// does not read).
func BenchmarkSkip(b *testing.B) {
	docs, size := referenceFiles(b)
	b.SetBytes(size)
	b.ResetTimer()
	for range b.N {
		for _, d := range docs {
			s := scan.New(d)
			if _, err := s.Skip(); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkWalk visits every key of every object and decodes every string
// and number: the most a step can ask of the scanner.
func BenchmarkWalk(b *testing.B) {
	docs, size := referenceFiles(b)
	b.SetBytes(size)
	b.ResetTimer()
	for range b.N {
		for _, d := range docs {
			if _, err := parseWithScanner(d); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkCheckUTF8 checks whole documents for invalid UTF-8.
func BenchmarkCheckUTF8(b *testing.B) {
	docs, size := referenceFiles(b)
	b.SetBytes(size)
	for b.Loop() {
		for _, d := range docs {
			if err := scan.CheckUTF8(d); err != nil {
				b.Fatal(err)
			}
		}
	}
}
