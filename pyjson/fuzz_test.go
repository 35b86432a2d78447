package pyjson

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzRoundTrip checks that whatever Parse accepts encodes, in every
// flavour, to a document that parses back to the same value (its encoding
// is unchanged) and is valid UTF-8 (pure ASCII with ASCII escaping), and
// that Parse rejects exactly the inputs that are not valid UTF-8. The seed
// corpus is in testdata/fuzz/FuzzRoundTrip.
func FuzzRoundTrip(f *testing.F) {
	for _, seed := range []string{
		`{"a": ["\ud800", "\udfff\ud800", "\ud83d\ude00"], "b": [1e999, -1e999, NaN, 1E5, -0]}`,
		`["` + "\xed\xa0\x80" + `", 1]`, `{"k": "` + "\xff" + `"}`, `[123456789012345678901234567890, 0.1, 1.50]`,
	} {
		f.Add([]byte(seed))
	}
	flavours := []Options{Line, LineASCII, DataFile, Tagged}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := Parse(data)
		if err != nil {
			if strings.Contains(err.Error(), "invalid UTF-8") == utf8.Valid(data) {
				t.Fatalf("%q: utf8.Valid %v, error %v", data, utf8.Valid(data), err)
			}
			return
		}
		if !utf8.Valid(data) {
			t.Fatalf("%q: invalid UTF-8 accepted", data)
		}
		fl := flavours
		if bytes.Count(data, []byte("["))+bytes.Count(data, []byte("{")) > 200 {
			fl = flavours[:2] // indented output grows with the square of the depth
		}
		for _, opt := range fl {
			enc, err := Marshal(v, opt)
			if err != nil {
				t.Fatalf("%q: Marshal(%+v): %v", data, opt, err)
			}
			if !utf8.Valid(enc) || opt.ASCII && !isASCII(enc) {
				t.Fatalf("%q: Marshal(%+v) wrote %q", data, opt, enc)
			}
			back, err := Parse(enc)
			if err != nil {
				t.Fatalf("%q: Parse(Marshal(%+v)) = %q: %v", data, opt, enc, err)
			}
			again, _ := Marshal(back, opt)
			if !bytes.Equal(again, enc) {
				t.Fatalf("%q (%+v):\nfirst  %q\nsecond %q", data, opt, enc, again)
			}
		}
	})
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
