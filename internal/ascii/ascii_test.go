package ascii

import (
	"bytes"
	"math/rand/v2"
	"strconv"
	"testing"
)

func naiveLen(b []byte) int {
	for i, c := range b {
		if c >= 0x80 {
			return i
		}
	}
	return len(b)
}

func naivePlainLen(b []byte) int {
	for i, c := range b {
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			return i
		}
	}
	return len(b)
}

func TestPlain(t *testing.T) {
	n := 0
	for c := range 256 {
		if Plain(byte(c)) {
			n++
		}
	}
	if n != 0x7f-0x20-2 || Plain('"') || Plain('\\') || !Plain(' ') || !Plain('~') || Plain(0x7f) || Plain(0x1f) {
		t.Fatalf("Plain: %d plain bytes", n)
	}
}

// TestEveryByteAtEveryOffset puts each of the 256 byte values at each
// offset of plain texts of every length up to 100 (past two of the vector
// loops' 32-byte steps and their 16-byte tail), shifted by 0..15 bytes in
// memory: both functions must stop exactly at the first byte they do not
// read over, or read the whole text.
func TestEveryByteAtEveryOffset(t *testing.T) {
	buf := bytes.Repeat([]byte("a"), 200)
	for shift := range 16 {
		for n := 0; n <= 100; n++ {
			b := buf[shift : shift+n]
			if got := PlainLen(b); got != n {
				t.Fatalf("PlainLen of %d plain bytes at shift %d = %d", n, shift, got)
			}
			if got := Len(b); got != n {
				t.Fatalf("Len of %d ASCII bytes at shift %d = %d", n, shift, got)
			}
			for at := range n {
				for c := range 256 {
					b[at] = byte(c)
					if got, want := PlainLen(b), naivePlainLen(b); got != want {
						t.Fatalf("PlainLen: byte %#x at %d of %d (shift %d): %d, want %d", c, at, n, shift, got, want)
					}
					if got, want := Len(b), naiveLen(b); got != want {
						t.Fatalf("Len: byte %#x at %d of %d (shift %d): %d, want %d", c, at, n, shift, got, want)
					}
				}
				b[at] = 'a'
			}
		}
	}
}

// TestRandomTexts: texts of random lengths mostly of plain bytes, with a
// few of every other kind, past a page.
func TestRandomTexts(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		b := make([]byte, r.IntN(5000))
		for i := range b {
			b[i] = byte(0x20 + r.IntN(0x5f))
			if r.IntN(400) == 0 {
				b[i] = byte(r.IntN(256))
			}
		}
		for from := 0; from <= len(b); from += 1 + r.IntN(300) {
			if got, want := PlainLen(b[from:]), naivePlainLen(b[from:]); got != want {
				t.Fatalf("PlainLen(%q) = %d, want %d", b[from:], got, want)
			}
			if got, want := Len(b[from:]), naiveLen(b[from:]); got != want {
				t.Fatalf("Len(%q) = %d, want %d", b[from:], got, want)
			}
		}
	}
}

func FuzzPlainLen(f *testing.F) {
	f.Add([]byte(`a plain text of some length, "quoted" and \escaped\ with` + "\x7f\x80\xff\x00\x1f"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := PlainLen(b), naivePlainLen(b); got != want {
			t.Fatalf("PlainLen(%q) = %d, want %d", b, got, want)
		}
		if got, want := Len(b), naiveLen(b); got != want {
			t.Fatalf("Len(%q) = %d, want %d", b, got, want)
		}
	})
}

var sink int

// The benchmarks read plain runs of 16 bytes (a key), 100 (about a
// stage-3 text's run between two escapes) and 4,096.
func BenchmarkPlainLen(b *testing.B) {
	for _, run := range []int{16, 100, 4096} {
		text := bytes.Repeat([]byte("x"), run)
		b.Run(strconv.Itoa(run), func(b *testing.B) {
			b.SetBytes(int64(run))
			for b.Loop() {
				sink += PlainLen(text)
			}
		})
	}
}

func BenchmarkLen(b *testing.B) {
	text := bytes.Repeat([]byte("x"), 4096)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		sink += Len(text)
	}
}
