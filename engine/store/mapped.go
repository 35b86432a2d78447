package store

import (
	"crypto/sha256"
	"os"

	"github.com/sptflow/sptflow/internal/mapped"
	"github.com/sptflow/sptflow/internal/sha256x2"
)

// Files of mapMin bytes or more are hashed through a read-only mapping
// (internal/mapped) where the system allows it: SHA-256 then reads the page
// cache's pages in place instead of the copy that read(2) makes of them
// (on the published evaluation results that copy cost the kernel about a
// quarter of what the paired SHA-256 costs). Smaller files are read:
// mapping one costs more than copying it.
const mapMin = copyBufferSize

// An Observer is handed the bytes of a file the store hashes, in the same
// read, after hashing them: a caller that reads the file whole anyway (a
// parse of an input) need not read it a second time. The bytes are
// valid only during the call, and may be a mapping of the file: the
// observer must not keep them, and a file that shrinks under it faults
// (mapped.Guard), which the store takes for a change during the read.
// Whether what it saw is the file's content as digested, the caller
// learns from the digest's Observed.
type Observer func(data []byte)

// sumFile returns the SHA-256 of the open file f, whose size was size
// when it was opened, the bytes it hashed, and whether o (may be nil) saw
// them: only a mapped file is observed. A mapped file that shrinks while
// it is hashed or observed is a *mapped.FaultError (the caller hashes
// again: it changed while being read).
func sumFile(f *os.File, size int64, o Observer) (d Digest, n int64, observed bool, err error) {
	if size >= mapMin {
		if m, err := mapped.Open(f, size); err == nil {
			defer m.Close()
			err = mapped.Guard(func() {
				d = sha256x2.SumBytes(m.Bytes())
				if o != nil {
					o(m.Bytes())
				}
			}, m)
			return d, size, o != nil && err == nil, err
		}
	}
	h := sha256.New()
	n, err = copyBuffered(h, f)
	h.Sum(d[:0])
	return d, n, false, err
}

// sum2Files is sha256x2.Sum2 of the open files fa and fb, whose sizes were
// na and nb when they were opened: through mappings when both are large
// enough and can be mapped; when only one is, each alone (sumFile: the
// pair would share only the small one's length); else read together. ox
// and oy say that the observers oa and ob (either may be nil) saw the
// bytes hashed. A fault on a mapped page (a file that shrank) is the
// error of both results of a mapped pair, and the caller digests each
// again alone.
func sum2Files(fa, fb *os.File, na, nb int64, oa, ob Observer) (x, y sha256x2.Result, ox, oy bool) {
	switch {
	case na >= mapMin && nb >= mapMin:
		if x, y, ok := sum2Mapped(fa, fb, na, nb, oa, ob); ok {
			return x, y, x.Err == nil && oa != nil, y.Err == nil && ob != nil
		}
	case na >= mapMin || nb >= mapMin:
		x, ox = sum1File(fa, na, oa)
		y, oy = sum1File(fb, nb, ob)
		return x, y, ox, oy
	}
	x, y = sha256x2.Sum2(fa, fb)
	return x, y, false, false
}

// sum1File is sumFile as a sha256x2.Result.
func sum1File(f *os.File, size int64, o Observer) (r sha256x2.Result, observed bool) {
	var d Digest
	d, r.N, observed, r.Err = sumFile(f, size, o)
	r.Sum = d
	return r, observed
}

func sum2Mapped(fa, fb *os.File, na, nb int64, oa, ob Observer) (x, y sha256x2.Result, ok bool) {
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
	err = mapped.Guard(func() {
		x.Sum, y.Sum = sha256x2.Sum2Bytes(ma.Bytes(), mb.Bytes())
		if oa != nil {
			oa(ma.Bytes())
		}
		if ob != nil {
			ob(mb.Bytes())
		}
	}, ma, mb)
	if err != nil {
		x.Err, y.Err = err, err
	}
	return x, y, true
}
