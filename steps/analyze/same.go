package analyze

import (
	"bytes"

	"github.com/sptflow/sptflow/internal/ascii"
	"github.com/sptflow/sptflow/pyjson"
	"github.com/sptflow/sptflow/pyjson/scan"
)

// sameWhenTagged reports whether raw, one JSON value, is already exactly
// what appendTagged writes for it at depth: every string, key and number
// in pyjson's canonical form (as appendReindented requires), no duplicate
// or escaped key, and the white space that of pyjson's indent-2 writer at
// that depth (a newline and 2 spaces per level before each member and each
// closing bracket, ": " after keys, nothing else). The tagger writes its
// batch files so, and an item of a batch file sits at depth 2 there as in
// the interesting examples, so a written item is usually its input bytes:
// this checks it without writing anything.
func sameWhenTagged(raw []byte, depth int) bool {
	c := sameChecker{src: raw}
	return c.value(depth) && c.i == len(raw)
}

type sameChecker struct {
	src  []byte
	i    int
	keys [][]byte // keys of the open objects, stacked
}

func (c *sameChecker) at() byte {
	if c.i < len(c.src) {
		return c.src[c.i]
	}
	return 0
}

func (c *sameChecker) value(depth int) bool {
	switch b := c.at(); {
	case b == '{':
		return c.object(depth)
	case b == '[':
		return c.array(depth)
	case b == '"':
		return c.str()
	case b == '-' || (b >= '0' && b <= '9'):
		n, err := scan.NumberLen(c.src[c.i:])
		if err != nil || !pyjson.KeepsToken(c.src[c.i:c.i+n]) {
			return false
		}
		c.i += n
		return true
	case b == 't':
		return c.literal("true")
	case b == 'f':
		return c.literal("false")
	case b == 'n':
		return c.literal("null")
	case b == 'N':
		return c.literal("NaN")
	case b == 'I':
		return c.literal("Infinity")
	}
	return false
}

func (c *sameChecker) literal(lit string) bool {
	if !bytes.HasPrefix(c.src[c.i:], []byte(lit)) {
		return false
	}
	c.i += len(lit)
	return true
}

// indent consumes a newline and exactly 2*depth spaces (the next byte is
// checked by the caller: it is never a space).
func (c *sameChecker) indent(depth int) bool {
	n := 2 * depth
	if c.i+1+n > len(c.src) || c.src[c.i] != '\n' {
		return false
	}
	c.i++
	for _, b := range c.src[c.i : c.i+n] {
		if b != ' ' {
			return false
		}
	}
	c.i += n
	return true
}

func (c *sameChecker) object(depth int) bool {
	c.i++ // {
	if c.at() == '}' {
		c.i++
		return true
	}
	base := len(c.keys)
	defer func() { c.keys = c.keys[:base] }()
	for {
		if !c.indent(depth+1) || c.at() != '"' {
			return false
		}
		start := c.i + 1
		if !c.str() || !c.newKey(base, c.src[start:c.i-1]) {
			return false
		}
		if c.i+2 > len(c.src) || c.src[c.i] != ':' || c.src[c.i+1] != ' ' {
			return false
		}
		c.i += 2
		if !c.value(depth + 1) {
			return false
		}
		if more, ok := c.next(depth, '}'); !more {
			return ok
		}
	}
}

// newKey is reindenter.newKey: false for an escaped or repeated key.
func (c *sameChecker) newKey(base int, key []byte) bool {
	if bytes.IndexByte(key, '\\') >= 0 {
		return false
	}
	for _, k := range c.keys[base:] {
		if bytes.Equal(k, key) {
			return false
		}
	}
	c.keys = append(c.keys, key)
	return true
}

func (c *sameChecker) array(depth int) bool {
	c.i++ // [
	if c.at() == ']' {
		c.i++
		return true
	}
	for {
		if !c.indent(depth+1) || !c.value(depth+1) {
			return false
		}
		if more, ok := c.next(depth, ']'); !more {
			return ok
		}
	}
}

// next consumes what follows a member of a container at depth: a comma
// (more is true) or the closing byte on its own line (more false, ok true).
func (c *sameChecker) next(depth int, end byte) (more, ok bool) {
	if c.at() == ',' {
		c.i++
		return true, true
	}
	if c.indent(depth) && c.at() == end {
		c.i++
		return false, true
	}
	return false, false
}

// str consumes a string in pyjson's ensure_ascii form (see reindenter.str).
func (c *sameChecker) str() bool {
	src := c.src
	i := c.i + 1 // after the opening quote
	for {
		i += ascii.PlainLen(src[i:])
		if i >= len(src) {
			return false
		}
		switch src[i] {
		case '"':
			c.i = i + 1
			return true
		case '\\':
			n := 2 // the short escapes, most of them, without a call
			if i+1 >= len(src) || !shortEscape[src[i+1]] {
				if n = canonicalEscape(src[i:]); n == 0 {
					return false
				}
			}
			i += n
		default: // a control character or non-ASCII
			return false
		}
	}
}

// shortEscape marks the bytes after a backslash that make an escape
// pyjson writes (canonicalEscape's two-byte escapes).
var shortEscape = [256]bool{'"': true, '\\': true, 'n': true, 'r': true, 't': true, 'b': true, 'f': true}
