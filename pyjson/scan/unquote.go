package scan

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"unicode/utf16"
	"unicode/utf8"
)

var (
	errControl   = errors.New("invalid control character in string")
	errQuote     = errors.New("unescaped quote in string")
	errEndEscape = errors.New("invalid escape at the end of a string")
	errUEscape   = errors.New("invalid \\u escape")
)

// Unquote decodes a JSON string token, quotes included (as RawString
// returns it), with Python's json semantics: a raw control character or an
// unknown escape is an error, \uXXXX pairs of surrogates join, and a lone
// surrogate is kept (as AppendSurrogate encodes it). The body is not
// checked for invalid UTF-8 (see CheckUTF8). A string without escapes
// costs one copy.
func Unquote(raw []byte) (string, error) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", fmt.Errorf("not a JSON string: %.20q", raw)
	}
	body := raw[1 : len(raw)-1]
	first := plainLen(body)
	if first == len(body) {
		return string(body), nil
	}
	out := make([]byte, first, len(body))
	copy(out, body[:first])
	out, err := appendUnescaped(out, body[first:])
	if err != nil {
		return "", err
	}
	return string(out), nil
}

// CheckString reports the error Unquote would return for raw, without
// decoding it.
func CheckString(raw []byte) error {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return fmt.Errorf("not a JSON string: %.20q", raw)
	}
	var scratch [8]byte // one escape's UTF-8
	b := raw[1 : len(raw)-1]
	for len(b) > 0 {
		b = b[plainLen(b):]
		if len(b) == 0 {
			break
		}
		switch b[0] {
		case '"':
			return errQuote
		case '\\':
		default:
			return errControl
		}
		_, n, err := AppendEscape(scratch[:0], b)
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

// appendUnescaped appends the decoded contents of a string body.
func appendUnescaped(out, b []byte) ([]byte, error) {
	for len(b) > 0 {
		n := plainLen(b)
		out = append(out, b[:n]...)
		b = b[n:]
		if len(b) == 0 {
			break
		}
		switch b[0] {
		case '"':
			return nil, errQuote
		case '\\':
		default:
			return nil, errControl
		}
		var err error
		out, n, err = AppendEscape(out, b)
		if err != nil {
			return nil, err
		}
		b = b[n:]
	}
	return out, nil
}

// plainLen returns the length of the prefix of b that a string holds
// as-is: no quote, backslash or control character. It reads 8 bytes at a
// time, which beats bytes.IndexByte on short strings such as keys.
func plainLen(b []byte) int {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		q, bs := x^('"'*lo), x^('\\'*lo)
		// High bits set where a byte is < 0x20, '"' or '\\'. The lowest
		// one is exact (a borrow only marks bytes above a match).
		if m := ((x-0x20*lo)&^x | (q-lo)&^q | (bs-lo)&^bs) & hi; m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	for i < len(b) && b[i] >= 0x20 && b[i] != '"' && b[i] != '\\' {
		i++
	}
	return i
}

var simpleEscapes = [256]byte{'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}

// AppendEscape decodes the escape sequence at the start of b (b[0] is a
// backslash), appends its UTF-8 to dst and returns the bytes of b it
// consumed. A high surrogate escape followed by a low one decodes as their
// pair (12 bytes); any other surrogate escape is kept as a lone surrogate
// (6 bytes, see AppendSurrogate), as Python keeps it, so a lone one never
// swallows the escape after it. For decoders that find their strings' ends
// themselves (pyjson).
func AppendEscape(dst, b []byte) ([]byte, int, error) {
	if len(b) < 2 {
		return dst, 0, errEndEscape
	}
	if r := simpleEscapes[b[1]]; r != 0 {
		return append(dst, r), 2, nil
	}
	if b[1] != 'u' {
		return dst, 0, fmt.Errorf("invalid escape \\%c", b[1])
	}
	r, ok := hex4(b[2:])
	if !ok {
		return dst, 0, errUEscape
	}
	if !utf16.IsSurrogate(r) {
		return utf8.AppendRune(dst, r), 6, nil
	}
	if len(b) >= 12 && b[6] == '\\' && b[7] == 'u' {
		if r2, ok := hex4(b[8:]); ok {
			if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
				return utf8.AppendRune(dst, d), 12, nil
			}
		}
	}
	return AppendSurrogate(dst, r), 6, nil
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}
