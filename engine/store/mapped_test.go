package store

import (
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sptflow/sptflow/internal/mapped"
)

// Files around the size from which they are mapped get the digests of
// their bytes, alone and in pairs.
func TestDigestAroundMapMin(t *testing.T) {
	s := openTest(t)
	s.racyWindow = 0
	dir := t.TempDir()
	body := strings.Repeat("0123456789abcdef", 3*mapMin/16+1)
	sizes := []int{mapMin - 1, mapMin, mapMin + 1, 3*mapMin + 5}
	stat := func(p string) os.FileInfo { return statFile(t, p) }
	for i, na := range sizes {
		for j, nb := range sizes {
			a := filepath.Join(dir, "a", string(rune('0'+i)), string(rune('0'+j)))
			b := a + ".b"
			if err := os.MkdirAll(filepath.Dir(a), 0o755); err != nil {
				t.Fatal(err)
			}
			writeOld(t, a, body[:na])
			writeOld(t, b, body[1:nb+1])
			x, y := s.DigestStat2(a, b, stat(a), stat(b))
			if x.Err != nil || y.Err != nil || x.Digest != DigestOf([]byte(body[:na])) || y.Digest != DigestOf([]byte(body[1:nb+1])) {
				t.Errorf("%d and %d bytes: got (%s, %v), (%s, %v)", na, nb, x.Digest.Short(), x.Err, y.Digest.Short(), y.Err)
			}
		}
		one := filepath.Join(dir, "one", string(rune('0'+i)))
		if err := os.MkdirAll(filepath.Dir(one), 0o755); err != nil {
			t.Fatal(err)
		}
		writeOld(t, one, body[2:na+2])
		if d, n, err := s.DigestStat(one, stat(one)); err != nil || d != DigestOf([]byte(body[2:na+2])) || n != int64(na) {
			t.Errorf("%d bytes alone: got (%s, %d, %v)", na, d.Short(), n, err)
		}
	}
}

// A mapped file that shrank before or while it was hashed is a
// mapped.FaultError, not a crash and not a digest: the caller hashes it
// again (hashStable), or each of a pair alone (settle).
func TestSumOfShrunkFile(t *testing.T) {
	dir := t.TempDir()
	open := func(name string, size int) *os.File {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(strings.Repeat("x", size)), 0o644); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	const size = 4 * mapMin
	f := open("alone", size)
	if _, err := mapped.Open(f, size); errors.Is(err, mapped.ErrUnsupported) {
		t.Skip("files are not mapped on this system")
	}
	if err := os.Truncate(f.Name(), 10); err != nil {
		t.Fatal(err)
	}
	var fault *mapped.FaultError
	if _, _, _, err := sumFile(f, size, nil); !errors.As(err, &fault) {
		t.Errorf("a file shrunk under its mapping: got %v, want a mapped.FaultError", err)
	}

	fa, fb := open("a", size), open("b", size)
	if err := os.Truncate(fb.Name(), mapMin); err != nil {
		t.Fatal(err)
	}
	x, y, _, _ := sum2Files(fa, fb, size, size, nil, nil)
	if !errors.As(x.Err, &fault) || !errors.As(y.Err, &fault) {
		t.Errorf("one of a pair shrunk: got %v and %v, want a mapped.FaultError for both", x.Err, y.Err)
	}
	if x.Sum == sha256.Sum256([]byte(strings.Repeat("x", size))) {
		t.Error("a digest was given for a pair whose hashing faulted")
	}
}

// An observer sees the bytes its file's digest is of, in the same read:
// of a pair, of a file alone, and not of a file that is read rather than
// mapped (too small) or not read at all (known to the stat cache).
func TestDigestObserved(t *testing.T) {
	s := openTest(t)
	s.racyWindow = 0
	dir := t.TempDir()
	body := strings.Repeat("0123456789abcdef", mapMin/16*3)
	files := map[string]string{"a": body[:2*mapMin+5], "b": body[7 : mapMin+7], "c": body[:mapMin+100], "small": body[:100]}
	paths := map[string]string{}
	for name, content := range files {
		paths[name] = filepath.Join(dir, name)
		writeOld(t, paths[name], content)
	}
	stat := func(name string) os.FileInfo { return statFile(t, paths[name]) }
	seen := map[string]Digest{}
	observer := func(name string) Observer {
		return func(data []byte) { seen[name] = DigestOf(data) } // one file at a time here
	}
	x, y := s.DigestStat2Observed(paths["a"], paths["b"], stat("a"), stat("b"), observer("a"), observer("b"))
	for name, got := range map[string]FileDigest{"a": x, "b": y} {
		if got.Err != nil || !got.Observed || seen[name] != got.Digest || got.Digest != DigestOf([]byte(files[name])) {
			t.Errorf("%s of a pair: got %+v, observer saw %s", name, got, seen[name].Short())
		}
	}
	d, _, observed, err := s.DigestStatObserved(paths["c"], stat("c"), observer("c"))
	if err != nil || !observed || seen["c"] != d || d != DigestOf([]byte(files["c"])) {
		t.Errorf("c alone: got (%s, %v, %v), observer saw %s", d.Short(), observed, err, seen["c"].Short())
	}
	clear(seen)
	x, y = s.DigestStat2Observed(paths["a"], paths["small"], stat("a"), stat("small"), observer("a"), observer("small"))
	if x.Observed || y.Observed || len(seen) != 0 || y.Digest != DigestOf([]byte(files["small"])) {
		t.Errorf("a known, small read: got %+v and %+v, observers saw %v", x, y, seen)
	}
}
