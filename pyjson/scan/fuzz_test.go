package scan_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/sptflow/sptflow/pyjson"
	"github.com/sptflow/sptflow/pyjson/scan"
)

// build decodes the value at the cursor into pyjson's types using the
// scanner alone, reading every value (none skipped unread).
func build(s *scan.Scanner) (any, error) {
	switch c := s.Peek(); c {
	case '{':
		o := pyjson.NewObject(0)
		err := s.Object(func(k []byte) error {
			v, err := build(s)
			o.Set(string(k), v) // first position, last value, as pyjson.Parse
			return err
		})
		return o, err
	case '[':
		a := []any{}
		err := s.Array(func() error {
			v, err := build(s)
			a = append(a, v)
			return err
		})
		return a, err
	case '"':
		return s.Str()
	case 't', 'f', 'n':
		return s.Literal()
	}
	tok, err := s.Number()
	return pyjson.NumberOf(tok), err
}

func parseWithScanner(data []byte) (any, error) {
	if err := scan.CheckUTF8(data); err != nil {
		return nil, err
	}
	s := scan.New(data)
	v, err := build(s)
	if err != nil {
		return nil, err
	}
	return v, s.End()
}

// FuzzScanner checks that reading a whole document through the scanner
// accepts what pyjson.Parse accepts and gives the same value, and that
// skipping it consumes exactly that document.
func FuzzScanner(f *testing.F) {
	for _, seed := range []string{
		`{"a": [1, "b", null, true, false], "a": {"c": -1.5e3}}`, `"\ud83d\ude00 \udc00\udc00 \u00e9"`,
		`[NaN, Infinity, -Infinity, 0, -0.0, 1E+2]`, "{\"k\\n\": \"v\\t\\\"\"}", `[01]`, `{"a" 1}`, "\"\x01\"",
		`{"x":"` + strings.Repeat(" ", 20) + `\\"}`, "[\n" + strings.Repeat(" ", 17) + "1]", `tru`, `[1,]`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		want, perr := pyjson.Parse(data)
		if perr != nil && strings.Contains(perr.Error(), "nesting deeper") {
			return
		}
		got, serr := parseWithScanner(data)
		if (perr == nil) != (serr == nil) {
			t.Fatalf("%q: pyjson.Parse error %v, scanner error %v", data, perr, serr)
		}
		if perr != nil {
			return
		}
		wb, err1 := pyjson.Marshal(want, pyjson.LineASCII)
		gb, err2 := pyjson.Marshal(got, pyjson.LineASCII)
		if err1 != nil || err2 != nil || !bytes.Equal(gb, wb) {
			t.Fatalf("%q:\ngot  %s (%v)\nwant %s (%v)", data, gb, err2, wb, err1)
		}
		s := scan.New(data)
		raw, err := s.Skip()
		if err != nil || s.End() != nil || !bytes.Equal(bytes.TrimSpace(data), raw) {
			t.Fatalf("%q: Skip got %q, %v", data, raw, err)
		}
	})
}
