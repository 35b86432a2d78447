package pyjson

import (
	"errors"
	"fmt"
	"unicode/utf8"
	"unsafe"

	"github.com/sptflow/sptflow/pyjson/scan"
)

// SyntaxError is a decoding error with the byte offset where it happened.
type SyntaxError struct {
	Offset int
	Msg    string
}

// Error implements error.
func (e *SyntaxError) Error() string { return fmt.Sprintf("json: %s at offset %d", e.Msg, e.Offset) }

// Parse decodes one JSON document. Objects become *Object, arrays []any,
// strings string, numbers Number, true/false bool and null nil. Python's
// NaN, Infinity and -Infinity tokens are accepted as numbers.
//
// It accepts and decodes what Python's json.load does: data must be valid
// UTF-8 (an invalid byte is a SyntaxError at its offset, as Python's
// UnicodeDecodeError), a lone surrogate escape is kept (see
// scan.AppendSurrogate) and written back by Marshal as the same escape, and
// numbers become what Python writes back (see NumberOf).
//
// data is not retained. For speed, decoded strings share large backing
// allocations (64 KiB chunks) and containers share slabs, so a small value
// kept after the rest of the document is dropped keeps its chunk alive;
// clone strings (strings.Clone) that outlive a big document.
func Parse(data []byte) (any, error) {
	d := decoder{data: data}
	d.skipSpace()
	v, err := d.value()
	if err == nil {
		d.skipSpace()
		if d.pos != len(d.data) {
			err = d.errorf("unexpected data after the top-level value")
		}
	}
	if err != nil {
		// Python decodes the whole file before parsing it: invalid UTF-8
		// anywhere is the error. On success there is none: the strings
		// were checked as they were decoded, and a non-ASCII byte
		// anywhere else is a syntax error.
		if uerr := scan.CheckUTF8(data); uerr != nil {
			e := uerr.(*scan.UTF8Error)
			return nil, &SyntaxError{Offset: e.Offset, Msg: fmt.Sprintf("invalid UTF-8 (byte 0x%02x)", e.Byte)}
		}
		return nil, err
	}
	return v, nil
}

// ParseObject decodes a document whose top level must be an object.
func ParseObject(data []byte) (*Object, error) {
	v, err := Parse(data)
	if err != nil {
		return nil, err
	}
	o, ok := v.(*Object)
	if !ok {
		return nil, fmt.Errorf("json: top-level value is %s, not an object", TypeName(v))
	}
	return o, nil
}

// TypeName names the JSON type of v, for error messages.
func TypeName(v any) string {
	switch v.(type) {
	case *Object:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

type decoder struct {
	data  []byte
	pos   int
	depth int

	// Members of the objects and arrays being decoded, stacked: each
	// container copies its members into exactly-sized slices when it ends.
	keys []string
	vals []any
	// arena holds the bytes of decoded strings; strings are views into it,
	// so a document costs a few large allocations instead of one per string.
	arena []byte
	// scratch is where escaped strings are decoded before they move to the arena.
	scratch []byte
	// intern shares the strings of repeated object keys.
	intern map[string]string
	// Slabs from which objects and the member slices of containers are
	// carved, so that a container costs no allocation of its own.
	objSlab []Object
	keySlab []string
	valSlab []any
}

const (
	maxDepth    = 10000
	arenaChunk  = 64 << 10 // bytes per arena allocation
	arenaMax    = 4 << 10  // longer strings get their own allocation
	maxInterned = 4096     // distinct keys shared per document
	maxKeyLen   = 64       // longer keys are not interned
	dupMapAfter = 32       // members before duplicate keys are found with a map
	slabLen     = 1024     // elements per slab allocation
)

// strStop marks the bytes that end the fast scan of a string: the quote,
// the backslash, control characters and non-ASCII bytes (checked to be
// valid UTF-8).
var strStop = func() (t [256]bool) {
	for c := 0; c < 0x20; c++ {
		t[c] = true
	}
	for c := utf8.RuneSelf; c < 256; c++ {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

// errUTF8 is returned by the string scan; Parse replaces it with the
// offset of the first invalid byte.
var errUTF8 = errors.New("invalid UTF-8")

func (d *decoder) errorf(format string, args ...any) error {
	return &SyntaxError{Offset: d.pos, Msg: fmt.Sprintf(format, args...)}
}

func (d *decoder) skipSpace() {
	if d.pos < len(d.data) && d.data[d.pos] <= ' ' {
		d.pos += scan.SpaceLen(d.data[d.pos:])
	}
}

func (d *decoder) value() (any, error) {
	if d.pos >= len(d.data) {
		return nil, d.errorf("unexpected end of input")
	}
	switch c := d.data[d.pos]; {
	case c == '{':
		return d.object()
	case c == '[':
		return d.array()
	case c == '"':
		s, err := d.str(false)
		if err != nil {
			return nil, err
		}
		return s, nil
	case c == '-' || (c >= '0' && c <= '9'):
		return d.number()
	case d.literal("true"):
		return true, nil
	case d.literal("false"):
		return false, nil
	case d.literal("null"):
		return nil, nil
	case d.literal("NaN"):
		return Number("NaN"), nil
	case d.literal("Infinity"):
		return Number("Infinity"), nil
	default:
		return nil, d.errorf("invalid character %q looking for a value", c)
	}
}

func (d *decoder) literal(lit string) bool {
	if len(d.data)-d.pos >= len(lit) && string(d.data[d.pos:d.pos+len(lit)]) == lit {
		d.pos += len(lit)
		return true
	}
	return false
}

func (d *decoder) enter() error {
	d.depth++
	if d.depth > maxDepth {
		return d.errorf("nesting deeper than %d", maxDepth)
	}
	return nil
}

func (d *decoder) object() (any, error) {
	if err := d.enter(); err != nil {
		return nil, err
	}
	d.pos++ // {
	kb, vb := len(d.keys), len(d.vals)
	var dups map[string]int
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		d.depth--
		return &Object{}, nil
	}
	for {
		d.skipSpace()
		if d.pos >= len(d.data) || d.data[d.pos] != '"' {
			return nil, d.errorf("expected a string key")
		}
		k, err := d.str(true)
		if err != nil {
			return nil, err
		}
		d.skipSpace()
		if d.pos >= len(d.data) || d.data[d.pos] != ':' {
			return nil, d.errorf("expected ':' after object key")
		}
		d.pos++
		d.skipSpace()
		v, err := d.value()
		if err != nil {
			return nil, err
		}
		dups = d.member(kb, vb, k, v, dups)
		d.skipSpace()
		if d.pos >= len(d.data) {
			return nil, d.errorf("unexpected end of input in object")
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
		case '}':
			d.pos++
			d.depth--
			o := d.newObject()
			o.keys = d.takeKeys(d.keys[kb:])
			o.vals = d.takeVals(d.vals[vb:])
			clear(d.vals[vb:]) // drop references held by the stack
			d.keys, d.vals = d.keys[:kb], d.vals[:vb]
			return o, nil
		default:
			return nil, d.errorf("expected ',' or '}' in object")
		}
	}
}

// member adds k: v to the object whose members start at kb/vb. A duplicate
// key keeps its first position and takes the last value, as in Python.
func (d *decoder) member(kb, vb int, k string, v any, dups map[string]int) map[string]int {
	n := len(d.keys) - kb
	if dups != nil {
		if i, ok := dups[k]; ok {
			d.vals[vb+i] = v
			return dups
		}
		dups[k] = n
	} else {
		for i, have := range d.keys[kb:] {
			if have == k {
				d.vals[vb+i] = v
				return dups
			}
		}
		if n+1 >= dupMapAfter {
			dups = make(map[string]int, 2*dupMapAfter)
			for i, have := range d.keys[kb:] {
				dups[have] = i
			}
			dups[k] = n
		}
	}
	d.keys = append(d.keys, k)
	d.vals = append(d.vals, v)
	return dups
}

func (d *decoder) array() (any, error) {
	if err := d.enter(); err != nil {
		return nil, err
	}
	d.pos++ // [
	vb := len(d.vals)
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		d.depth--
		return []any{}, nil
	}
	for {
		d.skipSpace()
		v, err := d.value()
		if err != nil {
			return nil, err
		}
		d.vals = append(d.vals, v)
		d.skipSpace()
		if d.pos >= len(d.data) {
			return nil, d.errorf("unexpected end of input in array")
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
		case ']':
			d.pos++
			d.depth--
			a := d.takeVals(d.vals[vb:])
			clear(d.vals[vb:])
			d.vals = d.vals[:vb]
			return a, nil
		default:
			return nil, d.errorf("expected ',' or ']' in array")
		}
	}
}

func (d *decoder) newObject() *Object {
	if len(d.objSlab) == 0 {
		d.objSlab = make([]Object, slabLen/8)
	}
	o := &d.objSlab[0]
	d.objSlab = d.objSlab[1:]
	return o
}

// takeKeys returns a copy of keys carved from the key slab. Its capacity
// is its length, so appending to it never writes into the slab.
func (d *decoder) takeKeys(keys []string) []string {
	n := len(keys)
	if n > slabLen/4 {
		return append([]string(nil), keys...)
	}
	if len(d.keySlab) < n {
		d.keySlab = make([]string, slabLen)
	}
	out := d.keySlab[:n:n]
	d.keySlab = d.keySlab[n:]
	copy(out, keys)
	return out
}

// takeVals is takeKeys for values.
func (d *decoder) takeVals(vals []any) []any {
	n := len(vals)
	if n > slabLen/4 {
		return append([]any(nil), vals...)
	}
	if len(d.valSlab) < n {
		d.valSlab = make([]any, slabLen)
	}
	out := d.valSlab[:n:n]
	d.valSlab = d.valSlab[n:]
	copy(out, vals)
	return out
}

// bytesString returns b as a string stored in the arena (or its own
// allocation when long). b is not retained.
func (d *decoder) bytesString(b []byte) string {
	switch {
	case len(b) == 0:
		return ""
	case len(b) > arenaMax:
		return string(b)
	case cap(d.arena)-len(d.arena) < len(b):
		d.arena = make([]byte, 0, arenaChunk)
	}
	start := len(d.arena)
	d.arena = append(d.arena, b...)
	return unsafe.String(&d.arena[start], len(b))
}

// keyString returns an object key, shared with earlier equal keys.
func (d *decoder) keyString(b []byte) string {
	if len(b) > maxKeyLen {
		return d.bytesString(b)
	}
	if s, ok := d.intern[string(b)]; ok {
		return s
	}
	s := d.bytesString(b)
	if d.intern == nil {
		d.intern = make(map[string]string, 64)
	}
	if len(d.intern) < maxInterned {
		d.intern[s] = s
	}
	return s
}

func (d *decoder) number() (any, error) {
	n, err := scan.NumberLen(d.data[d.pos:])
	if err != nil {
		d.pos += n
		return nil, d.errorf("%v", err)
	}
	tok := d.data[d.pos : d.pos+n]
	d.pos += n
	if c, ok := canonicalNumber(tok); ok {
		return Number(d.bytesString(c)), nil
	}
	var buf [32]byte
	return Number(d.bytesString(appendPythonFloat(buf[:0], tok))), nil
}

// str decodes the string at d.pos (its opening quote); key selects
// interning.
func (d *decoder) str(key bool) (string, error) {
	d.pos++ // opening quote
	start := d.pos
	data := d.data
	i := d.pos
	for {
		for i < len(data) && !strStop[data[i]] {
			i++
		}
		if i == len(data) || data[i] < utf8.RuneSelf {
			break
		}
		n := scan.RuneLen(data[i:])
		if n == 0 {
			return "", errUTF8
		}
		i += n
	}
	d.pos = i
	if i >= len(data) {
		return "", d.errorf("unterminated string")
	}
	switch c := data[i]; {
	case c == '"':
		d.pos++
		if key {
			return d.keyString(data[start:i]), nil
		}
		return d.bytesString(data[start:i]), nil
	case c == '\\':
		buf, err := d.unescape(append(d.scratch[:0], data[start:i]...))
		d.scratch = buf[:0]
		if err != nil {
			return "", err
		}
		if key {
			return d.keyString(buf), nil
		}
		return d.bytesString(buf), nil
	}
	return "", d.errorf("invalid control character in string")
}

// unescape continues decoding a string whose first escape is at d.pos,
// appending to buf; it consumes the closing quote.
func (d *decoder) unescape(buf []byte) ([]byte, error) {
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		switch {
		case c == '"':
			d.pos++
			return buf, nil
		case c < 0x20:
			return buf, d.errorf("invalid control character in string")
		case c >= utf8.RuneSelf:
			n := scan.RuneLen(d.data[d.pos:])
			if n == 0 {
				return buf, errUTF8
			}
			buf = append(buf, d.data[d.pos:d.pos+n]...)
			d.pos += n
			continue
		case c != '\\':
			j := d.pos + 1
			for j < len(d.data) && !strStop[d.data[j]] {
				j++
			}
			buf = append(buf, d.data[d.pos:j]...)
			d.pos = j
			continue
		}
		// A lone surrogate escape is kept, as Python keeps it.
		var n int
		var err error
		if buf, n, err = scan.AppendEscape(buf, d.data[d.pos:]); err != nil {
			return buf, d.errorf("%v", err)
		}
		d.pos += n
	}
	return buf, d.errorf("unterminated string")
}
