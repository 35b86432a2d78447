package store

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// readObject reads object d through OpenObject and says whether the
// reader skipped hashing (this process wrote the object, unchanged).
func readObject(t *testing.T, s *Store, d Digest) (data []byte, trusted bool, err error) {
	t.Helper()
	r, err := s.OpenObject(d)
	if err != nil {
		return nil, false, err
	}
	defer r.Close()
	_, trusted = r.(*unchangedReader)
	data, err = io.ReadAll(r)
	return data, trusted, err
}

func TestOwnObjectsAreNotHashedAgain(t *testing.T) {
	data := []byte("the output of a step\n")
	other := []byte("THE OUTPUT OF A STEP\n") // same size
	tests := []struct {
		name        string
		change      func(t *testing.T, s *Store, p string) *Store // returns the store to read with
		wantTrusted bool
		wantErr     bool
	}{
		{"written by this process", func(t *testing.T, s *Store, p string) *Store { return s }, true, false},
		{"written by another process", func(t *testing.T, s *Store, p string) *Store {
			s2, err := Open(s.dir)
			if err != nil {
				t.Fatal(err)
			}
			return s2
		}, false, false},
		{"changed after it was written", func(t *testing.T, s *Store, p string) *Store {
			if err := os.WriteFile(p, other, 0o644); err != nil {
				t.Fatal(err)
			}
			later := time.Now().Add(time.Second)
			if err := os.Chtimes(p, later, later); err != nil {
				t.Fatal(err)
			}
			return s
		}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Open(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			d, err := s.PutObject(data)
			if err != nil {
				t.Fatal(err)
			}
			rs := tt.change(t, s, s.objectPath(d))
			got, trusted, err := readObject(t, rs, d)
			if trusted != tt.wantTrusted {
				t.Errorf("read without hashing: got %v, want %v", trusted, tt.wantTrusted)
			}
			if tt.wantErr {
				if !errors.Is(err, ErrNotFound) {
					t.Errorf("read: got %v, want ErrNotFound", err)
				}
				return
			}
			if err != nil || !bytes.Equal(got, data) {
				t.Errorf("read: got %q, %v; want %q", got, err, data)
			}
		})
	}
}

// putInNewStore puts data into a new store as an object.
func putInNewStore(t *testing.T, data []byte) (*Store, Digest) {
	t.Helper()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.PutObject(data)
	if err != nil {
		t.Fatal(err)
	}
	return s, d
}

// openOwnObject puts data into a new store and opens it again: this
// process wrote it, so its reader does not hash it (an unchangedReader).
func openOwnObject(t *testing.T, data []byte) (*Store, Digest, io.Reader) {
	t.Helper()
	s, d := putInNewStore(t, data)
	r, err := s.OpenObject(d)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	if _, ok := r.(*unchangedReader); !ok {
		t.Fatalf("OpenObject: got %T, want an unchangedReader", r)
	}
	return s, d, r
}

func TestUnchangedReaderCatchesAWriteDuringTheRead(t *testing.T) {
	s, d, r := openOwnObject(t, bytes.Repeat([]byte("x"), 100))
	p := s.objectPath(d)
	if err := os.WriteFile(p, bytes.Repeat([]byte("y"), 100), 0o644); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Second)
	if err := os.Chtimes(p, later, later); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(r); !errors.Is(err, ErrNotFound) {
		t.Errorf("read: got %v, want ErrNotFound", err)
	}
}

// TestUnchangedReaderAllowsALinkDuringTheRead: another process
// hard-linking the object into its data directory while this one reads it
// (sharded runs sharing a store) changes only its ctime: the read succeeds,
// the file is hashed to tell that from a write whose mtime was put back,
// and such a write still fails the read.
func TestUnchangedReaderAllowsALinkDuringTheRead(t *testing.T) {
	data := bytes.Repeat([]byte("x"), 100)
	tests := []struct {
		name    string
		change  func(t *testing.T, p string)
		wantErr bool
	}{
		{"hard-linked", func(t *testing.T, p string) {
			if err := os.Link(p, filepath.Join(t.TempDir(), "data.json")); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"chmod'ed", func(t *testing.T, p string) {
			if err := os.Chmod(p, 0o400); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"written, its mtime put back", func(t *testing.T, p string) {
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, bytes.Repeat([]byte("y"), 100), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(p, fi.ModTime(), fi.ModTime()); err != nil {
				t.Fatal(err)
			}
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, d, r := openOwnObject(t, data)
			p := s.objectPath(d)
			before, _ := os.Stat(p)
			time.Sleep(20 * time.Millisecond) // past the kernel's timestamp tick
			tt.change(t, p)
			if after, _ := os.Stat(p); sigOf(before) == sigOf(after) {
				t.Skip("the file system did not change the ctime")
			}
			got, err := io.ReadAll(r)
			if tt.wantErr {
				if !errors.Is(err, ErrNotFound) {
					t.Errorf("read: got %v, want ErrNotFound", err)
				}
				return
			}
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("read: got %d bytes, %v; want the object", len(got), err)
			}
			// The new signature is vouched for: the next read hashes nothing.
			if _, trusted, err := readObject(t, s, d); err != nil || !trusted {
				t.Errorf("next read: trusted %v, %v; want trusted", trusted, err)
			}
		})
	}
}

func TestKnownDigest(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s.racyWindow = 0 // Chtimes makes the ctime recent
	p := filepath.Join(t.TempDir(), "in.json")
	if err := os.WriteFile(p, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(p, old, old); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(p)
	if _, ok := s.KnownDigest(p, fi); ok {
		t.Fatal("KnownDigest before the file was digested: got ok")
	}
	want, _, err := s.DigestFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := s.KnownDigest(p, fi); !ok || got != want {
		t.Errorf("KnownDigest after DigestFile: got %v, %v; want %v", got.Short(), ok, want.Short())
	}
	if err := os.Chtimes(p, old.Add(time.Minute), old.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	fi, _ = os.Stat(p)
	if _, ok := s.KnownDigest(p, fi); ok {
		t.Error("KnownDigest after the file changed: got ok")
	}
}
