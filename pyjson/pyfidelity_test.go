package pyjson

import (
	"errors"
	"strings"
	"testing"
)

// TestRoundTripLikePython checks documents whose decode→encode Python's
// json changes or keeps in ways a naive decoder does not: lone surrogates,
// numbers beyond float64, non-canonical floats and huge integers. want is
// what json.dumps(json.loads(in)) writes (ensure_ascii per opt).
func TestRoundTripLikePython(t *testing.T) {
	huge := "123456789012345678901234567890123456789012345678901234567890"
	tests := []struct {
		name, in string
		opt      Options
		want     string
	}{
		{"lone high surrogate ascii", `["\ud800"]`, LineASCII, `["\ud800"]`},
		{"lone high surrogate utf8", `["\ud800"]`, Line, `["\ud800"]`},
		{"lone low surrogate", `["a\udfffb"]`, LineASCII, `["a\udfffb"]`},
		{"reversed pair stays two", `["\udc00\ud800"]`, LineASCII, `["\udc00\ud800"]`},
		{"high then non-surrogate escape", `["\ud83d\u0041"]`, LineASCII, `["\ud83dA"]`},
		{"high then escaped high", `["\ud83d\ud83d\ude00"]`, LineASCII, `["\ud83d\ud83d\ude00"]`},
		{"pair joins, ascii", `["\ud83d\ude00"]`, LineASCII, `["\ud83d\ude00"]`},
		{"pair joins, utf8", `["\ud83d\ude00"]`, Line, "[\"\U0001F600\"]"},
		{"lone surrogate in a key", `{"\udabc": 1}`, LineASCII, `{"\udabc": 1}`},
		{"uppercase hex", `["\uDBFF"]`, LineASCII, `["\udbff"]`},
		{"DEL escaped with ensure_ascii", "[\"a\x7fb\", \"\\u007f\"]", LineASCII, `["a\u007fb", "\u007f"]`},
		{"DEL raw without", "[\"a\x7fb\", \"\\u007f\"]", Line, "[\"a\x7fb\", \"\x7f\"]"},
		{"1e999", `[1e999]`, Line, `[Infinity]`},
		{"-1e999", `[-1e999]`, Line, `[-Infinity]`},
		{"1e-999", `[1e-999, -1e-999]`, Line, `[0.0, -0.0]`},
		{"NaN and infinities", `[NaN, Infinity, -Infinity]`, Line, `[NaN, Infinity, -Infinity]`},
		{"huge int exact", `[` + huge + `, -` + huge + `]`, Line, `[` + huge + `, -` + huge + `]`},
		{"-0 is the int 0", `[-0, 0, -0.0]`, Line, `[0, 0, -0.0]`},
		{"exponent floats", `[1E5, 1e16, 2.5e-5, 1e-4, 1.0e2]`, Line, `[100000.0, 1e+16, 2.5e-05, 0.0001, 100.0]`},
		{"non-canonical fractions", `[1.50, 0.10, 100.50]`, Line, `[1.5, 0.1, 100.5]`},
		{"leading zero is a syntax error", `[00.5]`, Line, ``},
		{"long fraction", `[0.12345678901234567890]`, Line, `[0.12345678901234568]`},
		{"canonical kept", `[3.14, 0.0001, 123456789012345.0, 9007199254740993.0]`, Line, `[3.14, 0.0001, 123456789012345.0, 9007199254740992.0]`},
		{"generation_time", `[12.345678901234567]`, Line, `[12.345678901234567]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := Parse([]byte(tt.in))
			if tt.want == "" {
				if err == nil {
					t.Fatalf("Parse(%s): no error", tt.in)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%s): %v", tt.in, err)
			}
			got, err := Marshal(v, tt.opt)
			if err != nil || string(got) != tt.want {
				t.Errorf("round trip of %s:\ngot  %s (%v)\nwant %s", tt.in, got, err, tt.want)
			}
		})
	}
}

// TestInvalidUTF8 checks that every kind of invalid UTF-8 is rejected at
// its byte offset, wherever it is (Python's json.load fails on reading).
func TestInvalidUTF8(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		offset int
		b      byte
	}{
		{"stray continuation byte", `["ab` + "\x80" + `"]`, 4, 0x80},
		{"invalid start byte", `["` + "\xff" + `"]`, 2, 0xff},
		{"truncated two-byte", `["` + "\xc3" + `"]`, 2, 0xc3},
		{"truncated three-byte at end", `["é` + "\xe2\x82" + `"]`, 4, 0xe2},
		{"overlong encoding", `["` + "\xc0\xaf" + `"]`, 2, 0xc0},
		{"encoded surrogate (CESU/WTF-8)", `["` + "\xed\xa0\x80" + `"]`, 2, 0xed},
		{"above U+10FFFF", `["` + "\xf4\x90\x80\x80" + `"]`, 2, 0xf4},
		{"in a key", `{"k` + "\xfe" + `": 1}`, 3, 0xfe},
		{"outside strings", "[1, \xff]", 4, 0xff},
		{"after valid multibyte", `["日本` + "\x80" + `"]`, 8, 0x80},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.in))
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q): got %v, want a SyntaxError", tt.in, err)
			}
			if se.Offset != tt.offset || !strings.Contains(se.Msg, "invalid UTF-8") {
				t.Errorf("Parse(%q): got %v, want invalid UTF-8 at offset %d", tt.in, err, tt.offset)
			}
			if want := "byte 0x"; !strings.Contains(se.Msg, want) || se.Msg[len(se.Msg)-3:len(se.Msg)-1] != hex2(tt.b) {
				t.Errorf("Parse(%q): message %q does not name byte %02x", tt.in, se.Msg, tt.b)
			}
		})
	}
}

func hex2(b byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[b>>4], digits[b&0xF]})
}

func TestNumberOf(t *testing.T) {
	tests := []struct{ tok, want string }{
		{"0", "0"}, {"-0", "0"}, {"42", "42"}, {"-7", "-7"},
		{"1.0", "1.0"}, {"-0.0", "-0.0"}, {"0.5", "0.5"}, {"1.5e3", "1500.0"},
		{"1e999", "Infinity"}, {"-1e999", "-Infinity"}, {"NaN", "NaN"}, {"-Infinity", "-Infinity"},
		{"0.00001", "1e-05"}, {"0.0001", "0.0001"}, {"10000000000000000.0", "1e+16"},
		{"1234567890123456.0", "1234567890123456.0"}, {"100.50", "100.5"}, {"1.7976931348623157e308", "1.7976931348623157e+308"},
	}
	for _, tt := range tests {
		if got := NumberOf([]byte(tt.tok)); string(got) != tt.want {
			t.Errorf("NumberOf(%s): got %s, want %s", tt.tok, got, tt.want)
		}
	}
}
