package scan

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestUnquote(t *testing.T) {
	for _, tt := range []struct{ raw, want string }{
		{`"plain"`, "plain"},
		{`""`, ""},
		{`"a\"b\\c\/d"`, `a"b\c/d`},
		{`"\b\f\n\r\t"`, "\b\f\n\r\t"},
		{`"caf\u00e9 \u00E9"`, "café é"},
		{`"smile \ud83d\ude00!"`, "smile 😀!"},
		{`"lone \ud83d end"`, "lone \xed\xa0\xbd end"}, // kept as WTF-8
		{`"lone \ude00"`, "lone \xed\xb8\x80"},
		{`"\udc00\udc00"`, "\xed\xb0\x80\xed\xb0\x80"}, // two lone low surrogates
		{`"\ud800\ud800"`, "\xed\xa0\x80\xed\xa0\x80"}, // two lone high surrogates
		{`"\ud800\udc00\udc00"`, "𐀀\xed\xb0\x80"},      // a pair, then a lone one
		{`"mixed é \n ✓"`, "mixed é \n ✓"},
		{`"\u0000x"`, "\x00x"},
		{`"long plain text past eight bytes\n"`, "long plain text past eight bytes\n"},
	} {
		got, err := Unquote([]byte(tt.raw))
		if err != nil || got != tt.want {
			t.Errorf("Unquote(%s): got %q, %v; want %q", tt.raw, got, err, tt.want)
		}
	}
}

func TestUnquoteRejects(t *testing.T) {
	for _, bad := range []string{`"\x"`, `"\u12"`, `"\u12g4"`, `"\`, `"\"`, `"a"b"`, `abc`, `"`, "\"a\x01\"", "\"0123456789\x1f\"", "\"\\n\x01\""} {
		if got, err := Unquote([]byte(bad)); err == nil {
			t.Errorf("Unquote(%q): got %q, want an error", bad, got)
		}
	}
}

func TestPlainLen(t *testing.T) {
	for _, in := range []string{"", "abc", "0123456789abcdef", "0123456\\89", "012345678\"x", "01234567\x1f", "é✓ non-ASCII bytes are plain", "\x7f\x80\xff", strings.Repeat("x", 40) + "\\"} {
		want := 0
		for want < len(in) && in[want] >= 0x20 && in[want] != '"' && in[want] != '\\' {
			want++
		}
		if got := plainLen([]byte(in)); got != want {
			t.Errorf("plainLen(%q): got %d, want %d", in, got, want)
		}
	}
}

func TestNumberLen(t *testing.T) {
	for _, tt := range []struct {
		in    string
		n     int
		valid bool
	}{
		{"0", 1, true}, {"-0", 2, true}, {"12,", 2, true}, {"-3.25]", 5, true}, {"1e5", 3, true},
		{"2.5E-3", 6, true}, {"1E+07}", 5, true}, {"01", 1, true}, {"NaN", 3, true}, {"Infinity", 8, true},
		{"-Infinity", 9, true}, {"-", 1, false}, {"1.", 2, false}, {"1.e3", 2, false}, {"1e", 2, false},
		{"1e+", 3, false}, {"-NaN", 1, false}, {"-Inf", 1, false}, {"x", 0, false}, {"", 0, false}, {".5", 0, false},
	} {
		n, err := NumberLen([]byte(tt.in))
		if n != tt.n || (err == nil) != tt.valid {
			t.Errorf("NumberLen(%q): got %d, %v; want %d, valid %v", tt.in, n, err, tt.n, tt.valid)
		}
	}
}

func TestObjectSkipsAndReads(t *testing.T) {
	doc := `{"skip": {"a": [1, "]}\"", {"b": null}], "c": "x\\"}, "keep": ["s\"1", 2, "s2"],
	        "k\u00e9y": true, "e": [], "n": -1.5e3, "o": {}}`
	s := New([]byte(doc))
	var keys, kept []string
	var b bool
	var num []byte
	err := s.Object(func(key []byte) error {
		keys = append(keys, string(key))
		var err error
		switch string(key) {
		case "keep":
			kept, err = s.Strings()
		case "kéy":
			b, err = s.Bool()
		case "n":
			num, err = s.Number()
		default:
			_, err = s.Skip()
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.End(); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(keys, ","), "skip,keep,kéy,e,n,o"; got != want {
		t.Errorf("keys: got %s, want %s", got, want)
	}
	if got, want := strings.Join(kept, ","), `s"1,s2`; got != want {
		t.Errorf("strings: got %s, want %s", got, want)
	}
	if !b || string(num) != "-1.5e3" {
		t.Errorf("got bool %v number %s, want true -1.5e3", b, num)
	}
}

func TestSkipReturnsValueBytes(t *testing.T) {
	for _, tt := range []struct{ doc, want string }{
		{`  "a\"b" ,`, `"a\"b"`},
		{"\n\t[1, [2], {\"x\": \"]\"}] x", `[1, [2], {"x": "]"}]`},
		{"                  true}", "true"},
		{"-12.5e3]", "-12.5e3"},
		{"null", "null"},
	} {
		got, err := New([]byte(tt.doc)).Skip()
		if err != nil || string(got) != tt.want {
			t.Errorf("Skip(%q): got %q, %v; want %q", tt.doc, got, err, tt.want)
		}
	}
}

func TestStructureErrors(t *testing.T) {
	for _, bad := range []string{`{"a": "x}`, `{"a" 1}`, `{"a": [1, 2}`, `{"a": 1`, `[`, `{"a": }`, `{"\x": 1}`, `{a: 1}`, ``} {
		s := New([]byte(bad))
		err := s.Object(func([]byte) error { _, err := s.Skip(); return err })
		if err == nil {
			t.Errorf("%s: want an error", bad)
		} else if !strings.HasPrefix(err.Error(), "offset ") {
			t.Errorf("%s: got %q, want an error naming the offset", bad, err)
		}
	}
	for doc, wantErr := range map[string]bool{"{} {}": true, "{} \n ": false} {
		s := New([]byte(doc))
		if err := s.Object(func([]byte) error { return nil }); err != nil {
			t.Fatal(err)
		}
		if err := s.End(); (err != nil) != wantErr {
			t.Errorf("End after %q: got %v, want error %v", doc, err, wantErr)
		}
	}
}

func TestTypedReaders(t *testing.T) {
	for _, tt := range []struct {
		doc  string
		want string
	}{
		{`"x"`, "x true"}, {`null`, " false"}, {`"\u00e9"`, "é true"},
	} {
		v, ok, err := New([]byte(tt.doc)).NullableString()
		if got := v + " " + map[bool]string{true: "true", false: "false"}[ok]; err != nil || got != tt.want {
			t.Errorf("NullableString(%s): got %q, %v; want %q", tt.doc, got, err, tt.want)
		}
	}
	for _, bad := range []string{`1`, `true`, `"\q"`} {
		if _, _, err := New([]byte(bad)).NullableString(); err == nil {
			t.Errorf("NullableString(%s): want an error", bad)
		}
	}
	for doc, want := range map[string]bool{"true": true, "false": false, "null": false} {
		if got, err := New([]byte(doc)).Bool(); err != nil || got != want {
			t.Errorf("Bool(%s): got %v, %v; want %v", doc, got, err, want)
		}
	}
	for _, bad := range []string{`1`, `"true"`, `tru`} {
		if _, err := New([]byte(bad)).Bool(); err == nil {
			t.Errorf("Bool(%s): want an error", bad)
		}
	}
	for doc, want := range map[string]any{"true,": true, " false]": false, "null}": nil} {
		if got, err := New([]byte(doc)).Literal(); err != nil || got != want {
			t.Errorf("Literal(%s): got %v, %v; want %v", doc, got, err, want)
		}
	}
	for _, bad := range []string{`1`, `nul`, `truex`, `"null"`} {
		if got, err := New([]byte(bad)).Literal(); err == nil {
			t.Errorf("Literal(%s): got %v, want an error", bad, got)
		}
	}
}

// TestWordScans checks the 8-byte-step searches against byte loops at
// every alignment and length.
func TestWordScans(t *testing.T) {
	base := []byte("ab\"cd\\ef\x01gh\xc3\xa9ij\xffkl\x80mn        op\nq")
	for i := range base {
		for j := i; j <= len(base); j++ {
			b := base[i:j]
			want := 0
			for want < len(b) && b[want] >= 0x20 && b[want] != '"' && b[want] != '\\' {
				want++
			}
			if got := plainLen(b); got != want {
				t.Errorf("plainLen(%q): got %d, want %d", b, got, want)
			}
		}
	}
}

func TestIndentation(t *testing.T) {
	for n := 0; n < 20; n++ {
		doc := "[\n" + strings.Repeat(" ", n) + "1,\n\t" + strings.Repeat(" ", n) + "\r\n2\n" + strings.Repeat(" ", n) + "]"
		s := New([]byte(doc))
		var got []string
		err := s.Array(func() error {
			tok, err := s.Number()
			got = append(got, string(tok))
			return err
		})
		if err != nil || strings.Join(got, ",") != "1,2" || s.End() != nil {
			t.Errorf("indent %d: got %v, %v", n, got, err)
		}
	}
}

func TestSpaceLen(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want int
	}{
		{"", 0}, {"x", 0}, {" x", 1}, {" \t\r\n x", 5}, {"\n" + strings.Repeat(" ", 7) + "x", 8},
		{"\n" + strings.Repeat(" ", 8), 9}, {"\n" + strings.Repeat(" ", 19) + "\t\n  }", 24}, {"\x00", 0}, {"\n\x0b", 1},
	} {
		if got := SpaceLen([]byte(tt.in)); got != tt.want {
			t.Errorf("SpaceLen(%q): got %d, want %d", tt.in, got, tt.want)
		}
	}
}

// TestCheckUTF8 compares CheckUTF8 with utf8.Valid and a byte-by-byte
// decode for every position of a bad or multi-byte character in ASCII.
func TestCheckUTF8(t *testing.T) {
	naive := func(b []byte) int { // offset of the first invalid byte, or -1
		for i := 0; i < len(b); {
			r, n := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && n == 1 {
				return i
			}
			i += n
		}
		return -1
	}
	inserts := []string{"é", "€", "😀", "\xff", "\xc3", "\xed\xa0\x80", "\xe2\x82", "\xf0\x9f\x98", "\x80", "é\xff"}
	for n := range 70 {
		base := strings.Repeat("a", n)
		for _, ins := range inserts {
			for at := 0; at <= n; at++ {
				b := []byte(base[:at] + ins + base[at:])
				err := CheckUTF8(b)
				want := naive(b)
				var got = -1
				if e, ok := err.(*UTF8Error); ok {
					got = e.Offset
				} else if err != nil {
					t.Fatalf("%q: %v", b, err)
				}
				if got != want {
					t.Fatalf("%q: got offset %d, want %d", b, got, want)
				}
			}
		}
	}
}

// TestObjectInOrder: ObjectInOrder gives the keys, values and errors
// Object gives, with the keys in the expected order, out of it, missing,
// repeated, unknown, escaped or malformed.
func TestObjectInOrder(t *testing.T) {
	order := NewKeyOrder("a", "bb", "I", "P", "tags", "x_y")
	pool := []string{`"a"`, `"bb"`, `"I"`, `"P"`, `"tags"`, `"x_y"`, `"\u0049"`, `"b"`, `"bbb"`, `"a\"b"`, `"tag"`, `"tagsx"`, `"I `, `"P`}
	walk := func(doc string, inOrder bool) string {
		s := New([]byte(doc))
		var out strings.Builder
		f := func(key []byte) error {
			v, err := s.Skip()
			fmt.Fprintf(&out, "%q=%s;", key, v)
			return err
		}
		var err error
		for range 2 { // the order's state is reset between objects
			if inOrder {
				err = s.ObjectInOrder(order, f)
			} else {
				err = s.Object(f)
			}
			if err != nil {
				break
			}
			if s.Peek() == ',' {
				s.i++
			}
		}
		fmt.Fprintf(&out, "err=%v@%d", err, s.Offset())
		return out.String()
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for range 5000 {
		var b strings.Builder
		for obj := range 2 {
			if obj > 0 {
				b.WriteString(",")
			}
			b.WriteString("{")
			for k := range rng.IntN(7) {
				if k > 0 {
					b.WriteString([]string{",\n  ", ", ", ","}[rng.IntN(3)])
				}
				b.WriteString(pool[rng.IntN(len(pool))])
				b.WriteString([]string{": ", ":", " : "}[rng.IntN(3)])
				b.WriteString([]string{"1", `"v"`, "[1, 2]", "{}"}[rng.IntN(4)])
			}
			b.WriteString("}")
		}
		doc := b.String()
		if got, want := walk(doc, true), walk(doc, false); got != want {
			t.Fatalf("%s:\nin order: %s\nobject:   %s", doc, got, want)
		}
	}
}

func TestNewKeyOrderRejectsEscapedKeys(t *testing.T) {
	for _, k := range []string{`a"b`, `a\b`, "a\nb", "é"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%q: no panic", k)
				}
			}()
			NewKeyOrder("ok", k)
		}()
	}
}

// TestCheckString: CheckString fails exactly when Unquote fails.
func TestCheckString(t *testing.T) {
	for _, raw := range []string{`""`, `"abc"`, `"a\nb"`, `"\u00e9\ud83d\ude00"`, `"\ud800"`, `"a\x"`, `"\u12"`, "\"a\x01b\"",
		`"a"b"`, `"\"`, `x`, `"`, `"abc\\"`, `"\/"`, `"\u00E9"`} {
		_, uerr := Unquote([]byte(raw))
		cerr := CheckString([]byte(raw))
		if (uerr == nil) != (cerr == nil) || (uerr != nil && uerr.Error() != cerr.Error()) {
			t.Errorf("%s: CheckString %v, Unquote %v", raw, cerr, uerr)
		}
	}
}
