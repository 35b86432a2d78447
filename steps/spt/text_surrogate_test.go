package spt_test

import (
	"testing"

	"github.com/sptflow/sptflow/pyjson"
	"github.com/sptflow/sptflow/steps/spt"
)

// TestLoneSurrogateIsOneCodePoint: a lone surrogate kept by pyjson counts
// as one code point in Len and Slice, as in Python's str.
func TestLoneSurrogateIsOneCodePoint(t *testing.T) {
	v, err := pyjson.Parse([]byte(`"a\ud800b\udfffé"`))
	if err != nil {
		t.Fatal(err)
	}
	s := v.(string)
	if got := spt.Len(s); got != 5 {
		t.Errorf("Len: got %d, want 5", got)
	}
	for _, tt := range []struct {
		i, j int
		want string
	}{{0, 1, `"a"`}, {1, 2, `"\ud800"`}, {1, 4, `"\ud800b\udfff"`}, {4, -1, `"\u00e9"`}, {2, 3, `"b"`}} {
		got, _ := pyjson.Marshal(spt.Slice(s, tt.i, tt.j), pyjson.LineASCII)
		if string(got) != tt.want {
			t.Errorf("Slice(%d, %d): got %s, want %s", tt.i, tt.j, got, tt.want)
		}
	}
}
