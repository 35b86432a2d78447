package analyze

import (
	"errors"
	"unicode/utf16"
	"unicode/utf8"
)

var errBadEscape = errors.New("invalid string escape")

// unescape decodes the contents of a JSON string (without its quotes) as
// Python's json module does, except that a lone surrogate, which a Go
// string cannot hold, becomes U+FFFD (as pyjson does).
func unescape(b []byte) (string, error) {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); {
		c := b[i]
		if c < 0x20 {
			return "", errors.New("invalid control character in string")
		}
		if c != '\\' {
			out = append(out, c)
			i++
			continue
		}
		if i+1 >= len(b) {
			return "", errBadEscape
		}
		e := b[i+1]
		i += 2
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, n, ok := unicodeEscape(b[i-2:])
			if !ok {
				return "", errBadEscape
			}
			out = utf8.AppendRune(out, r)
			i += n - 2
		default:
			return "", errBadEscape
		}
	}
	return string(out), nil
}

// unicodeEscape decodes \uXXXX at the start of b, joined with a following
// \uXXXX low surrogate when it starts a pair; n is the bytes consumed.
func unicodeEscape(b []byte) (r rune, n int, ok bool) {
	r, ok = hex4(b[2:])
	if !ok {
		return 0, 0, false
	}
	if !utf16.IsSurrogate(r) {
		return r, 6, true
	}
	if len(b) >= 12 && b[6] == '\\' && b[7] == 'u' {
		if r2, ok := hex4(b[8:]); ok {
			if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
				return d, 12, true
			}
		}
	}
	return utf8.RuneError, 6, true
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}
