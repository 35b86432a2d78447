package store

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDamagedLayoutRewritten: a layout file that does not read is
// rewritten with a warning; one of a newer layout is still refused.
func TestDamagedLayoutRewritten(t *testing.T) {
	for _, tt := range []struct {
		name, text string
		ok         bool
	}{
		{"flipped byte", "sptflow-stor\x05 1\n", true},
		{"truncated", "sptfl", true},
		{"empty", "", true},
		{"newer layout", "sptflow-store 2\n", false},
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "layout"), []byte(tt.text), 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := Open(dir)
		if !tt.ok {
			if err == nil {
				t.Errorf("%s: opened, want refused", tt.name)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v, want the layout rewritten", tt.name, err)
			continue
		}
		if w := s.Warnings(); len(w) != 1 || !strings.Contains(w[0], "damaged") {
			t.Errorf("%s: warnings %q, want one about the damaged layout file", tt.name, w)
		}
		if b, _ := os.ReadFile(filepath.Join(dir, "layout")); string(b) != "sptflow-store 1\n" {
			t.Errorf("%s: layout file %q after open", tt.name, b)
		}
	}
}

// TestDamagedStatCacheIgnored: a stat cache whose bytes changed (a flipped
// hex digit still reads as JSON) is ignored with a warning, not trusted.
func TestDamagedStatCacheIgnored(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(filepath.Join(dir, "store"))
	if err != nil {
		t.Fatal(err)
	}
	s.racyWindow = 0
	f := filepath.Join(dir, "input.txt")
	os.WriteFile(f, []byte("hello"), 0o644)
	want, _, err := s.DigestFile(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SaveStatCache(); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(s.statCachePath())
	hex := want.String()
	flipped := strings.Replace(string(b), hex, "0"+hex[1:], 1)
	if hex[0] == '0' {
		flipped = strings.Replace(string(b), hex, "1"+hex[1:], 1)
	}
	if flipped == string(b) {
		t.Fatal("digest not found in the stat cache")
	}
	os.WriteFile(s.statCachePath(), []byte(flipped), 0o644)

	s2, err := Open(filepath.Join(dir, "store"))
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := s2.DigestFile(f)
	if err != nil || got != want {
		t.Errorf("digest with a damaged stat cache: got %s, %v; want %s", got.Short(), err, want.Short())
	}
	if w := s2.Warnings(); len(w) != 1 || !strings.Contains(w[0], "statcache.json is damaged") {
		t.Errorf("warnings %q, want one about the damaged stat cache", w)
	}
	if s2.hashes.Load() != 1 {
		t.Errorf("hashed %d files, want 1 (the damaged cache ignored)", s2.hashes.Load())
	}
}
