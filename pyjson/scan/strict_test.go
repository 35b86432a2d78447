package scan_test

import (
	"strings"
	"testing"

	"github.com/sptflow/sptflow/pyjson"
	"github.com/sptflow/sptflow/pyjson/scan"
	"github.com/sptflow/sptflow/pyjson/scan/scantest"
)

// skipStrict skips a whole document with a strict scanner, as a reader of
// files from outside sptflow does.
func skipStrict(data []byte) error {
	s := scan.NewStrict(data)
	if _, err := s.Skip(); err != nil {
		return err
	}
	return s.End()
}

// strictCases are documents a strict scanner refuses (ok false) or
// accepts (ok true), each malformed, if at all, in a part it skips.
var strictCases = []struct {
	name, doc string
	ok        bool
}{
	{"valid", `{"a": [1, -2.5e+3, "x\n\u00e9\ud800", true, false, null, NaN, -Infinity, {}], "b": {"c": []}}`, true},
	{"trailing white space", "{\"a\": 1} \n\t\r", true},
	{"trailing data", `{"a": 1} x`, false},
	{"second document", `{"a": 1}{"a": 2}`, false},
	{"leading zero", `{"a": [01]}`, false},
	{"bad fraction", `{"a": 1.}`, false},
	{"bad exponent", `{"a": 1e+}`, false},
	{"bad literal", `{"a": tru}`, false},
	{"lower-case nan", `{"a": nan}`, false},
	{"missing comma", `{"a": [1 2]}`, false},
	{"missing colon", `{"a": {"b" 1}}`, false},
	{"non-string key", `{"a": {1: 2}}`, false},
	{"trailing comma", `{"a": [1, 2,]}`, false},
	{"bare minus", `{"a": -}`, false},
	{"literal glued to a string", `{"a": [1"b"]}`, false},
	{"non-ASCII outside strings", "{\"a\": [1, \xc3\xa9]}", false},
	{"too deep", strings.Repeat("[", scan.MaxDepth+1) + strings.Repeat("]", scan.MaxDepth+1), false},
	{"deepest allowed", strings.Repeat("[", scan.MaxDepth) + strings.Repeat("]", scan.MaxDepth), true},
	// The contents of strings are not checked.
	{"invalid escape", `{"a": "x\qy"}`, true},
	{"raw tab", "{\"a\": [\"x\ty\"]}", true},
	{"invalid UTF-8", "{\"a\": {\"b\": \"x\xffy\"}}", true},
}

func TestStrictSkip(t *testing.T) {
	for _, tt := range strictCases {
		if err := skipStrict([]byte(tt.doc)); (err == nil) != tt.ok {
			t.Errorf("%s: strict skip error %v, want ok %v", tt.name, err, tt.ok)
		}
		blank := scantest.BlankStrings([]byte(tt.doc))
		if _, perr := pyjson.Parse(blank); (perr == nil) != tt.ok {
			t.Errorf("%s: pyjson.Parse(%q) error %v, want ok %v (the case is wrong)", tt.name, blank, perr, tt.ok)
		}
	}
}

// TestNewSkipsUnchecked pins what New does not check and NewStrict does.
func TestNewSkipsUnchecked(t *testing.T) {
	for _, doc := range []string{`{"a": [01]}`, `{"a": [1 2]}`, `{"a": {"b" 1}}`, `{"a": tru}`} {
		s := scan.New([]byte(doc))
		if _, err := s.Skip(); err != nil || s.End() != nil {
			t.Errorf("New: Skip(%q) = %v, want it skipped unchecked", doc, err)
		}
		if skipStrict([]byte(doc)) == nil {
			t.Errorf("NewStrict: Skip(%q) accepted", doc)
		}
	}
}

func TestStrictErrors(t *testing.T) {
	for _, tt := range []struct{ doc, want string }{
		{`{"a": [1, 01]}`, `offset 10: invalid literal "01"`},
		{`{"a": {"b" 1}}`, `offset 11: expected ':'`},
		{`[1] [2]`, `offset 4: extra data after the top-level value`},
		{"{\"k\\n\xff\": 1}", `offset 5: invalid UTF-8 (byte 0xff)`},
	} {
		if err := skipStrict([]byte(tt.doc)); err == nil || err.Error() != tt.want {
			t.Errorf("%s: got %v, want %s", tt.doc, err, tt.want)
		}
	}
}

// TestStrictStr checks that a strict scanner refuses invalid UTF-8 in the
// strings it decodes, at the byte's offset, and New does not look.
func TestStrictStr(t *testing.T) {
	doc := []byte(" \"a\\n\xff\"")
	if _, err := scan.NewStrict(doc).Str(); err == nil || err.Error() != "offset 5: invalid UTF-8 (byte 0xff)" {
		t.Errorf("NewStrict: Str(%q) = %v, want the invalid byte at offset 5", doc, err)
	}
	if _, err := scan.New(doc).Str(); err != nil {
		t.Errorf("New: Str(%q) = %v, want it decoded unchecked", doc, err)
	}
}

// FuzzStrict checks that a strict scanner accepts every document
// pyjson.Parse (which reads what Python's json.load reads) accepts, and
// accepts no other but those whose faults are all inside strings: their
// blanked forms (scantest.BlankStrings) pyjson.Parse accepts.
func FuzzStrict(f *testing.F) {
	for _, tt := range strictCases {
		f.Add([]byte(tt.doc))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		blank := scantest.BlankStrings(data)
		_, perr := pyjson.Parse(data)
		_, berr := pyjson.Parse(blank)
		for _, err := range []error{perr, berr} {
			if err != nil && strings.Contains(err.Error(), "nesting deeper") {
				return
			}
		}
		serr := skipStrict(data)
		if perr == nil && serr != nil {
			t.Fatalf("%q: pyjson.Parse accepts it, the strict scanner refuses it: %v", data, serr)
		}
		if (berr == nil) != (serr == nil) {
			t.Fatalf("%q: pyjson.Parse of %q: %v; strict scanner: %v", data, blank, berr, serr)
		}
	})
}
