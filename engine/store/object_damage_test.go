package store

import (
	"bytes"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
)

// damageFile rewrites the file at p with damage applied (nil: deletes it).
func damageFile(t *testing.T, p string, damage func([]byte) []byte) {
	t.Helper()
	if damage == nil {
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
		return
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, damage(b), 0o644); err != nil {
		t.Fatal(err)
	}
}

var fileDamages = []struct {
	name string
	do   func([]byte) []byte
}{
	{"same-size flip", func(b []byte) []byte { b[len(b)/2] ^= 0x01; return b }},
	{"truncation", func(b []byte) []byte { return b[:len(b)/2] }},
	{"deletion", nil},
}

// TestPutObjectReplacesDamaged: an existing object of the right size but
// the wrong content is not taken for the object; Put (from bytes or a
// reader) replaces it, and CheckObject and GetManifest see the damage
// before any reader does.
func TestPutObjectReplacesDamaged(t *testing.T) {
	data := []byte(strings.Repeat("a stored output\n", 20))
	puts := map[string]func(s *Store) error{
		"PutObject": func(s *Store) error { _, err := s.PutObject(data); return err },
		"PutObjectReader": func(s *Store) error {
			_, _, err := s.PutObjectReader(bytes.NewReader(data))
			return err
		},
	}
	for _, dm := range fileDamages {
		for name, put := range puts {
			t.Run(dm.name+"/"+name, func(t *testing.T) {
				s := openTest(t)
				d, err := s.PutObject(data)
				if err != nil {
					t.Fatal(err)
				}
				if err := s.CheckObject(d); err != nil {
					t.Fatalf("CheckObject of an intact object: %v", err)
				}
				damageFile(t, s.objectPath(d), dm.do)
				if err := s.CheckObject(d); !errors.Is(err, ErrNotFound) {
					t.Fatalf("CheckObject of a damaged object: got %v, want ErrNotFound", err)
				}
				if _, err := os.Stat(s.objectPath(d)); !errors.Is(err, os.ErrNotExist) {
					t.Fatalf("CheckObject left the damaged object: %v", err)
				}
				if err := os.WriteFile(s.objectPath(d), bytes.ToUpper(data), 0o644); err != nil {
					t.Fatal(err) // damaged again, same size
				}
				if err := put(s); err != nil {
					t.Fatal(err)
				}
				if got, err := s.ReadObject(d); err != nil || !bytes.Equal(got, data) {
					t.Fatalf("after Put over a damaged object: got %q, %v", got, err)
				}
			})
		}
	}
}

// TestGetManifestDamagedIsMiss: a damaged manifest entry, manifest object
// or stored file makes GetManifest a miss (never an error that is not
// ErrNotFound), and sealing the output again repairs it.
func TestGetManifestDamagedIsMiss(t *testing.T) {
	targets := map[string]func(s *Store, d, m Digest) string{
		"entry":       func(s *Store, d, m Digest) string { return s.manifestPath(key("k")) },
		"manifest":    func(s *Store, d, m Digest) string { return s.objectPath(m) },
		"stored file": func(s *Store, d, m Digest) string { return s.objectPath(d) },
	}
	for _, dm := range fileDamages {
		for name, target := range targets {
			t.Run(dm.name+"/"+name, func(t *testing.T) {
				s := openTest(t)
				data := []byte(`{"item": 1}`)
				d, _ := s.PutObject(data)
				man := &Manifest{Partition: "p", Files: []ManifestFile{{Path: "out.json", Digest: d, Size: int64(len(data))}}}
				m, err := s.PutManifest(key("k"), man)
				if err != nil {
					t.Fatal(err)
				}
				damageFile(t, target(s, d, m), dm.do)
				if _, _, err := s.GetManifest(key("k")); !errors.Is(err, ErrNotFound) {
					t.Fatalf("GetManifest: got %v, want ErrNotFound", err)
				}
				if _, err := s.PutObject(data); err != nil {
					t.Fatal(err)
				}
				if _, err := s.PutManifest(key("k"), man); err != nil {
					t.Fatal(err)
				}
				if got, _, err := s.GetManifest(key("k")); err != nil || got.Files[0].Digest != d {
					t.Fatalf("GetManifest after sealing again: %v", err)
				}
			})
		}
	}
}

// TestKeyInfoDamaged: a damaged key info is ErrNotFound, EnsureKeyInfo
// restores it (and upgrades an unframed one) and leaves an intact one
// alone; the older unframed format is still read.
func TestKeyInfoDamaged(t *testing.T) {
	info := []byte(`{"version":3,"components":[{"name":"prompt","digest":"ab"}]}`)
	for _, dm := range fileDamages {
		t.Run(dm.name, func(t *testing.T) {
			s := openTest(t)
			if err := s.PutKeyInfo(key("k"), info); err != nil {
				t.Fatal(err)
			}
			damageFile(t, s.keyInfoPath(key("k")), dm.do)
			if got, err := s.GetKeyInfo(key("k")); !errors.Is(err, ErrNotFound) {
				t.Fatalf("GetKeyInfo of a damaged entry: got %q, %v; want ErrNotFound", got, err)
			}
			if err := s.EnsureKeyInfo(key("k"), info); err != nil {
				t.Fatal(err)
			}
			if got, err := s.GetKeyInfo(key("k")); err != nil || !bytes.Equal(got, info) {
				t.Fatalf("GetKeyInfo after EnsureKeyInfo: got %q, %v", got, err)
			}
		})
	}
	t.Run("unframed", func(t *testing.T) {
		s := openTest(t)
		p := s.keyInfoPath(key("k"))
		if err := s.writeEntry(p, info); err != nil {
			t.Fatal(err)
		}
		if got, err := s.GetKeyInfo(key("k")); err != nil || !bytes.Equal(got, info) {
			t.Fatalf("GetKeyInfo of the unframed format: got %q, %v", got, err)
		}
		if err := s.EnsureKeyInfo(key("k"), info); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(p)
		if !bytes.HasPrefix(b, []byte(keyInfoMagic)) {
			t.Fatalf("EnsureKeyInfo left the unframed format: %q", b)
		}
		fi, _ := os.Stat(p)
		if err := s.EnsureKeyInfo(key("k"), info); err != nil {
			t.Fatal(err)
		}
		if fi2, _ := os.Stat(p); !os.SameFile(fi, fi2) {
			t.Error("EnsureKeyInfo rewrote an intact entry")
		}
	})
}

// TestIsFramedKeyInfo: isFramedKeyInfo(b, info) is b == frameKeyInfo(info)
// for the framed entry with any one byte changed, cut or extended.
func TestIsFramedKeyInfo(t *testing.T) {
	info := []byte(`{"version":3,"components":[{"name":"prompt","digest":"ab"}]}`)
	framed := frameKeyInfo(info)
	variants := [][]byte{framed, info, nil, append(slices.Clone(framed), '\n')}
	for i := range framed {
		flipped := slices.Clone(framed)
		flipped[i] ^= 0x20
		variants = append(variants, flipped, framed[:i])
	}
	for _, b := range variants {
		if got, want := isFramedKeyInfo(b, info), bytes.Equal(b, framed); got != want {
			t.Errorf("isFramedKeyInfo(%q) = %v, want %v", b, got, want)
		}
	}
}
