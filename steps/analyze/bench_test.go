package analyze

import (
	"os"
	"path/filepath"
	"testing"
)

// refFiles reads every reference tagged file into memory.
func refFiles(b testing.TB) (names []string, data [][]byte, total int64) {
	b.Helper()
	names, _ = filepath.Glob(filepath.Join(refDir(b), "*", "*.json"))
	for _, n := range names {
		d, err := os.ReadFile(n)
		if err != nil {
			b.Fatal(err)
		}
		data = append(data, d)
		total += int64(len(d))
	}
	return names, data, total
}

// BenchmarkParse parses the reference files, on one core, as a worker does.
func BenchmarkParse(b *testing.B) {
	_, data, total := refFiles(b)
	b.SetBytes(total)
	var p parser
	for b.Loop() {
		for _, d := range data {
			if _, err := p.parseFile(d); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkDigest parses and digests the reference files, on one core.
func BenchmarkDigest(b *testing.B) {
	names, data, total := refFiles(b)
	b.SetBytes(total)
	var p parser
	for b.Loop() {
		for i, d := range data {
			raw, err := p.parseFile(d)
			if err != nil {
				b.Fatal(err)
			}
			fr := &fileResult{path: names[i], source: sourceName(names[i])}
			fr.digest(raw)
		}
	}
}
