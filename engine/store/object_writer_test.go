package store

import (
	"bytes"
	"os"
	"testing"
)

func TestObjectWriter(t *testing.T) {
	big := bytes.Repeat([]byte("split personality "), 50000) // several buffers
	tests := []struct {
		name   string
		chunks [][]byte
	}{
		{"empty", nil},
		{"one chunk", [][]byte{[]byte("x")}},
		{"many small chunks", [][]byte{[]byte("a"), []byte("bc"), nil, []byte("def")}},
		{"larger than the buffer", [][]byte{big[:100], big, big[7:]}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openTest(t)
			ow, err := s.CreateObject()
			if err != nil {
				t.Fatal(err)
			}
			var want []byte
			for i, c := range tt.chunks {
				if i%2 == 0 {
					_, err = ow.Write(c)
				} else {
					_, err = ow.WriteString(string(c))
				}
				if err != nil {
					t.Fatal(err)
				}
				want = append(want, c...)
			}
			d, n, err := ow.Commit()
			if err != nil {
				t.Fatal(err)
			}
			if d != DigestOf(want) || n != int64(len(want)) {
				t.Errorf("Commit: got %s, %d bytes; want %s, %d bytes", d.Short(), n, DigestOf(want).Short(), len(want))
			}
			got, err := s.ReadObject(d)
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("ReadObject: got %d bytes, err %v; want %d bytes", len(got), err, len(want))
			}
			if fi, err := os.Stat(s.objectPath(d)); err != nil || fi.Mode().Perm() != 0o644 {
				t.Errorf("object mode: got %v (err %v), want 0644", fi.Mode().Perm(), err)
			}
			// The same content again finds the object in place.
			ow2, err := s.CreateObject()
			if err != nil {
				t.Fatal(err)
			}
			ow2.Write(want)
			if d2, _, err := ow2.Commit(); err != nil || d2 != d {
				t.Errorf("second Commit: got %s, %v; want %s", d2.Short(), err, d.Short())
			}
			assertNoTemps(t, s.dir)
		})
	}
}

func TestObjectWriterAbort(t *testing.T) {
	s := openTest(t)
	ow, err := s.CreateObject()
	if err != nil {
		t.Fatal(err)
	}
	ow.Write([]byte("never sealed"))
	ow.Abort()
	ow.Abort() // a second Abort does nothing
	if _, err := ow.Write([]byte("more")); err == nil {
		t.Error("Write after Abort: got no error")
	}
	if _, _, err := ow.Commit(); err == nil {
		t.Error("Commit after Abort: got no error")
	}
	if s.HasObject(DigestOf([]byte("never sealed"))) {
		t.Error("an aborted object is in the store")
	}
	assertNoTemps(t, s.dir)
}

func TestObjectWriterReplacesDamaged(t *testing.T) {
	s := openTest(t)
	data := []byte("the good content")
	d, err := s.PutObject(data)
	if err != nil {
		t.Fatal(err)
	}
	p := s.objectPath(d)
	os.Chmod(p, 0o644)
	if err := os.WriteFile(p, []byte("the bad content!"), 0o644); err != nil {
		t.Fatal(err)
	}
	ow, err := s.CreateObject()
	if err != nil {
		t.Fatal(err)
	}
	ow.Write(data)
	if _, _, err := ow.Commit(); err != nil {
		t.Fatal(err)
	}
	if got, err := s.ReadObject(d); err != nil || !bytes.Equal(got, data) {
		t.Errorf("after Commit over a damaged object: got %q, %v; want %q", got, err, data)
	}
}

// TestObjectWritersShareNoBytes: ObjectWriters reuse their buffers one
// after another; a writer done with (committed or aborted) refuses writes,
// so nothing written to it late can reach the next writer's object.
func TestObjectWritersShareNoBytes(t *testing.T) {
	s := openTest(t)
	for _, end := range []string{"commit", "abort"} {
		first, err := s.CreateObject()
		if err != nil {
			t.Fatal(err)
		}
		first.WriteString("first, " + end)
		if end == "commit" {
			if _, _, err := first.Commit(); err != nil {
				t.Fatal(err)
			}
		} else {
			first.Abort()
		}
		second, err := s.CreateObject()
		if err != nil {
			t.Fatal(err)
		}
		second.WriteString("second")
		if _, err := first.WriteString(" late"); err == nil {
			t.Errorf("WriteString after %s: got no error", end)
		}
		if _, err := first.Write([]byte(" late")); err == nil {
			t.Errorf("Write after %s: got no error", end)
		}
		d, n, err := second.Commit()
		if err != nil {
			t.Fatal(err)
		}
		if got, err := s.ReadObject(d); err != nil || string(got) != "second" || n != int64(len("second")) {
			t.Errorf("after a writer's %s: the next object holds %q (%d bytes), %v; want %q", end, got, n, err, "second")
		}
	}
	assertNoTemps(t, s.dir)
}
