package store

import (
	"errors"
	"os"
	"reflect"
	"testing"
	"time"
)

func putFiles(t *testing.T, s *Store, contents map[string]string) []ManifestFile {
	t.Helper()
	var files []ManifestFile
	for p, c := range contents {
		d, err := s.PutObject([]byte(c))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, ManifestFile{Path: p, Digest: d, Size: int64(len(c))})
	}
	return files
}

func testManifest(t *testing.T, s *Store) *Manifest {
	files := putFiles(t, s, map[string]string{"b/2.json": "two", "a/1.json": "one", "c.json": "three"})
	files = append(files, ManifestFile{Path: "src/x.json", Digest: DigestOf([]byte("ext")), Size: 3, External: "/data/x.json"})
	return &Manifest{
		Partition: "tag@sycophancy",
		Files:     files,
		Produced:  time.Date(2025, 3, 4, 5, 6, 7, 8, time.FixedZone("X", 3600)),
		Meta:      map[string]any{"usage": map[string]any{"requests": 3.0}, "note": "n"},
	}
}

func TestManifestRoundTrip(t *testing.T) {
	s := openTest(t)
	m := testManifest(t, s)
	orig := append([]ManifestFile(nil), m.Files...)
	d, err := s.PutManifest(key("k1"), m)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(m.Files, orig) {
		t.Error("PutManifest modified its argument")
	}
	got, gd, err := s.GetManifest(key("k1"))
	if err != nil {
		t.Fatal(err)
	}
	if gd != d {
		t.Errorf("digest: got %s, want %s", gd.Short(), d.Short())
	}
	var paths []string
	for _, f := range got.Files {
		paths = append(paths, f.Path)
	}
	if want := []string{"a/1.json", "b/2.json", "c.json", "src/x.json"}; !reflect.DeepEqual(paths, want) {
		t.Errorf("paths: got %v, want %v", paths, want)
	}
	if !got.Produced.Equal(m.Produced) || got.Produced.Location() != time.UTC {
		t.Errorf("produced: got %v, want %v in UTC", got.Produced, m.Produced)
	}
	if got.Partition != m.Partition || got.Meta["note"] != "n" {
		t.Errorf("got %+v", got)
	}
	// Same content, different file order: same digest.
	m.Files[0], m.Files[1] = m.Files[1], m.Files[0]
	if d2, _ := s.PutManifest(key("k2"), m); d2 != d {
		t.Errorf("digest depends on file order: %s vs %s", d2.Short(), d.Short())
	}
}

func TestManifestMisses(t *testing.T) {
	tests := []struct {
		name   string
		damage func(t *testing.T, s *Store, k [32]byte, d Digest, m *Manifest)
	}{
		{"missing", func(t *testing.T, s *Store, k [32]byte, _ Digest, _ *Manifest) { os.Remove(s.manifestPath(k)) }},
		{"pointer flipped", func(t *testing.T, s *Store, k [32]byte, _ Digest, _ *Manifest) {
			damages["flip byte"](t, s.manifestPath(k))
		}},
		{"pointer truncated", func(t *testing.T, s *Store, k [32]byte, _ Digest, _ *Manifest) {
			damages["truncate"](t, s.manifestPath(k))
		}},
		{"pointer of another key", func(t *testing.T, s *Store, k [32]byte, _ Digest, m *Manifest) {
			s.PutManifest(key("other"), m)
			b, _ := os.ReadFile(s.manifestPath(key("other")))
			writeRaw(t, s.manifestPath(k), b)
		}},
		{"manifest object flipped", func(t *testing.T, s *Store, _ [32]byte, d Digest, _ *Manifest) {
			damages["flip byte"](t, s.objectPath(d))
		}},
		{"manifest object truncated", func(t *testing.T, s *Store, _ [32]byte, d Digest, _ *Manifest) {
			damages["truncate"](t, s.objectPath(d))
		}},
		{"file object missing", func(t *testing.T, s *Store, _ [32]byte, _ Digest, m *Manifest) {
			os.Remove(s.objectPath(m.Files[0].Digest))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openTest(t)
			m := testManifest(t, s)
			d, err := s.PutManifest(key("k"), m)
			if err != nil {
				t.Fatal(err)
			}
			tt.damage(t, s, key("k"), d, m)
			if _, _, err := s.GetManifest(key("k")); !errors.Is(err, ErrNotFound) {
				t.Fatalf("GetManifest: got %v, want ErrNotFound", err)
			}
		})
	}
}

func TestPutManifestRejects(t *testing.T) {
	s := openTest(t)
	good := putFiles(t, s, map[string]string{"a": "a"})[0]
	tests := []struct {
		name  string
		files []ManifestFile
	}{
		{"object not stored", []ManifestFile{{Path: "x", Digest: DigestOf([]byte("nope"))}}},
		{"absolute path", []ManifestFile{{Path: "/etc/x", Digest: good.Digest}}},
		{"escaping path", []ManifestFile{{Path: "../x", Digest: good.Digest}}},
		{"unclean path", []ManifestFile{{Path: "a//b", Digest: good.Digest}}},
		{"empty path", []ManifestFile{{Path: "", Digest: good.Digest}}},
		{"duplicate", []ManifestFile{{Path: "a", Digest: good.Digest}, {Path: "a", Digest: good.Digest}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.PutManifest(key(tt.name), &Manifest{Partition: "p", Files: tt.files}); err == nil {
				t.Fatal("PutManifest succeeded, want error")
			}
			if _, _, err := s.GetManifest(key(tt.name)); !errors.Is(err, ErrNotFound) {
				t.Fatalf("a rejected manifest is readable: %v", err)
			}
		})
	}
}

func TestKeyInfo(t *testing.T) {
	s := openTest(t)
	if _, err := s.GetKeyInfo(key("k")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing key info: got %v, want ErrNotFound", err)
	}
	for _, info := range []string{`{"a":1}`, `{"a":2}`} {
		if err := s.PutKeyInfo(key("k"), []byte(info)); err != nil {
			t.Fatal(err)
		}
		got, err := s.GetKeyInfo(key("k"))
		if err != nil || string(got) != info {
			t.Fatalf("got %q, %v; want %q", got, err, info)
		}
	}
}

func TestManifestEmptyFilesCanonical(t *testing.T) {
	s := openTest(t)
	at := time.Unix(100, 0)
	d1, err := s.PutManifest(key("a"), &Manifest{Partition: "p", Produced: at})
	if err != nil {
		t.Fatal(err)
	}
	d2, _ := s.PutManifest(key("b"), &Manifest{Partition: "p", Files: []ManifestFile{}, Produced: at})
	if d1 != d2 {
		t.Fatalf("nil and empty Files hash differently: %s vs %s", d1.Short(), d2.Short())
	}
}
