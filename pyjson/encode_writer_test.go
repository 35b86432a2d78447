package pyjson

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// chunkWriter records the size of every write.
type chunkWriter struct {
	bytes.Buffer
	writes []int
	fail   bool
}

func (c *chunkWriter) Write(p []byte) (int, error) {
	if c.fail {
		return 0, errors.New("disk full")
	}
	c.writes = append(c.writes, len(p))
	return c.Buffer.Write(p)
}

func TestMarshalTo(t *testing.T) {
	big := NewObject(2)
	var items []any
	for i := range 3000 {
		it := NewObject(3)
		it.Set("i", i)
		it.Set("text", strings.Repeat("é\"x", 20))
		it.Set("tags", []string{"a", "b"})
		items = append(items, it)
	}
	big.Set("topic", "t")
	big.Set("data", items)
	tests := []struct {
		name string
		v    any
		opt  Options
	}{
		{"scalar", "x", Line},
		{"empty object", NewObject(0), Tagged},
		{"big tagged", big, Tagged},
		{"big data file", big, DataFile},
		{"big line", big, Line},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, err := Marshal(tt.v, tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			var w chunkWriter
			if err := MarshalTo(&w, tt.v, tt.opt); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(w.Bytes(), want) {
				t.Fatalf("MarshalTo wrote %d bytes that differ from Marshal's %d", w.Len(), len(want))
			}
			for _, n := range w.writes {
				if n > 2*flushAt {
					t.Errorf("a write of %d bytes, want at most %d", n, 2*flushAt)
				}
			}
			if len(want) > 4*flushAt && len(w.writes) < 4 {
				t.Errorf("%d bytes in %d writes: not streamed", len(want), len(w.writes))
			}
		})
	}
	if err := MarshalTo(&chunkWriter{fail: true}, big, Tagged); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("failing writer: got %v, want the write error", err)
	}
}
