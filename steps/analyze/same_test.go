package analyze

import (
	"bytes"
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
