package store

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestMaterializeObjectHardLink: a hard-linked data file is the object,
// read-only; writing to it in place (as root can) is detected as damage
// on the next check, and the damaged object is not linked again.
func TestMaterializeObjectHardLink(t *testing.T) {
	t.Setenv(MaterializeEnv, "hardlink") // read once per process; no other test sets it
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	data := []byte(`{"a": 1}`)
	d, err := s.PutObject(data)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	dst := filepath.Join(dir, "out.json")
	if err := os.WriteFile(dst, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	how, err := s.MaterializeObject(d, dst)
	if err != nil {
		t.Fatal(err)
	}
	if how == LinkCopy {
		t.Skipf("this file system neither reflinks nor hard-links")
	}
	got, err := os.ReadFile(dst)
	if err != nil || string(got) != string(data) {
		t.Fatalf("materialized content = %q, %v; want %q", got, err, data)
	}
	assertNoTemps(t, dir)
	if how != LinkHard {
		return
	}
	obj, _ := os.Stat(s.objectPath(d))
	fi, _ := os.Stat(dst)
	if !os.SameFile(obj, fi) || fi.Mode().Perm() != 0o444 {
		t.Fatalf("data file: same inode %v, mode %v; want the object's inode, 0444", os.SameFile(obj, fi), fi.Mode().Perm())
	}
	// Materializing again over the same link leaves no temp name behind.
	if _, err := s.MaterializeObject(d, dst); err != nil {
		t.Fatal(err)
	}
	assertNoTemps(t, dir)

	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Skipf("cannot write the read-only file (not root): %v", err)
	}
	_, err = f.WriteString("edited")
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CheckObject(d); !errors.Is(err, ErrNotFound) {
		t.Fatalf("CheckObject after an in-place edit through the link = %v, want ErrNotFound", err)
	}
	if _, err := s.MaterializeObject(d, filepath.Join(dir, "again.json")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("MaterializeObject of the damaged object = %v, want ErrNotFound", err)
	}
	if got, _ := os.ReadFile(dst); string(got) != string(data)+"edited" {
		t.Fatalf("the user's edited file = %q, want it kept", got)
	}
}

// TestRememberPlacedOnlyUnchanged: placing an object (a hard link and a
// chmod change its ctime) records it and the data file as holding their
// digest, but not when the object was written to between its check and
// the placing: then both are hashed at their next check.
func TestRememberPlacedOnlyUnchanged(t *testing.T) {
	for _, written := range []bool{false, true} {
		s := openTest(t)
		s.racyWindow = 0
		d, err := s.PutObject([]byte("hello"))
		if err != nil {
			t.Fatal(err)
		}
		p := s.objectPath(d)
		past := time.Now().Add(-time.Hour)
		if err := os.Chtimes(p, past, past); err != nil {
			t.Fatal(err)
		}
		verified, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		if written {
			// A same-size write after the check: its mtime is now, not past.
			if err := os.WriteFile(p, []byte("jello"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		dst := filepath.Join(t.TempDir(), "out.json")
		if err := hardLink(p, dst); err != nil {
			t.Fatal(err)
		}
		s.rememberPlaced(p, dst, d, verified)
		for _, f := range []string{p, dst} {
			fi, err := os.Lstat(f)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := s.knownDigest(f, fi); ok == written {
				t.Errorf("written to before placing: %v; %s known: %v, want %v", written, filepath.Base(f), ok, !written)
			}
		}
	}
}
