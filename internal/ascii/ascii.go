// Package ascii finds where runs of ASCII end in JSON text: the hot loop of
// every reader and writer of the stage-3 files (tag, analyze, the
// evaluation, the UTF-8 check). On amd64 it reads sixteen bytes at a time
// with SSE2, which every amd64 processor has; elsewhere (or with the
// purego build tag), and for what is left of a text too short for a
// block, eight at a time in a 64-bit word.
package ascii

import (
	"encoding/binary"
	"math/bits"
)

const (
	lo = 0x0101010101010101
	hi = 0x8080808080808080
)

// Len returns the length of the prefix of b of ASCII bytes (below 0x80).
func Len(b []byte) int {
	if vectors && len(b) >= 16 {
		return asciiBlocks(b)
	}
	i := 0
	for ; i+8 <= len(b); i += 8 {
		if x := binary.LittleEndian.Uint64(b[i:]) & hi; x != 0 {
			return i + bits.TrailingZeros64(x)/8
		}
	}
	for i < len(b) && b[i] < 0x80 {
		i++
	}
	return i
}

// PlainLen returns the length of the prefix of b of the bytes Python's
// json.dumps writes as themselves with ensure_ascii: printable ASCII (0x20
// to 0x7e) but the quote and the backslash.
func PlainLen(b []byte) int {
	if vectors && len(b) >= 16 {
		return plainBlocks(b)
	}
	i := 0
	for ; i+8 <= len(b); i += 8 {
		if m := notPlain(binary.LittleEndian.Uint64(b[i:])); m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	for i < len(b) && Plain(b[i]) {
		i++
	}
	return i
}

// Plain reports whether c is one of the bytes PlainLen reads over.
func Plain(c byte) bool { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\' }

// notPlain returns the high bit of each byte of x that is not plain (below
// 0x20, '"', '\\', 0x7f or above): the lowest one exactly, since a borrow
// or a carry only starts at such a byte and only marks bytes above it.
func notPlain(x uint64) uint64 {
	q, bs := x^('"'*lo), x^('\\'*lo)
	return ((x-0x20*lo)&^x | (q-lo)&^q | (bs-lo)&^bs | (x&^hi + lo) | x) & hi
}
