package store

import (
	"os"
	"path/filepath"
	"time"

	"github.com/sptflow/sptflow/internal/sha256x2"
	"github.com/sptflow/sptflow/regfile"
)

// FileDigest is what DigestStat returns for one file: its digest and size,
// or why it has none.
type FileDigest struct {
	Digest Digest
	Size   int64
	Err    error
	// Observed says that the file's observer (DigestStat2Observed) saw
	// the bytes Digest is the digest of, and that the file did not change
	// while it was read.
	Observed bool
}

// DigestStat2 is DigestStat of two files at once. When the stat cache
// vouches for neither, both are read side by side and hashed together
// (internal/sha256x2: SHA-256 of two streams in about the time of one); a
// file the cache knows, or one that is not an absolute path to a regular
// file, goes to DigestStat alone. A file that fails to read or changes
// while it is read is digested again alone by DigestStat, which retries
// and words the error as for any single file.
func (s *Store) DigestStat2(a, b string, fa, fb os.FileInfo) (x, y FileDigest) {
	return s.DigestStat2Observed(a, b, fa, fb, nil, nil)
}

// DigestStat2Observed is DigestStat2 that hands each file's bytes, as it
// hashes them, to its observer (oa, ob; either may be nil; see Observer).
// A file the stat cache knows is not read, so not observed.
func (s *Store) DigestStat2Observed(a, b string, fa, fb os.FileInfo, oa, ob Observer) (x, y FileDigest) {
	single := func(abs string, fi os.FileInfo, o Observer) FileDigest {
		d, n, observed, err := s.DigestStatObserved(abs, fi, o)
		return FileDigest{Digest: d, Size: n, Err: err, Observed: observed}
	}
	if !s.mustHash(a, fa) || !s.mustHash(b, fb) {
		return single(a, fa, oa), single(b, fb, ob)
	}
	a, b = filepath.Clean(a), filepath.Clean(b) // as DigestStat keys the stat cache
	start := time.Now()
	ra, rb, ok := s.hashPairOnce(a, b, oa, ob)
	if !ok {
		return single(a, fa, oa), single(b, fb, ob)
	}
	x, y = s.settle(a, fa, ra, start, oa), s.settle(b, fb, rb, start, ob)
	return x, y
}

// mustHash reports whether DigestStat2 hashes the file at abs itself:
// an absolute path to a regular file that the stat cache does not vouch
// for.
func (s *Store) mustHash(abs string, fi os.FileInfo) bool {
	if !filepath.IsAbs(abs) || !fi.Mode().IsRegular() {
		return false
	}
	_, known := s.knownDigest(filepath.Clean(abs), fi)
	return !known
}

// pairRead is one file's part of hashPairOnce.
type pairRead struct {
	sum           sha256x2.Result
	before, after fileSig
	observed      bool
}

// hashPairOnce reads and hashes the files at a and b together, as hashOnce
// does one; ok is false when either cannot be opened (DigestStat then
// gives each its own answer).
func (s *Store) hashPairOnce(a, b string, oa, ob Observer) (ra, rb pairRead, ok bool) {
	fa, fia, err := regfile.Open(a, 0)
	if err != nil {
		return ra, rb, false
	}
	defer fa.Close()
	fb, fib, err := regfile.Open(b, 0)
	if err != nil {
		return ra, rb, false
	}
	defer fb.Close()
	ra.sum, rb.sum, ra.observed, rb.observed = sum2Files(fa, fb, fia.Size(), fib.Size(), oa, ob)
	s.hashes.Add(2)
	ra.before, rb.before = sigOf(fia), sigOf(fib)
	if fi, err := fa.Stat(); err == nil {
		ra.after = sigOf(fi)
	}
	if fi, err := fb.Stat(); err == nil {
		rb.after = sigOf(fi)
	}
	return ra, rb, true
}

// settle turns one file's part of a paired read into DigestStat's answer:
// recorded in the stat cache as hashStable records it, or, if the read
// failed or the file changed while it was read, DigestStat of it alone
// (observed by o again).
func (s *Store) settle(abs string, fi os.FileInfo, r pairRead, start time.Time, o Observer) FileDigest {
	if r.sum.Err != nil || r.before != r.after || r.after.Size != r.sum.N {
		d, n, observed, err := s.digestStatObserved(abs, abs, fi, o)
		return FileDigest{Digest: d, Size: n, Err: err, Observed: observed}
	}
	d := Digest(r.sum.Sum)
	s.record(abs, r.after, d, start)
	return FileDigest{Digest: d, Size: r.after.Size, Observed: r.observed}
}
