// Package sha256x2 computes the SHA-256 digests of two streams at once.
//
// The SHA extensions' round instruction (SHA256RNDS2) is the whole cost of
// SHA-256 on processors that have it, and each of its uses waits for the
// one before: on AMD Zen it takes 4 cycles and could start every 2, so
// crypto/sha256, hashing one message, leaves half of the unit idle (about
// 1.5 GB/s on this project's 2-core EPYC). Sum2 runs the rounds of two
// messages interleaved (blocks_amd64.s, written by gen.go), which fills it:
// two files hashed in about the time of one. The digests are SHA-256's, bit
// for bit; where the extensions are missing, on other architectures and
// with the purego build tag, Sum2 hashes the two streams one after the
// other with crypto/sha256.
//
// Only whole 64-byte blocks that both streams have go through the paired
// code. What is left when one stream ends (its last partial block, the
// padding, and the rest of the longer stream) continues in crypto/sha256
// from the paired state, through its encoding.BinaryUnmarshaler; a
// self-check at first use falls back to crypto/sha256 alone if that
// encoding ever changes.
package sha256x2

import (
	"crypto/sha256"
	"encoding"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"sync"
)

// Result is the digest of one stream.
type Result struct {
	Sum [sha256.Size]byte
	N   int64 // the bytes read
	Err error // a read error (not io.EOF); Sum is then meaningless
}

// bufSize is the read size of each stream: large enough that the paired
// loop runs long between reads, small enough for two per worker.
const bufSize = 256 << 10

var buffers = sync.Pool{New: func() any { return new([2][bufSize]byte) }}

// Sum2 reads ra and rb to their ends and returns the SHA-256 digest of
// each. A read error ends that stream only: the other is still hashed to
// its end.
func Sum2(ra, rb io.Reader) (x, y Result) {
	bufs := buffers.Get().(*[2][bufSize]byte)
	defer buffers.Put(bufs)
	if !paired() {
		return sum1(ra, bufs[0][:]), sum1(rb, bufs[1][:])
	}
	ba, bb := bufs[0][:], bufs[1][:]
	sa, sb := initial, initial
	var done uint64 // bytes of each stream through the paired code
	for {
		la, ea := io.ReadFull(ra, ba)
		lb, eb := io.ReadFull(rb, bb)
		n := min(la, lb) / BlockSize
		if n > 0 {
			blocks2(&sa, &sb, &ba[0], &bb[0], n)
			done += uint64(n * BlockSize)
		}
		if ea == nil && eb == nil {
			continue // both buffers were whole: n took all of them
		}
		x = finish(&sa, done, ba[n*BlockSize:la], ea, ra, ba)
		y = finish(&sb, done, bb[n*BlockSize:lb], eb, rb, bb)
		return x, y
	}
}

// Sum2Bytes returns the SHA-256 digests of a and b, as Sum2 of readers
// over them would, reading them in place: for memory-mapped files
// (internal/mapped), which a read would copy. The paired code runs over
// chunks of bufSize, so that a goroutine hashing large inputs reaches a
// point where the runtime can preempt it (assembly cannot be) every
// fraction of a millisecond.
func Sum2Bytes(a, b []byte) (x, y [sha256.Size]byte) {
	if !paired() {
		return SumBytes(a), SumBytes(b)
	}
	sa, sb := initial, initial
	both := min(len(a), len(b)) / BlockSize * BlockSize
	for done := 0; done < both; done += bufSize {
		n := min(bufSize, both-done) / BlockSize
		blocks2(&sa, &sb, &a[done], &b[done], n)
	}
	return finishBytes(&sa, both, a[both:]), finishBytes(&sb, both, b[both:])
}

// finishBytes completes one message in crypto/sha256: from state h after
// done bytes, then rest (see writeChunked).
func finishBytes(h *[8]uint32, done int, rest []byte) (sum [sha256.Size]byte) {
	d := resume(h, uint64(done))
	writeChunked(d, rest)
	d.Sum(sum[:0])
	return sum
}

// SumBytes is sha256.Sum256 of b, hashed in chunks of bufSize: assembly
// cannot be preempted, and one call over a large mapped file would hold
// the garbage collector's stop-the-world for as long as it runs.
func SumBytes(b []byte) (sum [sha256.Size]byte) {
	d := sha256.New()
	writeChunked(d, b)
	d.Sum(sum[:0])
	return sum
}

// writeChunked writes b to h bufSize bytes at a time.
func writeChunked(h hash.Hash, b []byte) {
	for len(b) > 0 {
		n := min(bufSize, len(b))
		h.Write(b[:n])
		b = b[n:]
	}
}

// BlockSize is SHA-256's block size.
const BlockSize = sha256.BlockSize

// finish completes one stream in crypto/sha256: from state h after done
// bytes, then tail (read but not hashed), then, unless the read that gave
// tail ended the stream (err), the rest of r, read through buf.
func finish(h *[8]uint32, done uint64, tail []byte, err error, r io.Reader, buf []byte) Result {
	d := resume(h, done)
	d.Write(tail)
	res := Result{N: int64(done) + int64(len(tail))}
	switch {
	case err == nil:
		n, err := io.CopyBuffer(d, onlyReader{r}, buf)
		res.N += n
		res.Err = err
	case !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF):
		res.Err = err
	}
	d.Sum(res.Sum[:0])
	return res
}

// onlyReader hides a reader's WriteTo, so that io.CopyBuffer uses the
// buffer it is given.
type onlyReader struct{ io.Reader }

// sum1 is one stream's digest with crypto/sha256 alone.
func sum1(r io.Reader, buf []byte) Result {
	d := sha256.New()
	n, err := io.CopyBuffer(d, onlyReader{r}, buf)
	res := Result{N: n, Err: err}
	d.Sum(res.Sum[:0])
	return res
}

// initial is SHA-256's initial state.
var initial = [8]uint32{0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19}

// resume returns a crypto/sha256 hash in state h after n bytes (a
// multiple of BlockSize), through the encoding its MarshalBinary writes:
// "sha\x03", the state words, the pending block, the length, big-endian.
func resume(h *[8]uint32, n uint64) hash.Hash {
	b := make([]byte, 0, 4+8*4+BlockSize+8)
	b = append(b, "sha\x03"...)
	for _, v := range h {
		b = binary.BigEndian.AppendUint32(b, v)
	}
	b = append(b, make([]byte, BlockSize)...)
	b = binary.BigEndian.AppendUint64(b, n)
	d := sha256.New()
	if err := d.(encoding.BinaryUnmarshaler).UnmarshalBinary(b); err != nil {
		// paired's self-check ran this very code: unreachable.
		panic(fmt.Sprintf("sha256x2: crypto/sha256 refused a state it checked at first use: %v", err))
	}
	return d
}

// paired reports whether Sum2 may use the paired code: the processor has
// it, and a known message hashed through it, resumed in crypto/sha256,
// gives crypto/sha256's digest.
var paired = sync.OnceValue(func() bool {
	if !hasBlocks2() {
		return false
	}
	return selfCheck()
})

func selfCheck() (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	var msg [3*BlockSize + 7]byte
	for i := range msg {
		msg[i] = byte(i * 7)
	}
	sa, sb := initial, initial
	blocks2(&sa, &sb, &msg[0], &msg[BlockSize], 2)
	da := resume(&sa, 2*BlockSize)
	da.Write(msg[2*BlockSize:])
	db := resume(&sb, 2*BlockSize)
	db.Write(msg[3*BlockSize:])
	want1 := sha256.Sum256(msg[:])
	want2 := sha256.Sum256(append(append([]byte(nil), msg[BlockSize:3*BlockSize]...), msg[3*BlockSize:]...))
	return [32]byte(da.Sum(nil)) == want1 && [32]byte(db.Sum(nil)) == want2
}
