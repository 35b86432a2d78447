package scan

// MaxDepth is how deeply a strict scanner nests when it checks a skipped
// container, as pyjson.Parse.
const MaxDepth = 10000

// NewStrict returns a scanner at the start of data that checks the grammar
// of what it skips, as Python's json.load would: the structure of every
// container (separators, string keys, at most MaxDepth deep) and every
// number and literal (JSON's numbers, NaN, Infinity, -Infinity, true,
// false, null); End then checks that nothing but white space follows the
// value. The strings it decodes (every object key, the values read with
// Str) are checked for invalid UTF-8 too. The contents of the strings it
// skips are not checked (escapes, control characters, UTF-8): it finds
// their ends as New does. Checking them would read every byte of a
// document whose strings are nearly all of it, several times the cost of
// skipping them.
//
// It is for documents from outside sptflow (evaluation result files): a
// truncated, concatenated or garbled document is refused wherever the
// fault lies, as long as the fault is not inside a string. What sptflow
// wrote and checked itself is read with New.
func NewStrict(data []byte) *Scanner { return &Scanner{b: data, strict: true} }

// LiteralValid reports whether a number, true, false or null token (as
// the scanner reads one, up to the next delimiter) is one Python's json
// reads: a JSON number, NaN, Infinity, -Infinity, true, false or null.
func LiteralValid(lit []byte) bool {
	switch string(lit) {
	case "true", "false", "null":
		return true
	}
	n, err := NumberLen(lit)
	return err == nil && n == len(lit) && n > 0
}

// skipStrict consumes the container at the cursor, checking its grammar
// (see NewStrict); depth containers hold it.
func (s *Scanner) skipStrict(depth int) error {
	if depth >= MaxDepth {
		return s.errorf("nesting deeper than %d", MaxDepth)
	}
	value := func() error {
		if c := s.Peek(); c == '{' || c == '[' {
			return s.skipStrict(depth + 1)
		}
		_, err := s.Skip()
		return err
	}
	if s.cur() == '{' {
		return s.Object(func([]byte) error { return value() })
	}
	return s.Array(value)
}

// checkUTF8 is, for a strict scanner, CheckUTF8 of b, a string's bytes
// from offset start, with the offset of the byte at fault.
func (s *Scanner) checkUTF8(start int, b []byte) error {
	if !s.strict {
		return nil
	}
	if err := CheckUTF8(b); err != nil {
		e := err.(*UTF8Error)
		return &UTF8Error{Offset: start + e.Offset, Byte: e.Byte}
	}
	return nil
}
