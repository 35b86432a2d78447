package store

import (
	"bytes"
	"testing"
)

// FuzzRecordFrame checks that unframe accepts exactly what frame produced.
func FuzzRecordFrame(f *testing.F) {
	f.Add([]byte("payload"), 3)
	f.Fuzz(func(t *testing.T, data []byte, flip int) {
		b := frame(data)
		if got, ok := unframe(b); !ok || !bytes.Equal(got, data) {
			t.Fatal("round trip failed")
		}
		i := (flip%len(b) + len(b)) % len(b)
		b[i] ^= 1
		if _, ok := unframe(b); ok {
			t.Fatalf("flipped byte %d accepted", i)
		}
		if _, ok := unframe(b[:len(b)-1]); ok && len(data) > 0 {
			t.Fatal("truncated frame accepted")
		}
	})
}
