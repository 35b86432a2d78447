package pyjson

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"unicode/utf8"

	"github.com/sptflow/sptflow/internal/ascii"
)

// AppendNext appends the re-encoding of the string token b starts with (as
// Append does) and returns the token's length in b. With ASCII escaping no
// token is decoded: one pass reads it sixteen bytes at a time to its first
// byte that is not printable ASCII or is a quote or a backslash
// (ascii.PlainLen), checks an escape there to be in json.dumps's form and
// goes on after it, writes a non-ASCII character (the stage-3 writers'
// UTF-8 form) as its \u escape, and ends at the unescaped quote: a token
// already in the tagged form (the common case) is copied whole. A token
// with anything else (an escape Marshal would write differently, a raw
// control character, invalid UTF-8, no end) is left to appendNextChecked,
// which answers as before this pass existed.
func (t *StringTokens) AppendNext(dst, b []byte) ([]byte, int, error) {
	if !t.Opt.ASCII {
		return t.appendWhole(dst, b)
	}
	if len(b) == 0 || b[0] != '"' {
		return dst, 0, ErrStringToken
	}
	base := len(dst)
	run := 0 // b[run:i] is still to be copied
	for i := 1; ; {
		k := i + ascii.PlainLen(b[i:])
		if k == len(b) {
			return t.appendNextChecked(dst[:base], b)
		}
		switch c := b[k]; {
		case c == '"':
			return append(dst, b[run:k+1]...), k + 1, nil
		case c == '\\':
			n := canonicalEscapeLen(b[k:])
			if n == 0 {
				return t.appendNextChecked(dst[:base], b)
			}
			i = k + n
			continue
		default:
			var ok bool
			if dst, i, ok = appendCharEscape(dst, b, run, k); !ok {
				return t.appendNextChecked(dst[:base], b)
			}
		}
		run = i
	}
}

// appendCharEscape appends b[run:k] and the escape json.dumps writes with
// ensure_ascii for the character at b[k], DEL or non-ASCII, and returns
// where that character ends; ok is false for a raw control character or
// invalid UTF-8 (an encoded surrogate included), with dst unchanged.
func appendCharEscape(dst, b []byte, run, k int) (_ []byte, next int, ok bool) {
	switch c := b[k]; {
	case c >= utf8.RuneSelf:
		r, size := utf8.DecodeRune(b[k:])
		if r == utf8.RuneError && size == 1 {
			return dst, 0, false
		}
		return appendRuneEscape(append(dst, b[run:k]...), r), k + size, true
	case c == 0x7f:
		return append(append(dst, b[run:k]...), `\u007f`...), k + 1, true
	}
	return dst, 0, false
}

// appendRuneEscape appends r, a character outside ASCII, as json.dumps
// escapes it with ensure_ascii: \uXXXX, or a surrogate pair of them.
func appendRuneEscape(dst []byte, r rune) []byte {
	if r > 0xFFFF {
		r -= 0x10000
		dst = appendU4(dst, 0xD800+(r>>10)&0x3FF)
		r = 0xDC00 + r&0x3FF
	}
	return appendU4(dst, r)
}

// appendNextChecked is AppendNext for the tokens its single pass leaves:
// it finds the token's end first, then checks every escape, then copies
// the printable runs and escapes each non-ASCII character; a token with an
// escape Marshal would write differently is re-encoded with Append.
func (t *StringTokens) appendNextChecked(dst, b []byte) ([]byte, int, error) {
	n := tokenLen(b)
	if n == 0 {
		return dst, 0, ErrStringToken
	}
	end := n - 1 // the closing quote
	if !canonicalEscapes(b[1:end]) {
		return t.appendWhole(dst, b)
	}
	base := len(dst)
	run := 0 // b[run:i] is still to be copied
	for i := 1; ; {
		k := i + printableLen(b[i:end])
		if k == end {
			return append(dst, b[run:n]...), n, nil
		}
		var ok bool
		if dst, i, ok = appendCharEscape(dst, b[:end], run, k); !ok {
			return dst[:base], 0, ErrStringToken
		}
		run = i
	}
}

// canonicalEscapes reports whether every escape in body (a string token
// without its quotes) is in Marshal's form, and so printable ASCII.
func canonicalEscapes(body []byte) bool {
	for j := 0; j < len(body); {
		e := bytes.IndexByte(body[j:], '\\')
		if e < 0 {
			return true
		}
		j += e
		l := canonicalEscapeLen(body[j:])
		if l == 0 {
			return false
		}
		j += l
	}
	return true
}

// printableLen returns the length of the prefix of b of printable ASCII
// bytes (0x20..0x7e), sixteen bytes at a time.
func printableLen(b []byte) int {
	i := 0
	for ; i+16 <= len(b); i += 16 {
		x, y := binary.LittleEndian.Uint64(b[i:]), binary.LittleEndian.Uint64(b[i+8:])
		if (unprintable(x) | unprintable(y)) != 0 {
			break
		}
	}
	for ; i+8 <= len(b); i += 8 {
		if m := unprintable(binary.LittleEndian.Uint64(b[i:])); m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	for i < len(b) && b[i] >= 0x20 && b[i] < 0x7f {
		i++
	}
	return i
}

// unprintable returns the high bits of the bytes of x outside 0x20..0x7e;
// the lowest one is exact (a borrow or a carry only marks bytes above it).
func unprintable(x uint64) uint64 {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	return ((x-0x20*lo)&^x | (x&^hi + lo) | x) & hi
}

// appendWhole finds the end of the string token b starts with (an
// unescaped quote), then appends its re-encoding with Append.
func (t *StringTokens) appendWhole(dst, b []byte) ([]byte, int, error) {
	n := tokenLen(b)
	if n == 0 {
		return dst, 0, ErrStringToken
	}
	dst, err := t.Append(dst, b[:n])
	return dst, n, err
}

// tokenLen returns the length of the string token b starts with, up to
// the first quote not escaped by a backslash, or 0 when there is none.
func tokenLen(b []byte) int {
	if len(b) == 0 || b[0] != '"' {
		return 0
	}
	for j := 1; ; {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			return 0
		}
		j += k
		bs := 0
		for p := j - 1; p > 0 && b[p] == '\\'; p-- {
			bs++
		}
		j++
		if bs%2 == 0 {
			return j
		}
	}
}

// canonicalEscapeLen returns the length of the escape b starts with when
// Marshal with ASCII escaping writes what it decodes to as the same escape
// (see canonicalASCII), or 0.
func canonicalEscapeLen(b []byte) int {
	if len(b) < 2 || b[0] != '\\' {
		return 0
	}
	switch b[1] {
	case '"', '\\', 'n', 'r', 't', 'b', 'f':
		return 2
	case 'u':
	default:
		return 0
	}
	if len(b) < 6 {
		return 0
	}
	var r rune
	for _, c := range b[2:6] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		default:
			return 0
		}
	}
	switch {
	case r == '\n' || r == '\r' || r == '\t' || r == '\b' || r == '\f':
		return 0
	case r >= 0x20 && r < 0x7f:
		return 0
	}
	return 6
}

func appendU4(dst []byte, r rune) []byte {
	return append(dst, '\\', 'u',
		hexDigits[(r>>12)&0xF], hexDigits[(r>>8)&0xF], hexDigits[(r>>4)&0xF], hexDigits[r&0xF])
}
