package pyjson

import (
	"bytes"
	"testing"
)

func TestAppendNext(t *testing.T) {
	cases := []struct {
		doc  string
		want string // "" when AppendNext must fail
		n    int
	}{
		{`"plain" , "x"`, `"plain"`, 7},
		{`""`, `""`, 2},
		{`"caf` + "\u00e9" + `"`, `"caf\u00e9"`, 7},
		{`"` + "\U0001F600" + ` \n \u0001 \ud800 \"" rest`, `"\ud83d\ude00 \n \u0001 \ud800 \""`, 26},
		{`"` + "\x7f" + `"`, `"\u007f"`, 3},
		{`"\u00E9"`, `"\u00e9"`, 8},  // uppercase hex: re-encoded
		{`"\/x\u0041"`, `"/xA"`, 11}, // escapes json.dumps does not write
		{`"a\\" "b"`, `"a\\"`, 5},
		{`"a\" "b"`, `"a\" "`, 6},
		{`"unterminated`, "", 0},
		{`"bad \x"`, "", 0},
		{"\"raw \x01\"", "", 0},
		{"\"\xff\"", "", 0},
		{"\"\xed\xa0\x80\"", "", 0}, // an encoded surrogate is invalid UTF-8
		{`x"`, "", 0},
	}
	for _, tc := range cases {
		st := StringTokens{Opt: Tagged}
		got, n, err := st.AppendNext([]byte("> "), []byte(tc.doc))
		if tc.want == "" {
			if err == nil || string(got) != "> " {
				t.Errorf("%q: got %q, %v, want an error and dst unchanged", tc.doc, got, err)
			}
			continue
		}
		if err != nil || string(got) != "> "+tc.want || n != tc.n {
			t.Errorf("%q: got %q, %d, %v; want %q, %d", tc.doc, got, n, err, "> "+tc.want, tc.n)
		}
	}
}

// FuzzAppendNext: AppendNext writes what Append writes for the token up
// to the first unescaped quote, in every flavour, and fails where it fails.
func FuzzAppendNext(f *testing.F) {
	for _, s := range []string{`"a\"b" x`, "\"\u00e9\\u00E9\\ud83d\\ude00\U0001F600\x7f\"", `"\u12"`, "\"\xed\xb0\x80\""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		for _, opt := range []Options{Tagged, DataFile} {
			st := StringTokens{Opt: opt}
			got, n, err := st.AppendNext([]byte("> "), doc)
			end := tokenLen(doc)
			var want []byte
			werr := ErrStringToken
			if end > 0 {
				want, werr = (&StringTokens{Opt: opt}).Append([]byte("> "), doc[:end])
			}
			switch {
			case werr != nil && err == nil:
				t.Fatalf("%q (%+v): AppendNext took %q, Append fails: %v", doc, opt, got, werr)
			case werr != nil && !bytes.Equal(got, []byte("> ")):
				t.Fatalf("%q (%+v): AppendNext failed but wrote %q", doc, opt, got)
			case werr == nil && (err != nil || n != end || !bytes.Equal(got, want)):
				t.Fatalf("%q (%+v): AppendNext %q, %d, %v; Append %q, %d", doc, opt, got, n, err, want, end)
			}
		}
	})
}

// TestPrintableLen: every byte value at every position of buffers up to
// 40 bytes long, after printable bytes, is where printableLen stops if and
// only if it is not printable ASCII.
func TestPrintableLen(t *testing.T) {
	for n := 1; n <= 40; n++ {
		for pos := 0; pos < n; pos++ {
			for c := 0; c < 256; c++ {
				b := bytes.Repeat([]byte{'~'}, n)
				b[pos] = byte(c)
				want := n
				if c < 0x20 || c > 0x7e {
					want = pos
				}
				if got := printableLen(b); got != want {
					t.Fatalf("printableLen(%q) = %d, want %d", b, got, want)
				}
			}
		}
	}
}
