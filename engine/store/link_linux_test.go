package store

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// TestReflinkRefusalRemembered: once FICLONE is refused as unsupported on a
// file system, later files there do not try it (no temp file created and
// removed for nothing); a refusal for another reason is not remembered.
func TestReflinkRefusalRemembered(t *testing.T) {
	tests := []struct {
		err      error
		wantMore bool
	}{
		{unix.EOPNOTSUPP, false},
		{&os.PathError{Op: "ioctl", Path: "x", Err: unix.EXDEV}, false},
		{unix.EACCES, true},
		{errors.New("disk full"), true},
	}
	for _, tt := range tests {
		s, err := Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		if !s.mayReflink(filepath.Join(dir, "a.json")) {
			t.Fatalf("%v: mayReflink before any refusal: got false", tt.err)
		}
		s.reflinkFailed(filepath.Join(dir, "a.json"), tt.err)
		if got := s.mayReflink(filepath.Join(dir, "b.json")); got != tt.wantMore {
			t.Errorf("after %v: mayReflink got %v, want %v", tt.err, got, tt.wantMore)
		}
	}
}
