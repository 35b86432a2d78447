package store

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDigestStat2: two files hashed together get DigestStat's answers and
// enter the stat cache; a known file is not read again; a file gone since
// its stat gets DigestStat's error, and the other its digest.
func TestDigestStat2(t *testing.T) {
	s := openTest(t)
	s.racyWindow = 0
	dir := t.TempDir()
	a, b, c := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json"), filepath.Join(dir, "c.json")
	long := strings.Repeat("0123456789abcdef", 40000) // 640,000 bytes: whole paired buffers, then a tail
	writeOld(t, a, long)
	writeOld(t, b, long[:1000])
	writeOld(t, c, "c")
	stat := func(p string) os.FileInfo { return statFile(t, p) }
	x, y := s.DigestStat2(a, b, stat(a), stat(b))
	if x.Err != nil || y.Err != nil {
		t.Fatal(x.Err, y.Err)
	}
	if x.Digest != DigestOf([]byte(long)) || x.Size != int64(len(long)) {
		t.Errorf("a: got (%s, %d), want the digest of its bytes", x.Digest.Short(), x.Size)
	}
	if y.Digest != DigestOf([]byte(long[:1000])) || y.Size != 1000 {
		t.Errorf("b: got (%s, %d), want the digest of its bytes", y.Digest.Short(), y.Size)
	}
	if got := s.hashes.Load(); got != 2 {
		t.Errorf("files hashed: %d, want 2", got)
	}
	for _, p := range []string{a, b} {
		if _, _, ok := s.KnownDigestStat(p, stat(p)); !ok {
			t.Errorf("%s: not in the stat cache after DigestStat2", filepath.Base(p))
		}
	}

	// a is known: only c is read.
	x, y = s.DigestStat2(a, c, stat(a), stat(c))
	if x.Digest != DigestOf([]byte(long)) || y.Digest != DigestOf([]byte("c")) || x.Err != nil || y.Err != nil {
		t.Errorf("a known, c not: got (%s, %v), (%s, %v)", x.Digest.Short(), x.Err, y.Digest.Short(), y.Err)
	}
	if got := s.hashes.Load(); got != 3 {
		t.Errorf("files hashed: %d, want 3 (a not again)", got)
	}

	// b replaced (another size, so not known) and removed after its stat:
	// its error is DigestStat's, a's digest stands.
	writeOld(t, b, "new")
	fb := stat(b)
	writeOld(t, a, long+"x")
	fa := stat(a)
	if err := os.Remove(b); err != nil {
		t.Fatal(err)
	}
	x, y = s.DigestStat2(a, b, fa, fb)
	if x.Err != nil || x.Digest != DigestOf([]byte(long+"x")) {
		t.Errorf("a: got (%s, %v), want its new digest", x.Digest.Short(), x.Err)
	}
	_, _, want := s.DigestStat(b, fb)
	if y.Err == nil || want == nil || y.Err.Error() != want.Error() {
		t.Errorf("b removed: got %v, want DigestStat's error %v", y.Err, want)
	}
}

// TestDigestStat2Relative: a relative path goes to DigestStat alone, as
// DigestStat sends it to DigestFile.
func TestDigestStat2Relative(t *testing.T) {
	s := openTest(t)
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.WriteFile("r.json", bytes.Repeat([]byte("r"), 100), 0o644); err != nil {
		t.Fatal(err)
	}
	abs := filepath.Join(dir, "q.json")
	if err := os.WriteFile(abs, []byte("q"), 0o644); err != nil {
		t.Fatal(err)
	}
	fr, _ := os.Stat("r.json")
	fq, _ := os.Stat(abs)
	x, y := s.DigestStat2("r.json", abs, fr, fq)
	if x.Err != nil || x.Digest != DigestOf(bytes.Repeat([]byte("r"), 100)) || y.Err != nil || y.Digest != DigestOf([]byte("q")) {
		t.Errorf("got (%s, %v), (%s, %v)", x.Digest.Short(), x.Err, y.Digest.Short(), y.Err)
	}
}
