// Package jsonscan walks JSON documents held in memory without building
// values for what it skips. Strings are skipped with bytes.IndexByte, which
// makes picking a few fields out of large files several times faster than
// encoding/json or a full ordered decode. It checks structure (brackets,
// quotes, separators), not the grammar of the numbers and literals it
// skips. Used by analyze_eval (result files) and export (tagged batches).
package jsonscan

import (
	"bytes"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
)

// Scanner reads one JSON document. Errors carry the byte offset.
type Scanner struct {
	b []byte
	i int
}

// New returns a scanner over data.
func New(data []byte) *Scanner { return &Scanner{b: data} }

func (s *Scanner) errorf(format string, args ...any) error {
	return fmt.Errorf("offset %d: %s", s.i, fmt.Sprintf(format, args...))
}

func (s *Scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// Peek returns the next non-space byte, or 0 at the end.
func (s *Scanner) Peek() byte {
	s.ws()
	if s.i >= len(s.b) {
		return 0
	}
	return s.b[s.i]
}

func (s *Scanner) expect(c byte) error {
	if s.Peek() != c {
		return s.errorf("expected %q", c)
	}
	s.i++
	return nil
}

// RawString consumes a string and returns its bytes including the quotes.
func (s *Scanner) RawString() ([]byte, error) {
	if s.Peek() != '"' {
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

// Str consumes a string and returns its decoded value.
func (s *Scanner) Str() (string, error) {
	raw, err := s.RawString()
	if err != nil {
		return "", err
	}
	v, err := Unquote(raw)
	if err != nil {
		return "", s.errorf("%v", err)
	}
	return v, nil
}

// literal consumes true, false, null or a number and returns its bytes.
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

// Skip consumes one value of any kind and returns its bytes.
func (s *Scanner) Skip() ([]byte, error) {
	c := s.Peek()
	start := s.i
	switch c {
	case '"':
		return s.RawString()
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

// Object calls field for every key of the object at the cursor; field must
// consume the value.
func (s *Scanner) Object(field func(key []byte) error) error {
	if err := s.expect('{'); err != nil {
		return err
	}
	if s.Peek() == '}' {
		s.i++
		return nil
	}
	for {
		key, err := s.RawString()
		if err != nil {
			return err
		}
		if err := s.expect(':'); err != nil {
			return err
		}
		if err := field(key[1 : len(key)-1]); err != nil {
			return err
		}
		switch s.Peek() {
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

// Array calls elem for every element of the array at the cursor; elem must
// consume the element.
func (s *Scanner) Array(elem func() error) error {
	if err := s.expect('['); err != nil {
		return err
	}
	if s.Peek() == ']' {
		s.i++
		return nil
	}
	for {
		if err := elem(); err != nil {
			return err
		}
		switch s.Peek() {
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

// NullableString consumes a string or null ("" for null; ok false).
func (s *Scanner) NullableString() (v string, ok bool, err error) {
	if s.Peek() == '"' {
		v, err = s.Str()
		return v, err == nil, err
	}
	lit, err := s.Skip()
	if err != nil {
		return "", false, err
	}
	if string(lit) != "null" {
		return "", false, s.errorf("expected string or null, got %s", lit)
	}
	return "", false, nil
}

// Bool consumes true or false (null counts as false).
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

// Offset returns the current byte offset.
func (s *Scanner) Offset() int { return s.i }

// Unquote decodes the raw bytes of a JSON string (quotes included), as
// returned by RawString. Invalid escapes are an error; lone surrogates
// become U+FFFD, as encoding/json does.
func Unquote(raw []byte) (string, error) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", fmt.Errorf("not a JSON string: %.20q", raw)
	}
	body := raw[1 : len(raw)-1]
	first := bytes.IndexByte(body, '\\')
	if first < 0 {
		return string(body), nil
	}
	out := make([]byte, first, len(body))
	copy(out, body[:first])
	for i := first; i < len(body); {
		c := body[i]
		if c != '\\' {
			j := bytes.IndexByte(body[i:], '\\')
			if j < 0 {
				j = len(body) - i
			}
			out = append(out, body[i:i+j]...)
			i += j
			continue
		}
		if i+1 >= len(body) {
			return "", fmt.Errorf("bad escape at end of string")
		}
		var n int
		var err error
		out, n, err = appendEscape(out, body[i:])
		if err != nil {
			return "", err
		}
		i += n
	}
	return string(out), nil
}

var simpleEscapes = [256]byte{'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}

// appendEscape decodes the escape at the start of b (b[0] == '\\') and
// returns the bytes consumed.
func appendEscape(out, b []byte) ([]byte, int, error) {
	if r := simpleEscapes[b[1]]; r != 0 {
		return append(out, r), 2, nil
	}
	if b[1] != 'u' {
		return nil, 0, fmt.Errorf("bad escape \\%c", b[1])
	}
	r, ok := hex4(b[2:])
	if !ok {
		return nil, 0, fmt.Errorf("bad \\u escape")
	}
	n := 6
	if utf16.IsSurrogate(r) {
		r2, ok2 := rune(-1), false
		if len(b) >= 12 && b[6] == '\\' && b[7] == 'u' {
			r2, ok2 = hex4(b[8:])
		}
		if d := utf16.DecodeRune(r, r2); ok2 && d != utf8.RuneError {
			r, n = d, 12
		} else {
			r = utf8.RuneError
		}
	}
	return utf8.AppendRune(out, r), n, nil
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
