package analyze

import (
	"github.com/sptflow/sptflow/pyjson"
	"github.com/sptflow/sptflow/pyjson/scan"
)

// The batch files are read with pyjson/scan: the analysis visits the keys
// it needs and skips everything else, which is what makes the fan-in over
// hundreds of megabytes of tagged data fast and small. Long strings are
// kept as raw tokens and decoded only when used.

// scalar decodes the next value as pyjson.Parse would: a string,
// pyjson.Number (as Python writes it back), bool or nil; containers, which the
// fields read here rarely hold, are parsed into a pyjson tree.
func scalar(s *scan.Scanner) (any, error) {
	switch c := s.Peek(); {
	case c == '"':
		v, err := s.Str()
		if err != nil {
			return nil, err
		}
		return internStr(v), nil
	case c == '-' || c == 'N' || c == 'I' || (c >= '0' && c <= '9'):
		tok, err := s.Number()
		if err != nil {
			return pyjson.NumberOf(tok), err
		}
		return internNumber(tok), nil
	case c == 't' || c == 'f' || c == 'n':
		return s.Literal()
	}
	raw, err := s.Skip()
	if err != nil {
		return nil, err
	}
	return pyjson.Parse(raw)
}

// text decodes a raw string token, or returns "" when absent (nil) or
// invalid.
func text(raw []byte) string {
	if raw == nil {
		return ""
	}
	t, err := scan.Unquote(raw)
	if err != nil {
		return ""
	}
	return t
}
