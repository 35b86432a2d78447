package store

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"testing"
)

func openTest(t testing.TB) *Store {
	t.Helper()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestObjectRoundTrip(t *testing.T) {
	s := openTest(t)
	for _, data := range [][]byte{nil, []byte("x"), bytes.Repeat([]byte("spt"), 100000)} {
		d, err := s.PutObject(data)
		if err != nil {
			t.Fatal(err)
		}
		if want := DigestOf(data); d != want {
			t.Fatalf("PutObject digest: got %s, want %s", d, want)
		}
		if !s.HasObject(d) {
			t.Fatalf("HasObject(%s) = false after Put", d.Short())
		}
		got, err := s.ReadObject(d)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("ReadObject: got %d bytes, err %v; want %d bytes", len(got), err, len(data))
		}
		rc, err := s.OpenObject(d)
		if err != nil {
			t.Fatal(err)
		}
		got, err = io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("OpenObject: got %d bytes, err %v; want %d bytes", len(got), err, len(data))
		}
	}
}

func TestObjectMissing(t *testing.T) {
	s := openTest(t)
	d := DigestOf([]byte("never stored"))
	if s.HasObject(d) {
		t.Fatal("HasObject of a missing object = true")
	}
	if _, err := s.ReadObject(d); !errors.Is(err, ErrNotFound) {
		t.Fatalf("ReadObject missing: got %v, want ErrNotFound", err)
	}
	if _, err := s.OpenObject(d); !errors.Is(err, ErrNotFound) {
		t.Fatalf("OpenObject missing: got %v, want ErrNotFound", err)
	}
}

// damage functions applied to a stored file.
var damages = map[string]func(t *testing.T, path string){
	"flip byte": func(t *testing.T, path string) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		b[len(b)/2] ^= 0x40
		writeRaw(t, path, b)
	},
	"truncate": func(t *testing.T, path string) {
		if err := os.Truncate(path, 3); err != nil {
			t.Fatal(err)
		}
	},
	"empty": func(t *testing.T, path string) { writeRaw(t, path, nil) },
	"append": func(t *testing.T, path string) {
		b, _ := os.ReadFile(path)
		writeRaw(t, path, append(b, "junk"...))
	},
}

func writeRaw(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestObjectVerifyOnRead(t *testing.T) {
	data := []byte("some object content that is long enough to damage")
	for name, damage := range damages {
		t.Run(name, func(t *testing.T) {
			s := openTest(t)
			d, _ := s.PutObject(data)
			damage(t, s.objectPath(d))
			if _, err := s.ReadObject(d); !errors.Is(err, ErrNotFound) {
				t.Fatalf("ReadObject of damaged object: got %v, want ErrNotFound", err)
			}
			if s.HasObject(d) {
				t.Fatal("damaged object was not removed")
			}
			// A second Put repairs it.
			if _, err := s.PutObject(data); err != nil {
				t.Fatal(err)
			}
			if got, err := s.ReadObject(d); err != nil || !bytes.Equal(got, data) {
				t.Fatalf("after repair: got %q, %v", got, err)
			}
		})
	}
}

func TestOpenObjectVerifies(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789"), 10000)
	for name, damage := range damages {
		t.Run(name, func(t *testing.T) {
			s := openTest(t)
			d, _ := s.PutObject(data)
			damage(t, s.objectPath(d))
			rc, err := s.OpenObject(d)
			if err != nil {
				t.Fatal(err)
			}
			_, err = io.ReadAll(rc)
			rc.Close()
			if !errors.Is(err, ErrNotFound) {
				t.Fatalf("reading damaged object: got %v, want ErrNotFound at EOF", err)
			}
			if s.HasObject(d) {
				t.Fatal("damaged object was not removed")
			}
		})
	}
}

func TestPutObjectConcurrent(t *testing.T) {
	s := openTest(t)
	data := bytes.Repeat([]byte("concurrent"), 50000)
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for range 32 {
		wg.Go(func() {
			d, err := s.PutObject(data)
			if err == nil && d != DigestOf(data) {
				err = fmt.Errorf("got digest %s", d.Short())
			}
			if err == nil {
				var got []byte
				got, err = s.ReadObject(d)
				if err == nil && !bytes.Equal(got, data) {
					err = fmt.Errorf("read back %d bytes", len(got))
				}
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	assertNoTemps(t, s.dir)
}

func TestPutObjectReader(t *testing.T) {
	s := openTest(t)
	data := bytes.Repeat([]byte("stream"), 30000)
	d, n, err := s.PutObjectReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if d != DigestOf(data) || n != int64(len(data)) {
		t.Fatalf("got (%s, %d), want (%s, %d)", d.Short(), n, DigestOf(data).Short(), len(data))
	}
	if got, err := s.ReadObject(d); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("ReadObject: %v", err)
	}
	// Same content again: no duplicate, no leftover temp.
	if _, _, err := s.PutObjectReader(bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	assertNoTemps(t, s.dir)
}
