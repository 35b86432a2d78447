package evalreport

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// scanner walks a JSON document held in memory without building values for
// what it skips. Strings are skipped with bytes.IndexByte, which makes
// reading the large `results` arrays several times faster than
// encoding/json while keeping only the few fields the analysis needs.
// It checks structure (brackets, quotes, separators), not the grammar of
// numbers and literals it skips.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) errorf(format string, args ...any) error {
	return fmt.Errorf("offset %d: %s", s.i, fmt.Sprintf(format, args...))
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, or 0 at the end.
func (s *scanner) peek() byte {
	s.ws()
	if s.i >= len(s.b) {
		return 0
	}
	return s.b[s.i]
}

func (s *scanner) expect(c byte) error {
	if s.peek() != c {
		return s.errorf("expected %q", c)
	}
	s.i++
	return nil
}

// rawString consumes a string and returns its bytes including the quotes.
func (s *scanner) rawString() ([]byte, error) {
	if s.peek() != '"' {
		return nil, s.errorf("expected string")
	}
	start := s.i
	j := s.i + 1
	for {
		k := bytes.IndexByte(s.b[j:], '"')
		if k < 0 {
			s.i = len(s.b)
			return nil, s.errorf("unterminated string")
		}
		j += k
		bs := 0
		for p := j - 1; p > start && s.b[p] == '\\'; p-- {
			bs++
		}
		j++
		if bs%2 == 0 {
			break
		}
	}
	s.i = j
	return s.b[start:j], nil
}

// str consumes a string and returns its decoded value.
func (s *scanner) str() (string, error) {
	raw, err := s.rawString()
	if err != nil {
		return "", err
	}
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw[1 : len(raw)-1]), nil
	}
	var v string
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", s.errorf("bad string: %v", err)
	}
	return v, nil
}

// literal consumes true, false, null or a number and returns its bytes.
func (s *scanner) literal() []byte {
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

// skip consumes one value of any kind and returns its bytes.
func (s *scanner) skip() ([]byte, error) {
	c := s.peek()
	start := s.i
	switch c {
	case '"':
		return s.rawString()
	case '{', '[':
		if err := s.skipContainer(); err != nil {
			return nil, err
		}
		return s.b[start:s.i], nil
	case 0:
		return nil, s.errorf("unexpected end of input")
	}
	if lit := s.literal(); len(lit) > 0 {
		return lit, nil
	}
	return nil, s.errorf("unexpected %q", c)
}

func (s *scanner) skipContainer() error {
	depth := 0
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case '"':
			if _, err := s.rawString(); err != nil {
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

// object calls field for every key of the object at the cursor; field must
// consume the value.
func (s *scanner) object(field func(key []byte) error) error {
	if err := s.expect('{'); err != nil {
		return err
	}
	if s.peek() == '}' {
		s.i++
		return nil
	}
	for {
		key, err := s.rawString()
		if err != nil {
			return err
		}
		if err := s.expect(':'); err != nil {
			return err
		}
		if err := field(key[1 : len(key)-1]); err != nil {
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

// array calls elem for every element of the array at the cursor; elem must
// consume the element.
func (s *scanner) array(elem func() error) error {
	if err := s.expect('['); err != nil {
		return err
	}
	if s.peek() == ']' {
		s.i++
		return nil
	}
	for {
		if err := elem(); err != nil {
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

// nullableString consumes a string or null ("" for null; ok false).
func (s *scanner) nullableString() (v string, ok bool, err error) {
	if s.peek() == '"' {
		v, err = s.str()
		return v, err == nil, err
	}
	lit, err := s.skip()
	if err != nil {
		return "", false, err
	}
	if string(lit) != "null" {
		return "", false, s.errorf("expected string or null, got %s", lit)
	}
	return "", false, nil
}

// boolean consumes true or false (null counts as false).
func (s *scanner) boolean() (bool, error) {
	lit, err := s.skip()
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
