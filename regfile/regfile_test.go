//go:build unix

package regfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestRead covers every kind of path Read refuses, and that none blocks.
func TestRead(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("0123456789"), 0o644); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	sparse := filepath.Join(dir, "sparse")
	if err := os.WriteFile(sparse, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(sparse, 2<<30); err != nil { // 2 GiB, no disk
		t.Fatal(err)
	}
	link := func(name, target string) string {
		p := filepath.Join(dir, name)
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name, path string
		max        int64
		want       string // "" for success
	}{
		{"regular", file, 10, ""},
		{"no limit", file, 0, ""},
		{"link to regular", link("ok", file), 10, ""},
		{"over limit", file, 9, "file is 10 B, over the limit of 9 B"},
		{"sparse 2 GiB", sparse, 16 << 20, "file is 2 GiB, over the limit of 16 MiB"},
		{"fifo", fifo, 0, "not a regular file (a named pipe)"},
		{"link to fifo", link("tofifo", fifo), 0, "not a regular file (a named pipe)"},
		{"directory", dir, 0, "not a regular file (a directory)"},
		{"device", "/dev/zero", 0, "not a regular file (a character device)"},
		{"missing", filepath.Join(dir, "nothere"), 0, "no such file or directory"},
		{"dangling link", link("dangling", filepath.Join(dir, "nothere")), 0, "no such file or directory"},
		{"link loop", link("loop", filepath.Join(dir, "loop")), 0, "too many levels of symbolic links"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			done := make(chan struct{})
			var b []byte
			var err error
			go func() { b, err = Read(tt.path, tt.max); close(done) }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatalf("Read(%s) blocked", tt.path)
			}
			if tt.want == "" {
				if err != nil || string(b) != "0123456789" {
					t.Fatalf("got: %q, %v\nwant: the file's bytes", b, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), tt.path) {
				t.Fatalf("got: %v\nwant: an error naming %s and containing %q", err, tt.path, tt.want)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	if _, err := Read(fifo, 0); !errors.Is(err, ErrNotRegular) {
		t.Errorf("got: %v\nwant: ErrNotRegular", err)
	}
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, make([]byte, 100), 0o644); err != nil {
		t.Fatal(err)
	}
	var tl *TooLargeError
	if _, err := Read(big, 99); !errors.As(err, &tl) || tl.Size != 100 || tl.Max != 99 {
		t.Errorf("got: %v\nwant: *TooLargeError{100, 99}", err)
	}
	if _, _, err := Open(big, 99); !errors.As(err, &tl) {
		t.Errorf("Open got: %v\nwant: *TooLargeError", err)
	}
}

func TestParseBytes(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"1048576", 1 << 20}, {"512MiB", 512 << 20}, {"1 GiB", 1 << 30}, {"16KiB", 16 << 10},
		{"2TiB", 2 << 40}, {"100B", 100}, {"0", -1}, {"-5", -1}, {"1.5GiB", -1}, {"lots", -1},
		{"", -1}, {"9999999999TiB", -1},
	}
	for _, tt := range tests {
		got, err := ParseBytes(tt.in)
		if tt.want < 0 {
			if err == nil {
				t.Errorf("ParseBytes(%q) got: %d\nwant: an error", tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseBytes(%q) got: %d, %v\nwant: %d", tt.in, got, err, tt.want)
		}
	}
}

func TestBytes(t *testing.T) {
	for n, want := range map[int64]string{512: "512 B", 16 << 20: "16 MiB", 2 << 30: "2 GiB", 1536: "1.5 KiB", 1e9: "953.7 MiB"} {
		if got := Bytes(n); got != want {
			t.Errorf("Bytes(%d) got: %q\nwant: %q", n, got, want)
		}
	}
}
