package store

import (
	"crypto/rand"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func randomBytes(b *testing.B, n int) []byte {
	buf := make([]byte, n)
	rand.Read(buf)
	return buf
}

var benchSizes = []struct {
	name string
	n    int
}{{"1KiB", 1 << 10}, {"1MiB", 1 << 20}}

func BenchmarkPutObject(b *testing.B) {
	for _, sz := range benchSizes {
		b.Run(sz.name, func(b *testing.B) {
			s := openTest(b)
			data := randomBytes(b, sz.n)
			b.SetBytes(int64(sz.n))
			i := uint64(0)
			for b.Loop() {
				binary.LittleEndian.PutUint64(data, i) // new content each time
				i++
				if _, err := s.PutObject(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkPutObjectExisting(b *testing.B) {
	s := openTest(b)
	data := randomBytes(b, 1<<20)
	s.PutObject(data)
	for b.Loop() {
		if _, err := s.PutObject(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadObject(b *testing.B) {
	for _, sz := range benchSizes {
		b.Run(sz.name, func(b *testing.B) {
			s := openTest(b)
			d, _ := s.PutObject(randomBytes(b, sz.n))
			b.SetBytes(int64(sz.n))
			for b.Loop() {
				if _, err := s.ReadObject(d); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkDigestFile(b *testing.B) {
	p := filepath.Join(b.TempDir(), "batch.json")
	os.WriteFile(p, randomBytes(b, 4<<20), 0o644)
	old := time.Now().Add(-time.Hour)
	os.Chtimes(p, old, old)
	b.Run("uncached/4MiB", func(b *testing.B) {
		b.SetBytes(4 << 20)
		for b.Loop() {
			s := openTest(b)
			if _, _, err := s.DigestFile(p); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cached/4MiB", func(b *testing.B) {
		s := openTest(b)
		s.racyWindow = 0
		s.DigestFile(p)
		for b.Loop() {
			if _, _, err := s.DigestFile(p); err != nil {
				b.Fatal(err)
			}
		}
		if s.hashes.Load() != 1 {
			b.Fatalf("hashed %d times, want 1", s.hashes.Load())
		}
	})
}

func BenchmarkRecordsPut(b *testing.B) { benchmarkPut(b, openTest(b).Records("requests")) }

// benchmarkPut puts 4 KiB records under new keys.
func benchmarkPut(b *testing.B, r recordStore) {
	data := randomBytes(b, 4<<10)
	b.SetBytes(int64(len(data)))
	i := 0
	for b.Loop() {
		var k [32]byte
		binary.LittleEndian.PutUint64(k[:], uint64(i))
		i++
		if err := r.Put(k, data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRecordsGet(b *testing.B) {
	r := openTest(b).Records("requests")
	r.Put(key("k"), randomBytes(b, 4<<10))
	for b.Loop() {
		if _, ok, err := r.Get(key("k")); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}
