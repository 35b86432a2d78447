package store

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func writeOld(t *testing.T, p, content string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	os.Chtimes(p, old, old)
}

func TestDigestFileCache(t *testing.T) {
	s := openTest(t)
	s.racyWindow = 0
	p := filepath.Join(t.TempDir(), "batch_0.json")
	writeOld(t, p, "hello")

	check := func(wantContent string, wantHashes int64) {
		t.Helper()
		d, n, err := s.DigestFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if d != DigestOf([]byte(wantContent)) || n != int64(len(wantContent)) {
			t.Errorf("DigestFile: got (%s, %d), want digest of %q", d.Short(), n, wantContent)
		}
		if got := s.hashes.Load(); got != wantHashes {
			t.Errorf("files hashed: got %d, want %d", got, wantHashes)
		}
	}
	check("hello", 1)
	check("hello", 1) // cached
	writeOld(t, p, "world")
	check("world", 2) // same size, same mtime: ctime changed
	writeOld(t, p, "longer content")
	check("longer content", 3)

	if err := s.SaveStatCache(); err != nil {
		t.Fatal(err)
	}
	s2, _ := Open(s.Dir())
	s2.racyWindow = 0
	if d, _, _ := s2.DigestFile(p); d != DigestOf([]byte("longer content")) || s2.hashes.Load() != 0 {
		t.Errorf("reopened store: digest %s, hashed %d files, want 0", d.Short(), s2.hashes.Load())
	}
}

func TestDigestFileRacyNotCached(t *testing.T) {
	s := openTest(t)
	p := filepath.Join(t.TempDir(), "fresh")
	os.WriteFile(p, []byte("just written"), 0o644)
	for range 2 {
		if _, _, err := s.DigestFile(p); err != nil {
			t.Fatal(err)
		}
	}
	if got := s.hashes.Load(); got != 2 {
		t.Fatalf("a just-modified file was cached: hashed %d times, want 2", got)
	}
}

func TestDigestFileErrors(t *testing.T) {
	s := openTest(t)
	dir := t.TempDir()
	for _, p := range []string{filepath.Join(dir, "missing"), dir} {
		if _, _, err := s.DigestFile(p); err == nil {
			t.Errorf("DigestFile(%s) succeeded", p)
		}
	}
}

func TestStatCacheCorruptIsEmpty(t *testing.T) {
	s := openTest(t)
	os.WriteFile(s.statCachePath(), []byte("{not json"), 0o644)
	s.racyWindow = 0
	p := filepath.Join(t.TempDir(), "f")
	writeOld(t, p, "x")
	if d, _, err := s.DigestFile(p); err != nil || d != DigestOf([]byte("x")) {
		t.Fatalf("got %s, %v", d.Short(), err)
	}
	if err := s.SaveStatCache(); err != nil {
		t.Fatal(err)
	}
}

func TestDigestFileConcurrent(t *testing.T) {
	s := openTest(t)
	s.racyWindow = 0
	dir := t.TempDir()
	var paths []string
	for _, n := range []string{"a", "b", "c", "d"} {
		p := filepath.Join(dir, n)
		writeOld(t, p, n)
		paths = append(paths, p)
	}
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			p := paths[i%len(paths)]
			d, _, err := s.DigestFile(p)
			if err != nil || d != DigestOf([]byte(filepath.Base(p))) {
				t.Errorf("%s: %s, %v", p, d.Short(), err)
			}
			if i%5 == 0 {
				if err := s.SaveStatCache(); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
}

func TestSaveStatCachePrunesDeletedFiles(t *testing.T) {
	s := openTest(t)
	s.racyWindow = 0
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	writeOld(t, a, "a")
	writeOld(t, b, "b")
	s.DigestFile(a)
	s.DigestFile(b)
	s.SaveStatCache()

	os.Remove(a)
	s2, _ := Open(s.Dir())
	s2.racyWindow = 0
	c := filepath.Join(dir, "c")
	writeOld(t, c, "c")
	s2.DigestFile(c) // makes the cache dirty
	if err := s2.SaveStatCache(); err != nil {
		t.Fatal(err)
	}
	s3, _ := Open(s.Dir())
	s3.loadStatCache()
	_, hasA := s3.stat.files[a]
	_, hasB := s3.stat.files[b]
	_, hasC := s3.stat.files[c]
	if hasA || !hasB || !hasC {
		t.Fatalf("entries after save: a=%v b=%v c=%v, want false true true", hasA, hasB, hasC)
	}
}

// TestKnownDigestStat: the stat cache's answer without reading the file,
// as DigestStat would give it, and nothing for a file it does not know.
func TestKnownDigestStat(t *testing.T) {
	s := openTest(t)
	s.racyWindow = 0
	dir := t.TempDir()
	p := filepath.Join(dir, "a.json")
	writeOld(t, p, "hello")
	stat := func() os.FileInfo {
		t.Helper()
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		return fi
	}
	if _, _, ok := s.KnownDigestStat(p, stat()); ok {
		t.Fatal("known before the file was ever hashed")
	}
	if _, _, err := s.DigestStat(p, stat()); err != nil {
		t.Fatal(err)
	}
	d, size, ok := s.KnownDigestStat(p, stat())
	if !ok || d != DigestOf([]byte("hello")) || size != 5 {
		t.Errorf("after hashing: got (%s, %d, %v), want the digest of hello, 5, true", d.Short(), size, ok)
	}
	if _, _, ok := s.KnownDigestStat(filepath.Join(dir, ".", "a.json"), stat()); !ok {
		t.Error("an unclean absolute path: not known, want the same entry")
	}
	if _, _, ok := s.KnownDigestStat("a.json", stat()); ok {
		t.Error("a relative path: known, want not (DigestStat reads it)")
	}
	if got := s.hashes.Load(); got != 1 {
		t.Errorf("files hashed: %d, want 1 (KnownDigestStat reads nothing)", got)
	}
	writeOld(t, p, "world")
	if _, _, ok := s.KnownDigestStat(p, stat()); ok {
		t.Error("known after the file changed")
	}

	// A path asked for is marked used, as DigestStat marks it: saving the
	// cache then spares it the check that the file still exists.
	if !s.stat.used[p] {
		t.Error("a path asked for by KnownDigestStat is not marked used")
	}
}
