package engine

import (
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sptflow/sptflow/engine/store"
)

func TestKnownInputReader(t *testing.T) {
	changed := errors.New("changed")
	const content = `{"a": 1}`
	tests := []struct {
		name    string
		meddle  func(t *testing.T, p string) // between open and the end of the read
		wantErr error
	}{
		{"unchanged", func(*testing.T, string) {}, nil},
		{"written to while read", func(t *testing.T, p string) {
			write(t, p, `{"a": 2}`)
			later := time.Now().Add(time.Second)
			must(t, os.Chtimes(p, later, later))
		}, changed},
		// Only the ctime changes: the file is hashed and still holds what
		// the read trusted, so the read stands.
		{"hard-linked while read", func(t *testing.T, p string) { must(t, os.Link(p, p+".link")) }, nil},
		{"chmod'ed while read", func(t *testing.T, p string) { must(t, os.Chmod(p, 0o444)) }, nil},
		// Same size, mtime put back: only the ctime says so, and the hash
		// tells it from a link.
		{"written to, mtime put back", func(t *testing.T, p string) {
			fi, err := os.Stat(p)
			must(t, err)
			write(t, p, `{"a": 3}`)
			must(t, os.Chtimes(p, fi.ModTime(), fi.ModTime()))
		}, changed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "in.json")
			write(t, p, content)
			f, err := os.Open(p)
			must(t, err)
			fi, _ := f.Stat()
			r := &knownInputReader{f: f, fi: fi, want: store.Digest(sha256.Sum256([]byte(content))), changed: changed}
			defer r.Close()
			time.Sleep(20 * time.Millisecond) // past the file system's timestamp tick
			tt.meddle(t, p)
			got, err := io.ReadAll(r)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("read: got %q, %v; want error %v", got, err, tt.wantErr)
			}
		})
	}
}

func write(t *testing.T, p, s string) {
	t.Helper()
	must(t, os.WriteFile(p, []byte(s), 0o644))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
