package analyze

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/sptflow/sptflow/pyjson"
)

// scanner walks JSON text without building a tree: callers visit the keys
// they need and skip everything else, which is what makes the fan-in over
// hundreds of megabytes of tagged data fast and small. Strings are returned
// as byte ranges and decoded only when used.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) errorf(format string, args ...any) error {
	return fmt.Errorf("offset %d: %s", s.i, fmt.Sprintf(format, args...))
}

func (s *scanner) ws() {
	const spaces8 = 0x2020202020202020
	for s.i < len(s.b) {
		for s.i+8 <= len(s.b) && binary.LittleEndian.Uint64(s.b[s.i:]) == spaces8 { // indentation
			s.i += 8
		}
		if s.i == len(s.b) {
			return
		}
		switch s.b[s.i] {
		case ' ', '\n', '\r', '\t':
			s.i++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, or 0 at the end.
func (s *scanner) peek() byte {
	s.ws()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

func (s *scanner) expect(c byte) error {
	if s.peek() != c {
		return s.errorf("expected %q", c)
	}
	s.i++
	return nil
}

// span is a JSON string's contents b[start:end] (without quotes).
type span struct {
	start, end int
	esc        bool // contains a backslash escape
}

// str reads a string at the current position.
func (s *scanner) str() (span, error) {
	if err := s.expect('"'); err != nil {
		return span{}, err
	}
	start := s.i
	for {
		j := bytes.IndexByte(s.b[s.i:], '"')
		if j < 0 {
			return span{}, s.errorf("unterminated string")
		}
		q := s.i + j
		n := 0
		for k := q - 1; k >= start && s.b[k] == '\\'; k-- {
			n++
		}
		s.i = q + 1
		if n%2 == 0 {
			return span{start: start, end: q, esc: bytes.IndexByte(s.b[start:q], '\\') >= 0}, nil
		}
	}
}

// text decodes a string span with Python's json semantics (a lone
// surrogate escape becomes U+FFFD, as in pyjson). Skipped strings are not
// checked; a decoded one with a raw control character is an error.
func (s *scanner) text(sp span) (string, error) {
	b := s.b[sp.start:sp.end]
	if sp.esc {
		return unescape(b)
	}
	for _, c := range b {
		if c < 0x20 {
			return "", s.errorf("invalid control character in string")
		}
	}
	return string(b), nil
}

// skip skips one value of any kind.
func (s *scanner) skip() error {
	switch c := s.peek(); c {
	case '"':
		_, err := s.str()
		return err
	case '{', '[':
		return s.skipContainer()
	case 0:
		return s.errorf("unexpected end of input")
	default:
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case ',', '}', ']', ' ', '\n', '\r', '\t':
				return nil
			}
			s.i++
		}
		return nil
	}
}

func (s *scanner) skipContainer() error {
	depth := 0
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case '"':
			if _, err := s.str(); err != nil {
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

// raw returns the bytes of the next value.
func (s *scanner) raw() ([]byte, error) {
	s.ws()
	start := s.i
	if err := s.skip(); err != nil {
		return nil, err
	}
	return s.b[start:s.i], nil
}

// scalar decodes the next value: a string, pyjson.Number (its literal
// token), bool or nil; containers, which the fields read here rarely hold,
// are parsed into a pyjson tree.
func (s *scanner) scalar() (any, error) {
	switch c := s.peek(); {
	case c == '"':
		sp, err := s.str()
		if err != nil {
			return nil, err
		}
		return s.text(sp)
	case c == '-' || (c >= '0' && c <= '9'):
		return s.number()
	case c == 't':
		return true, s.literal("true")
	case c == 'f':
		return false, s.literal("false")
	case c == 'n':
		return nil, s.literal("null")
	case c == 'N':
		return pyjson.Number("NaN"), s.literal("NaN")
	case c == 'I':
		return pyjson.Number("Infinity"), s.literal("Infinity")
	}
	r, err := s.raw()
	if err != nil {
		return nil, err
	}
	return pyjson.Parse(r)
}

func (s *scanner) literal(lit string) error {
	if !bytes.HasPrefix(s.b[s.i:], []byte(lit)) {
		return s.errorf("invalid literal")
	}
	s.i += len(lit)
	return nil
}

// number reads a number token with JSON's grammar (plus Python's
// -Infinity) and keeps it as written.
func (s *scanner) number() (any, error) {
	start := s.i
	if s.b[s.i] == '-' {
		s.i++
		if bytes.HasPrefix(s.b[s.i:], []byte("Infinity")) {
			s.i += len("Infinity")
			return pyjson.Number("-Infinity"), nil
		}
	}
	if s.i < len(s.b) && s.b[s.i] == '0' {
		s.i++
	} else if s.digits() == 0 {
		return nil, s.errorf("invalid number")
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if s.digits() == 0 {
			return nil, s.errorf("invalid number: no digits after '.'")
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if s.digits() == 0 {
			return nil, s.errorf("invalid number: no digits in exponent")
		}
	}
	return pyjson.Number(s.b[start:s.i]), nil
}

func (s *scanner) digits() int {
	n := 0
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		s.i++
		n++
	}
	return n
}

// strings reads an array of strings (tags); null reads as empty.
func (s *scanner) strings() ([]string, error) {
	if s.peek() == 'n' {
		return nil, s.skip()
	}
	var out []string
	err := s.array(func() error {
		v, err := s.scalar()
		if str, ok := v.(string); ok {
			out = append(out, str)
		}
		return err
	})
	return out, err
}

// object calls fn for each key (decoded; valid until the next call); fn
// must consume the value (or call skip).
func (s *scanner) object(fn func(key []byte) error) error {
	if err := s.expect('{'); err != nil {
		return err
	}
	if s.peek() == '}' {
		s.i++
		return nil
	}
	for {
		sp, err := s.str()
		if err != nil {
			return err
		}
		key := s.b[sp.start:sp.end]
		if sp.esc {
			k, err := s.text(sp)
			if err != nil {
				return err
			}
			key = []byte(k)
		}
		if err := s.expect(':'); err != nil {
			return err
		}
		if err := fn(key); err != nil {
			return err
		}
		switch s.peek() {
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

// array calls fn for each element; fn must consume it.
func (s *scanner) array(fn func() error) error {
	if err := s.expect('['); err != nil {
		return err
	}
	if s.peek() == ']' {
		s.i++
		return nil
	}
	for {
		if err := fn(); err != nil {
			return err
		}
		switch s.peek() {
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
