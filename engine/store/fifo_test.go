//go:build unix

package store

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sptflow/sptflow/internal/fifotest"
)

// wantWarning fails unless s warned once, with a message holding each of
// wants.
func wantWarning(t *testing.T, s *Store, wants ...string) {
	t.Helper()
	w := s.Warnings()
	for _, want := range wants {
		if len(w) != 1 || !strings.Contains(w[0], want) {
			t.Errorf("warnings got: %q\nwant: one containing %q", w, want)
		}
	}
}

// notFile is a kind of file that is not a regular one, put where the store
// keeps a file.
type notFile struct {
	name string // as regfile names it: "a named pipe"
	make func(t *testing.T, p string)
}

var notFiles = []notFile{
	{"a named pipe", func(t *testing.T, p string) { t.Helper(); fifotest.Make(t, p) }},
	{"a directory", func(t *testing.T, p string) {
		t.Helper()
		if err := os.RemoveAll(p); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}},
}

// TestNotFileStatCache: a named pipe or a directory in place of
// statcache.json is a damaged stat cache (ignored, with a warning, and
// replaced by the next save), never a hang.
func TestNotFileStatCache(t *testing.T) {
	for _, nf := range notFiles {
		t.Run(nf.name, func(t *testing.T) {
			dir := t.TempDir()
			s, err := Open(filepath.Join(dir, "store"))
			if err != nil {
				t.Fatal(err)
			}
			p := s.statCachePath()
			nf.make(t, p)
			in := filepath.Join(dir, "input.txt")
			if err := os.WriteFile(in, []byte("hello"), 0o644); err != nil {
				t.Fatal(err)
			}
			fifotest.NoBlock(t, p, func() {
				if _, _, err := s.DigestFile(in); err != nil {
					t.Errorf("digest: %v", err)
				}
			})
			wantWarning(t, s, "statcache.json cannot be read (not a regular file ("+nf.name+"))")
			if err := s.SaveStatCache(); err != nil {
				t.Fatal(err)
			}
			if fi, err := os.Lstat(p); err != nil || !fi.Mode().IsRegular() {
				t.Errorf("statcache.json after a save: %v, %v; want a regular file", fi, err)
			}
		})
	}
}

// TestNotFileLayout: a named pipe or a directory in place of the layout
// file is a damaged layout file, rewritten with a warning.
func TestNotFileLayout(t *testing.T) {
	for _, nf := range notFiles {
		t.Run(nf.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "layout")
			nf.make(t, p)
			var s *Store
			fifotest.NoBlock(t, p, func() {
				var err error
				if s, err = Open(dir); err != nil {
					t.Errorf("open: %v", err)
				}
			})
			if s == nil {
				return
			}
			wantWarning(t, s, "layout file "+p+" is damaged (not a regular file ("+nf.name+")); rewritten")
			if b, err := os.ReadFile(p); err != nil || string(b) != "sptflow-store 1\n" {
				t.Errorf("layout file after open: %q, %v", b, err)
			}
		})
	}
}

// TestNotFileEntries: a named pipe or a directory in place of a manifest
// pointer, a key info, an object, a record file, a lease file or a run's
// creation time is a missing (or damaged) entry, never a hang; a damaged
// entry's pipe or (empty) directory is removed, so that the entry can be
// written again.
func TestNotFileEntries(t *testing.T) {
	for _, nf := range notFiles {
		t.Run(nf.name, func(t *testing.T) { testNotFileEntries(t, nf) })
	}
}

func testNotFileEntries(t *testing.T, nf notFile) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	obj := DigestOf([]byte("an object"))
	k := key("a node")
	run, err := s.NewRunDir("run1")
	if err != nil {
		t.Fatal(err)
	}
	notFound := func(err error) string {
		if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "not a regular file ("+nf.name+")") {
			return "got: " + errString(err) + "\nwant: ErrNotFound, saying it is " + nf.name
		}
		return ""
	}
	tests := []struct {
		name    string
		path    string
		call    func() string // "" when the outcome is the one wanted
		removed bool          // removed (or replaced) as damage
	}{
		{"manifest pointer", s.manifestPath(k), func() string {
			_, _, err := s.GetManifest(k)
			return notFound(err)
		}, true},
		{"key info", s.keyInfoPath(k), func() string {
			_, err := s.GetKeyInfo(k)
			return notFound(err)
		}, true},
		{"key info ensured", s.keyInfoPath(k), func() string {
			if err := s.EnsureKeyInfo(k, []byte(`{"a":1}`)); err != nil {
				return "got: " + err.Error() + "\nwant: the key info written"
			}
			return ""
		}, true},
		{"object read", s.objectPath(obj), func() string {
			_, err := s.ReadObject(obj)
			return notFound(err)
		}, true},
		{"object opened", s.objectPath(obj), func() string {
			_, err := s.OpenObject(obj)
			return notFound(err)
		}, true},
		{"record file", s.Records("r").path(k), func() string {
			if _, ok, err := s.Records("r").Get(k); ok || err != nil {
				return "got: " + errString(err) + "\nwant: a miss"
			}
			return ""
		}, true},
		{"lease holder", s.leasePath("p"), func() string {
			if h := s.LeaseHolder("p"); h != "" {
				return "got: " + h + "\nwant: no holder"
			}
			return ""
		}, false},
		{"run creation time", filepath.Join(run, createdFile), func() string {
			if dirs, err := s.RunDirs(); err != nil || len(dirs) != 1 {
				return "got: " + errString(err) + "\nwant: the run listed"
			}
			return ""
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nf.make(t, tt.path)
			fifotest.NoBlock(t, tt.path, func() {
				if msg := tt.call(); msg != "" {
					t.Error(msg)
				}
			})
			fi, err := os.Lstat(tt.path)
			if tt.removed && err == nil && !fi.Mode().IsRegular() {
				t.Errorf("%s is still %s; want it removed as damage", tt.path, nf.name)
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}
