package store

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
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
