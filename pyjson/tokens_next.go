package pyjson

import (
	"bytes"
	"unicode/utf8"
)

// AppendNext appends the re-encoding of the string token b starts with (as
// Append does) and returns the token's length in b. With ASCII escaping it
// reads the token once: runs already in Marshal's form (printable ASCII,
// escapes in json.dumps's form) are copied as they are, and each non-ASCII
// character is written as its \u escape, so that a file in the stage-3
// writers' form (UTF-8) costs no decoding. A token with an escape Marshal
// would write differently is re-encoded with Append.
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
		i += plainASCIILen(b[i:])
		if i == len(b) {
			return dst[:base], 0, ErrStringToken // unterminated
		}
		switch c := b[i]; {
		case c == '"':
			return append(dst, b[run:i+1]...), i + 1, nil
		case c == '\\':
			n := canonicalEscapeLen(b[i:])
			if n == 0 {
				return t.appendWhole(dst[:base], b)
			}
			i += n
		case c >= utf8.RuneSelf:
			r, n := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && n == 1 { // invalid, or an encoded surrogate
				return dst[:base], 0, ErrStringToken
			}
			dst = append(dst, b[run:i]...)
			if r > 0xFFFF {
				r -= 0x10000
				dst = appendU4(dst, 0xD800+(r>>10)&0x3FF)
				r = 0xDC00 + r&0x3FF
			}
			dst = appendU4(dst, r)
			i += n
			run = i
		case c == 0x7f:
			dst = append(append(dst, b[run:i]...), `\u007f`...)
			i++
			run = i
		default: // a raw control character
			return dst[:base], 0, ErrStringToken
		}
	}
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
