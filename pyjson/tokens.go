package pyjson

import (
	"errors"
	"unicode/utf8"
	"unsafe"

	"github.com/sptflow/sptflow/internal/ascii"
	"github.com/sptflow/sptflow/pyjson/scan"
)

// AppendString appends s as a JSON string, as Marshal writes it with opt.
func AppendString(dst []byte, s string, opt Options) []byte {
	e := encoder{opt: opt, buf: dst}
	e.str(s)
	return e.buf
}

// AppendNumberToken appends what Marshal writes for the number Parse makes
// of tok (see NumberOf), without allocating for tokens Python writes back
// unchanged. tok must be a whole number token (scan.NumberLen).
func AppendNumberToken(dst, tok []byte) []byte {
	if c, ok := canonicalNumber(tok); ok {
		return append(dst, c...)
	}
	return appendPythonFloat(dst, tok)
}

// NumberToken returns the Number Parse makes of tok without copying it when
// Python writes it back unchanged. The result may share tok's bytes: use it
// only while tok is unchanged.
func NumberToken(tok []byte) Number {
	if c, ok := canonicalNumber(tok); ok && len(c) > 0 {
		return Number(unsafe.String(&c[0], len(c)))
	}
	return NumberOf(tok)
}

// ErrStringToken is returned by StringTokens.Append for a string token
// Parse rejects (a raw control character, a bad escape, invalid UTF-8).
var ErrStringToken = errors.New("pyjson: invalid string token")

// StringTokens re-encodes JSON string tokens as Marshal writes the strings
// Parse decodes from them, copying a token unchanged when that is what
// Marshal would write (the common case for files Python wrote with the same
// options). The zero value is ready to use with Options{}; it keeps a
// scratch buffer between calls. Not safe for concurrent use.
type StringTokens struct {
	Opt     Options
	scratch []byte
}

// Append appends the re-encoding of raw, a string token with its quotes.
func (t *StringTokens) Append(dst, raw []byte) ([]byte, error) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return dst, ErrStringToken
	}
	if t.Opt.ASCII && canonicalASCII(raw[1:len(raw)-1]) {
		return append(dst, raw...), nil
	}
	buf, err := unescape(t.scratch[:0], raw[1:len(raw)-1])
	t.scratch = buf[:0]
	if err != nil {
		return dst, err
	}
	return AppendString(dst, unsafe.String(unsafe.SliceData(buf), len(buf)), t.Opt), nil
}

// unescape appends the decoded body of a string token, as Parse decodes it.
func unescape(dst, b []byte) ([]byte, error) {
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c == '"' || c < 0x20:
			return dst, ErrStringToken
		case c == '\\':
			var n int
			var err error
			if dst, n, err = scan.AppendEscape(dst, b[i:]); err != nil {
				return dst, ErrStringToken
			}
			i += n
		case c >= utf8.RuneSelf:
			n := scan.RuneLen(b[i:])
			if n == 0 {
				return dst, ErrStringToken
			}
			dst = append(dst, b[i:i+n]...)
			i += n
		default:
			dst = append(dst, c)
			i++
		}
	}
	return dst, nil
}

// canonicalASCII reports whether body (a string token without its quotes)
// is exactly what Marshal writes with ASCII escaping for the string it
// decodes to: printable ASCII but the quote and the backslash, and escapes
// in json.dumps's form (\" \\ \n \r \t \b \f, and \u with lowercase hex
// for other control characters and everything from DEL on, surrogates
// included, which decode and encode back to the same escapes).
func canonicalASCII(body []byte) bool {
	for i := 0; ; {
		i += ascii.PlainLen(body[i:])
		if i == len(body) {
			return true
		}
		n := canonicalEscapeLen(body[i:])
		if n == 0 {
			return false
		}
		i += n
	}
}
