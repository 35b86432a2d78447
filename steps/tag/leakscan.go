package tag

import (
	"encoding/binary"
	"math/bits"
	"unsafe"
)

// The keyword scan reads a text 64 bytes at a time: a bit mask of the
// bytes that are letters (ASCII letters, eight bytes at a time, and the
// UTF-8 bytes of the non-ASCII characters that fold to ASCII letters, İ ı
// ſ K) gives the words' starts and ends, so that finding a word costs no
// loop over its letters. Only a word that may be a keyword (a keyword has
// its length, first and last letters) is looked up, by a key of two 64-bit
// loads; a word with a non-ASCII letter is read rune by rune (word).

const (
	lo8 = 0x0101010101010101
	hi8 = 0x8080808080808080
)

// letterBits returns a bit per byte of x (its least significant byte
// first) that is an ASCII letter.
func letterBits(x uint64) uint64 {
	y := (x | 0x20*lo8) &^ hi8 // lowercase, high bits cleared
	ge := y + (0x80-'a')*lo8   // high bit set where y >= 'a' (no carries: y < 0x80)
	gt := y + (0x80-'z'-1)*lo8 // high bit set where y > 'z'
	return gather(ge &^ gt &^ x & hi8)
}

// gather moves the high bit of each byte of m (all other bits clear) to
// bit i for byte i.
func gather(m uint64) uint64 { return (m >> 7) * 0x0102040810204080 >> 56 }

// blockBits returns the letter mask of the 64 bytes of b and whether one
// of them is 0x80 or above.
func blockBits(b *[64]byte) (letters uint64, high bool) {
	var h uint64
	for k := 0; k < 64; k += 8 {
		x := binary.LittleEndian.Uint64(b[k : k+8])
		h |= x
		letters |= letterBits(x) << k
	}
	return letters, h&hi8 != 0
}

// foldLen returns the length of the UTF-8 encoding of a non-ASCII
// character folding to an ASCII letter (see foldLetter) at the start of
// b, or 0.
func foldLen(b []byte) int {
	switch {
	case len(b) >= 2 && b[0] == 0xC4 && (b[1] == 0xB0 || b[1] == 0xB1), // İ ı
		len(b) >= 2 && b[0] == 0xC5 && b[1] == 0xBF: // ſ
		return 2
	case len(b) >= 3 && b[0] == 0xE2 && b[1] == 0x84 && b[2] == 0xAA: // K
		return 3
	}
	return 0
}

// run scans s, reusing sc's storage.
func (sc *scan) run(s string) {
	compilePatterns()
	sc.found, sc.hits = 0, sc.hits[:0]
	b := unsafe.Slice(unsafe.StringData(s), len(s))
	start := -1      // offset of the word being read, -1 between words
	lastWide := -1   // offset of the last byte of a non-ASCII letter
	var spill uint64 // letter bits of a non-ASCII letter the last block cut
	for base := 0; base < len(b); base += 64 {
		var block *[64]byte
		if base+64 <= len(b) {
			block = (*[64]byte)(b[base:])
		} else {
			var pad [64]byte // zeros: not letters
			copy(pad[:], b[base:])
			block = &pad
		}
		letters, high := blockBits(block)
		letters |= spill
		spill = 0
		for k := 0; high && k < 64 && base+k < len(b); k++ {
			if b[base+k] < 0xC4 {
				continue
			}
			if n := foldLen(b[base+k:]); n > 0 {
				m := uint64(1)<<n - 1
				letters |= m << k
				if k+n > 64 {
					spill = m >> (64 - k)
				}
				lastWide = max(lastWide, base+k+n-1)
			}
		}
		if start >= 0 { // the word the last block cut
			end := bits.TrailingZeros64(^letters)
			if end == 64 {
				continue
			}
			sc.ascii(b, start, base+end, lastWide)
			start = -1
			letters &^= 1<<end - 1
		}
		// Each word start: a letter after a non-letter.
		for t := letters &^ (letters << 1); t != 0; t &= t - 1 {
			k := bits.TrailingZeros64(t)
			end := k + bits.TrailingZeros64(^(letters >> k))
			if end >= 64 {
				start = base + k
				break
			}
			if n := end - k; base+k > lastWide && (n > maxKeyword ||
				keywordEnds[n][b[base+k]|0x20-'a']&(1<<(b[base+end-1]|0x20-'a')) == 0) {
				continue // not a keyword: the common case, decided here
			}
			sc.ascii(b, base+k, base+end, lastWide)
		}
	}
	if start >= 0 {
		sc.ascii(b, start, len(b), lastWide)
	}
}

// ascii records the word b[start:end] if it is a keyword; a word with a
// non-ASCII letter (lastWide >= start) is read by word.
func (sc *scan) ascii(b []byte, start, end, lastWide int) {
	n := end - start
	switch {
	case lastWide >= start:
		sc.word(unsafe.String(unsafe.SliceData(b), len(b)), start)
	case n <= maxKeyword && keywordEnds[n][b[start]|0x20-'a']&(1<<(b[end-1]|0x20-'a')) != 0:
		sc.key(asciiKey(b, start, n), start)
	}
}

// asciiKey returns the key of the word of n <= maxKeyword ASCII letters at
// b[start:], lowercased.
func asciiKey(b []byte, start, n int) keyword {
	var w0, w1 uint64
	if start+16 <= len(b) {
		w0, w1 = binary.LittleEndian.Uint64(b[start:]), binary.LittleEndian.Uint64(b[start+8:])
	} else {
		var pad [16]byte
		copy(pad[:], b[start:start+n])
		w0, w1 = binary.LittleEndian.Uint64(pad[:]), binary.LittleEndian.Uint64(pad[8:])
	}
	m0, m1 := ^uint64(0), ^uint64(0)
	switch {
	case n < 8:
		m0, m1 = 1<<(8*n)-1, 0
	case n < 16:
		m1 = 1<<(8*(n-8)) - 1
	}
	return keyword{(w0 | 0x20*lo8) & m0, (w1 | 0x20*lo8) & m1, n}
}
