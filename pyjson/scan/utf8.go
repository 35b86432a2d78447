package scan

import (
	"fmt"
	"unicode/utf8"

	"github.com/sptflow/sptflow/internal/ascii"
)

// CheckUTF8 reports the first byte of data that is not valid UTF-8, with
// its offset. Python's json reads a file as UTF-8 text and fails on such a
// byte wherever it is (in a string the scanner would skip, too), so readers
// that must accept what Python accepts check the whole document once.
// Encoded surrogates (ED A0..BF xx) are invalid, as in Python's codec.
// ASCII is skipped sixteen bytes at a time (ascii.Len), and each run of
// other bytes is decoded character by character.
func CheckUTF8(data []byte) error {
	for i := ascii.Len(data); i < len(data); i += ascii.Len(data[i:]) {
		for i < len(data) && data[i] >= utf8.RuneSelf {
			n := RuneLen(data[i:])
			if n == 0 {
				return &UTF8Error{Offset: i, Byte: data[i]}
			}
			i += n
		}
	}
	return nil
}

// RuneLen returns the length of the valid UTF-8 encoding of a non-ASCII
// character at the start of b, or 0 when it is not valid UTF-8 (a
// surrogate's encoding included).
func RuneLen(b []byte) int {
	r, n := utf8.DecodeRune(b)
	if r == utf8.RuneError && n == 1 {
		return 0
	}
	return n
}

// UTF8Error is a byte that is not valid UTF-8.
type UTF8Error struct {
	Offset int
	Byte   byte
}

// Error implements error.
func (e *UTF8Error) Error() string {
	return fmt.Sprintf("offset %d: invalid UTF-8 (byte 0x%02x)", e.Offset, e.Byte)
}

// AppendSurrogate appends a lone surrogate code point (U+D800..U+DFFF) as
// the three bytes UTF-8 would use for it (WTF-8), which a Go string can
// hold: decoding a lone \udXXX escape keeps it, and pyjson's encoder writes
// it back as the same escape, as Python's json does.
func AppendSurrogate(dst []byte, r rune) []byte {
	return append(dst, 0xED, 0x80|byte(r>>6)&0x3F, 0x80|byte(r)&0x3F)
}

// Surrogate returns the lone surrogate encoded (as AppendSurrogate does) at
// the start of s, or 0.
func Surrogate(s string) rune {
	if len(s) >= 3 && s[0] == 0xED && s[1]&0xE0 == 0xA0 && s[2]&0xC0 == 0x80 {
		return 0xD000 | rune(s[1]&0x3F)<<6 | rune(s[2]&0x3F)
	}
	return 0
}
