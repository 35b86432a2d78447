// Package scan reads values out of a JSON document held in memory without
// building trees: callers walk the objects and arrays they care about,
// decode the few values they need and skip everything else.
//
// Skipping is what makes it fast: a skipped string costs a bytes.IndexByte
// per quote, a skipped container one pass over its bytes, and nothing is
// allocated for either. That makes picking a few fields out of hundreds of
// megabytes several times faster than encoding/json or a full pyjson.Parse.
//
// The scanner checks the structure of what it walks (brackets, quotes,
// separators) and the grammar of the values it decodes (strings with
// Python's json semantics, numbers with JSON's grammar plus Python's NaN,
// Infinity and -Infinity). A scanner from New does not check the grammar
// of the numbers and literals it skips, nor the structure inside skipped
// containers, nor the contents of skipped strings: a document is only as
// valid as the parts that were read, which suits documents sptflow wrote
// and checked itself. One from NewStrict checks the grammar of what it
// skips too, all but the contents of strings (strict.go). Errors carry
// the byte offset.
//
// Decoded strings follow Python's json module; a lone surrogate escape is
// kept in the three bytes UTF-8 would use for it (WTF-8, see
// AppendSurrogate), as in pyjson. The scanner does not check for invalid
// UTF-8 in what it skips: readers call CheckUTF8 on the document first.
package scan

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
)

// Scanner reads one JSON document. Its methods consume the value at the
// cursor; white space before a value is skipped. A Scanner holds data
// (and returns slices of it) and never modifies it.
type Scanner struct {
	b      []byte
	i      int
	strict bool // check the grammar of what is skipped (NewStrict)
}

// New returns a scanner at the start of data.
func New(data []byte) *Scanner { return &Scanner{b: data} }

// Offset returns the cursor's byte offset.
func (s *Scanner) Offset() int { return s.i }

// errorf returns an error prefixed with the cursor's offset.
func (s *Scanner) errorf(format string, args ...any) error {
	return fmt.Errorf("offset %d: %s", s.i, fmt.Sprintf(format, args...))
}

// ErrorAt returns err as the scanner reports its errors: prefixed with
// the byte offset off. For callers that decode a token themselves (a
// RawString's Unquote, say) and report it as Str would.
func ErrorAt(off int, err error) error {
	return fmt.Errorf("offset %d: %v", off, err)
}

// ws skips white space. It is inlined (skipSpace is not), so a cursor
// already at a token, most of the time, costs no call.
func (s *Scanner) ws() {
	if s.i < len(s.b) && s.b[s.i] <= ' ' {
		s.skipSpace()
	}
}

//go:noinline
func (s *Scanner) skipSpace() {
	s.i += SpaceLen(s.b[s.i:])
}

// cur returns the byte at the cursor, or 0 at the end. The scanner's own
// loops call ws then cur, both inlined, where callers call Peek.
func (s *Scanner) cur() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// SpaceLen returns the length of the JSON white space at the start of b.
// The indentation after a newline is skipped up to 8 bytes at a time.
func SpaceLen(b []byte) int {
	const spaces8 = 0x2020202020202020
	i := 0
	for i < len(b) {
		switch b[i] {
		case ' ', '\r', '\t':
			i++
		case '\n':
			i++
			for i+8 <= len(b) {
				x := binary.LittleEndian.Uint64(b[i:]) ^ spaces8
				if x != 0 {
					i += bits.TrailingZeros64(x) / 8 // the spaces before the first other byte
					break
				}
				i += 8
			}
		default:
			return i
		}
	}
	return i
}

// Peek skips white space and returns the next byte, or 0 at the end (a
// NUL byte, never valid outside strings, also reads as 0).
func (s *Scanner) Peek() byte {
	s.ws()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// End reports an error unless only white space is left.
func (s *Scanner) End() error {
	if s.ws(); s.i < len(s.b) {
		return s.errorf("extra data after the top-level value")
	}
	return nil
}

func (s *Scanner) expect(c byte) error {
	if s.ws(); s.cur() != c {
		return s.errorf("expected %q", c)
	}
	s.i++
	return nil
}

// RawString consumes a string and returns its bytes, quotes included,
// undecoded (see Unquote). Its contents are not checked.
func (s *Scanner) RawString() ([]byte, error) {
	if s.ws(); s.cur() != '"' {
		return nil, s.errorf("expected string")
	}
	start := s.i
	j := StringEnd(s.b, start)
	if j == 0 {
		return nil, s.errorf("unterminated string")
	}
	s.i = j
	return s.b[start:j], nil
}

// StringEnd returns the offset just after the string token that starts at
// b[start] (a quote): after the first quote that an even number of
// backslashes precedes. It is 0 when b holds no such quote. The contents
// are not checked (see Unquote). For readers that walk documents with
// loops of their own (steps/evalreport, steps/analyze).
func StringEnd(b []byte, start int) int {
	j := start + 1
	for {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			return 0
		}
		j += k
		bs := 0
		for q := j - 1; q > start && b[q] == '\\'; q-- {
			bs++
		}
		j++
		if bs%2 == 0 {
			return j
		}
	}
}

// Str consumes a string and returns it decoded.
func (s *Scanner) Str() (string, error) {
	start := s.i
	raw, err := s.RawString()
	if err != nil {
		return "", err
	}
	v, err := Unquote(raw)
	if err != nil {
		s.i = start
		return "", ErrorAt(start, err)
	}
	if err := s.checkUTF8(s.i-len(raw), raw); err != nil {
		s.i = start
		return "", err // at the byte's own offset
	}
	return v, nil
}

// NullableString consumes a string or null: ok is false (and v "") for
// null; anything else is an error.
func (s *Scanner) NullableString() (v string, ok bool, err error) {
	if s.ws(); s.cur() == '"' {
		v, err = s.Str()
		return v, err == nil, err
	}
	lit, err := s.Skip()
	if err != nil {
		return "", false, err
	}
	if string(lit) != "null" {
		return "", false, s.errorf("expected string or null, got %.20s", lit)
	}
	return "", false, nil
}

// Strings consumes an array and returns its string elements, decoded;
// other elements are skipped.
func (s *Scanner) Strings() ([]string, error) {
	var out []string
	err := s.Array(func() error {
		if s.ws(); s.cur() != '"' {
			_, err := s.Skip()
			return err
		}
		v, err := s.Str()
		out = append(out, v)
		return err
	})
	return out, err
}

// Bool consumes true or false; null reads as false.
func (s *Scanner) Bool() (bool, error) {
	lit, err := s.Skip()
	if err != nil {
		return false, err
	}
	switch string(lit) {
	case "true":
		return true, nil
	case "false", "null":
		return false, nil
	}
	return false, s.errorf("expected boolean, got %.20s", lit)
}

// Literal consumes true, false or null and returns true, false or nil.
func (s *Scanner) Literal() (any, error) {
	lit, err := s.Skip()
	switch {
	case err != nil:
		return nil, err
	case string(lit) == "true":
		return true, nil
	case string(lit) == "false":
		return false, nil
	case string(lit) == "null":
		return nil, nil
	}
	return nil, fmt.Errorf("offset %d: invalid literal %.20q", s.i-len(lit), lit)
}

// Number consumes a number and returns its token as written: JSON's
// grammar, plus Python's NaN, Infinity and -Infinity.
func (s *Scanner) Number() ([]byte, error) {
	s.ws()
	n, err := NumberLen(s.b[s.i:])
	if err != nil {
		s.i += n
		return nil, s.errorf("%v", err)
	}
	tok := s.b[s.i : s.i+n]
	s.i += n
	return tok, nil
}

// Skip consumes one value of any kind and returns its bytes.
func (s *Scanner) Skip() ([]byte, error) {
	s.ws()
	c := s.cur()
	start := s.i
	switch c {
	case '"':
		return s.RawString()
	case '{', '[':
		var err error
		if s.strict {
			err = s.skipStrict(0)
		} else {
			err = s.skipContainer()
		}
		if err != nil {
			return nil, err
		}
		return s.b[start:s.i], nil
	case 0:
		return nil, s.errorf("unexpected end of input")
	}
	lit := s.literal()
	if len(lit) == 0 {
		return nil, s.errorf("unexpected %q", c)
	}
	if s.strict && !LiteralValid(lit) {
		s.i = start
		return nil, s.errorf("invalid literal %.20q", lit)
	}
	return lit, nil
}

// literal consumes a number, true, false or null, unchecked, up to the
// next delimiter.
func (s *Scanner) literal() []byte {
	start := s.i
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return s.b[start:s.i]
		}
		s.i++
	}
	return s.b[start:s.i]
}

func (s *Scanner) skipContainer() error {
	depth := 0
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case '"':
			if _, err := s.RawString(); err != nil {
				return err
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				s.i++
				return nil
			}
		}
		s.i++
	}
	return s.errorf("unterminated container")
}

// Object consumes an object, calling field for each member in document
// order. key is the decoded key; it is valid until field returns (and may
// share the document's bytes, which must not be modified). field must
// consume the value, if only with Skip.
func (s *Scanner) Object(field func(key []byte) error) error {
	return s.object(nil, field)
}

// ObjectInOrder is Object for an object whose keys usually come in
// order's order (some may be missing): a key that is the next one
// expected (or the one after) is recognised by comparing its bytes,
// without scanning it. Any other key is read as Object reads it, so the
// keys and errors are Object's whatever the document holds. order keeps
// where it is between keys: it is not safe for concurrent use.
func (s *Scanner) ObjectInOrder(order *KeyOrder, field func(key []byte) error) error {
	order.next = 0
	return s.object(order, field)
}

func (s *Scanner) object(order *KeyOrder, field func(key []byte) error) error {
	if err := s.expect('{'); err != nil {
		return err
	}
	if s.ws(); s.cur() == '}' {
		s.i++
		return nil
	}
	for {
		var key []byte
		var err error
		if order != nil {
			key, err = s.keyInOrder(order)
		} else {
			key, err = s.key()
		}
		if err != nil {
			return err
		}
		// ": " as json.dumps writes it, then any other form.
		if s.i+1 < len(s.b) && s.b[s.i] == ':' && s.b[s.i+1] == ' ' {
			s.i += 2
		} else if err := s.expect(':'); err != nil {
			return err
		}
		if err := field(key); err != nil {
			return err
		}
		switch s.ws(); s.cur() {
		case ',':
			s.i++
		case '}':
			s.i++
			return nil
		default:
			return s.errorf("expected ',' or '}' in object")
		}
	}
}

// KeyOrder is the order in which an object's keys usually come (see
// ObjectInOrder).
type KeyOrder struct {
	quoted [][]byte // each key between its quotes, as a plain key is written
	next   int      // the index of the key expected next
}

// NewKeyOrder returns the order of keys, which must be plain: printable
// ASCII without '"' or '\\' (it panics otherwise).
func NewKeyOrder(keys ...string) *KeyOrder {
	o := &KeyOrder{}
	for _, k := range keys {
		for _, c := range []byte(k) {
			if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
				panic(fmt.Sprintf("scan.NewKeyOrder: key %q is not plain", k))
			}
		}
		o.quoted = append(o.quoted, []byte(`"`+k+`"`))
	}
	return o
}

// keyInOrder is key, for the keys order expects by comparing bytes: a
// plain key's token is its quotes around it, so the same bytes are the
// same key. The next key expected and the few after it (missing keys are
// skipped) are tried.
func (s *Scanner) keyInOrder(order *KeyOrder) ([]byte, error) {
	s.ws()
	rest := s.b[s.i:]
	for j := order.next; j < len(order.quoted) && j <= order.next+3; j++ {
		if q := order.quoted[j]; len(rest) >= len(q) && string(rest[:len(q)]) == string(q) {
			s.i += len(q)
			order.next = j + 1
			return rest[1 : len(q)-1], nil
		}
	}
	key, err := s.key()
	if err == nil {
		for j, q := range order.quoted {
			if string(q[1:len(q)-1]) == string(key) {
				order.next = j + 1
				break
			}
		}
	}
	return key, err
}

// key reads an object key: the document's bytes when it has no escape
// (or control character, an error that Str reports).
func (s *Scanner) key() ([]byte, error) {
	if s.ws(); s.cur() != '"' {
		return nil, s.errorf("expected string")
	}
	start := s.i + 1
	if j := start + plainLen(s.b[start:]); j < len(s.b) && s.b[j] == '"' {
		if err := s.checkUTF8(start, s.b[start:j]); err != nil {
			return nil, err
		}
		s.i = j + 1
		return s.b[start:j], nil
	}
	k, err := s.Str()
	return []byte(k), err
}

// Array consumes an array, calling elem for each element; elem must
// consume the element.
func (s *Scanner) Array(elem func() error) error {
	if err := s.expect('['); err != nil {
		return err
	}
	if s.ws(); s.cur() == ']' {
		s.i++
		return nil
	}
	for {
		if err := elem(); err != nil {
			return err
		}
		switch s.ws(); s.cur() {
		case ',':
			s.i++
		case ']':
			s.i++
			return nil
		default:
			return s.errorf("expected ',' or ']' in array")
		}
	}
}

// Data returns the document the scanner reads, for callers that read a
// part of it in a layout they know and then Seek past it. It must not be
// modified.
func (s *Scanner) Data() []byte { return s.b }

// Seek moves the cursor to byte offset off (0 <= off <= len(Data())), for
// callers that read a part of the document themselves (see Data) or go
// back to read it again.
func (s *Scanner) Seek(off int) {
	if off < 0 || off > len(s.b) {
		panic(fmt.Sprintf("scan: Seek(%d) outside a document of %d bytes", off, len(s.b)))
	}
	s.i = off
}
