package store

import (
	"crypto/sha256"
	"os"

	"github.com/sptflow/sptflow/internal/mapped"
	"github.com/sptflow/sptflow/internal/sha256x2"
)

// Files of mapMin bytes or more are hashed through a read-only mapping
// (internal/mapped) where the system allows it: SHA-256 then reads the page
// cache's pages in place instead of a copy that read(2) makes of them,
// which costs the kernel about a tenth of what SHA-256 costs. Smaller files
// are read: mapping one costs more than copying it.
const mapMin = copyBufferSize

// sumFile returns the SHA-256 of the open file f, whose size was size
// when it was opened, and the bytes it hashed. A mapped file that shrinks
// while it is hashed is a *mapped.FaultError (the caller hashes again: it
// changed while being read).
func sumFile(f *os.File, size int64) (d Digest, n int64, err error) {
	if size >= mapMin {
		if m, err := mapped.Open(f, size); err == nil {
			defer m.Close()
			err = mapped.Guard(func() { d = sha256Chunked(m.Bytes()) }, m)
			return d, size, err
		}
	}
	h := sha256.New()
	n, err = copyBuffered(h, f)
	h.Sum(d[:0])
	return d, n, err
}

// sha256Chunked is sha256.Sum256 of b, written in copyBufferSize chunks:
// assembly cannot be preempted, and one call over a large mapped file
// would hold the garbage collector's stop-the-world for as long as it runs.
func sha256Chunked(b []byte) (d Digest) {
	h := sha256.New()
	for len(b) > 0 {
		n := min(copyBufferSize, len(b))
		h.Write(b[:n])
		b = b[n:]
	}
	h.Sum(d[:0])
	return d
}

// sum2Files is sha256x2.Sum2 of the open files fa and fb, whose sizes were
// na and nb when they were opened: through mappings when both are large
// enough and can be mapped, else read. A fault on a mapped page (a file
// that shrank) is the error of both results, and the caller digests each
// again alone.
func sum2Files(fa, fb *os.File, na, nb int64) (x, y sha256x2.Result) {
	if na >= mapMin && nb >= mapMin {
		if x, y, ok := sum2Mapped(fa, fb, na, nb); ok {
			return x, y
		}
	}
	return sha256x2.Sum2(fa, fb)
}

func sum2Mapped(fa, fb *os.File, na, nb int64) (x, y sha256x2.Result, ok bool) {
	ma, err := mapped.Open(fa, na)
	if err != nil {
		return x, y, false
	}
	defer ma.Close()
	mb, err := mapped.Open(fb, nb)
	if err != nil {
		return x, y, false
	}
	defer mb.Close()
	x.N, y.N = na, nb
	if err := mapped.Guard(func() { x.Sum, y.Sum = sha256x2.Sum2Bytes(ma.Bytes(), mb.Bytes()) }, ma, mb); err != nil {
		x.Err, y.Err = err, err
	}
	return x, y, true
}
