package analyze

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/sptflow/sptflow/pyjson"
)

// TestSameWhenTagged: a value is reported as already written exactly when
// parse+marshal gives back its bytes (for the canonical tokens the copier
// takes), and white space off by one byte anywhere is caught.
func TestSameWhenTagged(t *testing.T) {
	for _, c := range reindentCases {
		t.Run(c.name, func(t *testing.T) {
			raw := []byte(c.raw)
			want := viaPyjson(t, raw, c.depth)
			if got := sameWhenTagged(raw, c.depth); got != bytes.Equal(want, raw) && (got || c.fast) {
				t.Errorf("input: got %v, want %v", got, bytes.Equal(want, raw))
			}
			// The written form is the same unless it holds what the copier
			// does not take (a lone surrogate's escape, say).
			_, fast := appendReindented(nil, want, c.depth)
			if got := sameWhenTagged(want, c.depth); got != fast {
				t.Errorf("written form: got %v, want %v (copied without parsing)", got, fast)
			}
			if !fast {
				return
			}
			for _, d := range []int{c.depth - 1, c.depth + 1} {
				if d >= 0 && bytes.ContainsRune(want, '\n') && sameWhenTagged(want, d) {
					t.Errorf("written form at depth %d: got true, want false", d)
				}
			}
			// Every way of adding or changing one white-space byte.
			for i := 0; i <= len(want); i++ {
				for _, ws := range []string{" ", "\t", "\n", "\r"} {
					v := append(append(append([]byte(nil), want[:i]...), ws...), want[i:]...)
					if sameWhenTagged(v, c.depth) && !bytes.Equal(viaPyjsonOK(v, c.depth), v) {
						t.Errorf("%q: got true, want false", v)
					}
				}
			}
		})
	}
}

// viaPyjsonOK is viaPyjson, nil for a value pyjson does not parse.
func viaPyjsonOK(raw []byte, depth int) []byte {
	v, err := pyjson.Parse(raw)
	if err != nil {
		return nil
	}
	b, err := pyjson.Marshal(v, pyjson.Tagged)
	if err != nil {
		return nil
	}
	return bytes.ReplaceAll(b, []byte("\n"), []byte("\n"+strings.Repeat("  ", depth)))
}

func TestPlainASCIILen(t *testing.T) {
	naive := func(b []byte, i int) int {
		for i < len(b) && asciiPlain[b[i]] {
			i++
		}
		return i
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for n := range 200 {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(' ' + rng.IntN(95)) // printable ASCII
			if b[i] == '"' || b[i] == '\\' {
				b[i] = 'x'
			}
		}
		for _, bad := range []byte{'"', '\\', 0, 0x1f, 0x7f, 0x80, 0xff, 0xc3} {
			for at := 0; at < n; at++ {
				c := append([]byte(nil), b...)
				c[at] = bad
				for _, from := range []int{0, at / 2, at} {
					if got, want := plainASCIILen(c, from), naive(c, from); got != want {
						t.Fatalf("len %d, %#x at %d, from %d: got %d, want %d", n, bad, at, from, got, want)
					}
				}
			}
		}
		if got := plainASCIILen(b, 0); got != n {
			t.Fatalf("len %d, all plain: got %d", n, got)
		}
	}
}

func FuzzSameWhenTagged(f *testing.F) {
	for _, c := range reindentCases {
		f.Add([]byte(c.raw), uint8(c.depth))
		f.Add(viaPyjson(f, []byte(c.raw), c.depth), uint8(c.depth))
	}
	f.Fuzz(func(t *testing.T, raw []byte, depth uint8) {
		d := int(depth % 6)
		if sameWhenTagged(raw, d) && !bytes.Equal(viaPyjsonOK(raw, d), raw) {
			t.Fatalf("%q at depth %d: same, but parse+marshal gives %q", raw, d, viaPyjsonOK(raw, d))
		}
	})
}
