package analyze

import (
	"bytes"

	"github.com/sptflow/sptflow/internal/ascii"
	"github.com/sptflow/sptflow/pyjson"
	"github.com/sptflow/sptflow/pyjson/scan"
)

// Whole items are written into interesting_examples straight from the
// input bytes. pyjson.Marshal(pyjson.Parse(b), pyjson.Tagged) writes
// numbers and strings in one canonical form (Python's), so when every number
// and string of b is already in that form (the tagger writes it) the output
// is b's tokens with the indentation of their new depth. Anything else (other
// escapes, raw non-ASCII, lone surrogates, numbers such as 1e5 or 1e999,
// duplicate or escaped keys) takes the parse and marshal path, which gives
// the same bytes, only slower.

// taggedForm returns the JSON value raw as pyjson.Marshal(v, pyjson.Tagged)
// writes it when nested at depth: raw itself when that is the same bytes
// (sameWhenTagged).
func taggedForm(raw []byte, depth int) ([]byte, error) {
	if sameWhenTagged(raw, depth) {
		return raw, nil
	}
	return appendTagged(make([]byte, 0, len(raw)+len(raw)/8), raw, depth)
}

// appendTagged appends the JSON value raw as pyjson.Marshal(v,
// pyjson.Tagged) writes it when nested at depth (members indented by
// 2*(depth+1) spaces).
func appendTagged(dst, raw []byte, depth int) ([]byte, error) {
	if out, ok := appendReindented(dst, raw, depth); ok {
		return out, nil
	}
	v, err := pyjson.Parse(raw)
	if err != nil {
		return dst, err
	}
	b, err := pyjson.Marshal(v, pyjson.Tagged)
	if err != nil {
		return dst, err
	}
	return appendNested(dst, b, depth), nil
}

// appendNested appends b, JSON written at depth 0 with indent 2, nested at
// depth: every line after the first is indented by 2*depth more spaces (a
// newline in that form is never inside a string).
func appendNested(dst, b []byte, depth int) []byte {
	for {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			return append(dst, b...)
		}
		dst = append(dst, b[:i]...)
		r := reindenter{out: dst}
		r.newline(depth)
		dst, b = r.out, b[i+1:]
	}
}

// appendReindented appends raw re-indented for depth, copying its tokens;
// ok is false (and dst is unchanged) when raw is not one JSON value whose
// strings, keys and numbers are all canonical (pyjson.KeepsToken).
func appendReindented(dst, raw []byte, depth int) ([]byte, bool) {
	r := reindenter{src: raw, out: dst}
	if !r.value(depth) {
		return dst, false
	}
	r.ws()
	if r.i != len(raw) {
		return dst, false
	}
	return r.out, true
}

type reindenter struct {
	src  []byte
	i    int
	out  []byte
	keys [][]byte // keys of the open objects, stacked
}

func (r *reindenter) ws() {
	if r.i < len(r.src) && r.src[r.i] <= ' ' {
		r.i += scan.SpaceLen(r.src[r.i:])
	}
}

// peek returns the next non-space byte, or 0 at the end.
func (r *reindenter) peek() byte {
	r.ws()
	if r.i < len(r.src) {
		return r.src[r.i]
	}
	return 0
}

func (r *reindenter) newline(depth int) {
	r.out = append(r.out, '\n')
	for n := 2 * depth; n > 0; {
		k := min(n, len(spaces))
		r.out = append(r.out, spaces[:k]...)
		n -= k
	}
}

const spaces = "                                                                "

func (r *reindenter) value(depth int) bool {
	switch c := r.peek(); {
	case c == '{':
		return r.object(depth)
	case c == '[':
		return r.array(depth)
	case c == '"':
		return r.str()
	case c == '-' || (c >= '0' && c <= '9'):
		return r.number()
	case c == 't':
		return r.literal("true")
	case c == 'f':
		return r.literal("false")
	case c == 'n':
		return r.literal("null")
	case c == 'N':
		return r.literal("NaN")
	case c == 'I':
		return r.literal("Infinity")
	}
	return false
}

func (r *reindenter) literal(lit string) bool {
	if !bytes.HasPrefix(r.src[r.i:], []byte(lit)) {
		return false
	}
	r.i += len(lit)
	r.out = append(r.out, lit...)
	return true
}

func (r *reindenter) object(depth int) bool {
	r.i++ // {
	if r.peek() == '}' {
		r.i++
		r.out = append(r.out, '{', '}')
		return true
	}
	base := len(r.keys)
	defer func() { r.keys = r.keys[:base] }()
	r.out = append(r.out, '{')
	for {
		r.newline(depth + 1)
		if r.peek() != '"' {
			return false
		}
		start := r.i + 1
		if !r.str() || !r.newKey(base, r.src[start:r.i-1]) || r.peek() != ':' {
			return false
		}
		r.i++
		r.out = append(r.out, ':', ' ')
		if !r.value(depth + 1) {
			return false
		}
		if more, ok := r.next(depth, '}'); !more {
			return ok
		}
	}
}

// newKey records key for the object whose keys start at base; false for a
// key with escapes (its decoded form would be needed to find duplicates)
// or a duplicate, which the parse path folds into one member.
func (r *reindenter) newKey(base int, key []byte) bool {
	if bytes.IndexByte(key, '\\') >= 0 {
		return false
	}
	for _, k := range r.keys[base:] {
		if bytes.Equal(k, key) {
			return false
		}
	}
	r.keys = append(r.keys, key)
	return true
}

func (r *reindenter) array(depth int) bool {
	r.i++ // [
	if r.peek() == ']' {
		r.i++
		r.out = append(r.out, '[', ']')
		return true
	}
	r.out = append(r.out, '[')
	for {
		r.newline(depth + 1)
		if !r.value(depth + 1) {
			return false
		}
		if more, ok := r.next(depth, ']'); !more {
			return ok
		}
	}
}

// next copies what follows a member of a container at depth: a comma
// (more is true) or the closing byte on its own line (more is false, ok
// true); anything else is not JSON (both false).
func (r *reindenter) next(depth int, end byte) (more, ok bool) {
	switch r.peek() {
	case ',':
		r.i++
		r.out = append(r.out, ',')
		return true, true
	case end:
		r.i++
		r.newline(depth)
		r.out = append(r.out, end)
		return false, true
	}
	return false, false
}

// str copies a string that is already in pyjson's ensure_ascii form:
// printable ASCII, with \" \\ \n \r \t \b \f and lowercase \uXXXX escapes
// only where pyjson writes them.
func (r *reindenter) str() bool {
	src := r.src
	start := r.i
	i := r.i + 1 // after the opening quote
	for i < len(src) {
		i += ascii.PlainLen(src[i:])
		if i == len(src) {
			break
		}
		switch c := src[i]; c {
		case '"':
			r.i = i + 1
			r.out = append(r.out, src[start:r.i]...)
			return true
		case '\\':
			n := canonicalEscape(src[i:])
			if n == 0 {
				return false
			}
			i += n
		default: // a control character or non-ASCII
			return false
		}
	}
	return false
}

// canonicalEscape returns the length of the escape at the start of b if
// pyjson would write that escape for the character it stands for, else 0.
func canonicalEscape(b []byte) int {
	if len(b) < 2 {
		return 0
	}
	switch b[1] {
	case '"', '\\', 'n', 'r', 't', 'b', 'f':
		return 2
	case 'u':
	default:
		return 0
	}
	c, ok := lowerHex4(b[2:])
	switch {
	case !ok:
		return 0
	case c < 0x20:
		if c == '\n' || c == '\r' || c == '\t' || c == '\b' || c == '\f' {
			return 0
		}
		return 6
	case c < 0x7f:
		return 0 // written as itself
	case c >= 0xD800 && c < 0xDC00: // a high surrogate must start a pair
		if len(b) >= 12 && b[6] == '\\' && b[7] == 'u' {
			if lo, ok := lowerHex4(b[8:]); ok && lo >= 0xDC00 && lo < 0xE000 {
				return 12
			}
		}
		return 0
	case c >= 0xDC00 && c < 0xE000: // a lone low surrogate
		return 0
	}
	return 6
}

// lowerHex4 decodes four lowercase hex digits (pyjson writes lowercase).
func lowerHex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var v rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			v = v<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			v = v<<4 | rune(c-'a'+10)
		default:
			return 0, false
		}
	}
	return v, true
}

// number copies a number token (-Infinity included) that pyjson writes
// back unchanged; its grammar is checked as pyjson checks it.
func (r *reindenter) number() bool {
	n, err := scan.NumberLen(r.src[r.i:])
	if err != nil || !pyjson.KeepsToken(r.src[r.i:r.i+n]) {
		return false
	}
	r.out = append(r.out, r.src[r.i:r.i+n]...)
	r.i += n
	return true
}
