package spt

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestStage3VersionFiles: stage_3/<topic>__<type>__<version>.md replaces
// the shared file for that version only, may add a type for that version,
// and is not an intervention type of its own (the original's two-part rule
// ignores it).
func TestStage3VersionFiles(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		BaseFile:                               "base",
		Stage3File("t", "sp"):                  "shared sp {num_samples}",
		Stage3File("t", "hs"):                  "shared hs",
		Stage3VersionFile("t", "sp", "v5"):     "v5 sp {num_samples}",
		Stage3VersionFile("t", "audit", "v5"):  "v5 audit",
		Stage3Dir + "/t__sp__v5__extra.md":     "not a prompt (four parts)",
		Stage3VersionFile("other", "sp", "v5"): "other topic",
	}
	for rel, text := range files {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p, err := LoadPrompts(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.Interventions("t"), []string{"hs", "sp"}; !slices.Equal(got, want) {
		t.Errorf("Interventions: got %v, want %v", got, want)
	}
	if got, want := p.InterventionsFor("t", "v4"), []string{"hs", "sp"}; !slices.Equal(got, want) {
		t.Errorf("InterventionsFor v4: got %v, want %v", got, want)
	}
	if got, want := p.InterventionsFor("t", "v5"), []string{"audit", "hs", "sp"}; !slices.Equal(got, want) {
		t.Errorf("InterventionsFor v5: got %v, want %v", got, want)
	}
	tests := []struct {
		iv, version, wantRel, wantText string
	}{
		{"sp", "v4", Stage3File("t", "sp"), "shared sp 3"},
		{"sp", "v5", Stage3VersionFile("t", "sp", "v5"), "v5 sp 3"},
		{"hs", "v5", Stage3File("t", "hs"), "shared hs"},
		{"audit", "v5", Stage3VersionFile("t", "audit", "v5"), "v5 audit"},
	}
	for _, tt := range tests {
		rel, ok := p.Stage3Source("t", tt.iv, tt.version)
		text, err := p.Stage3For("t", tt.iv, tt.version, 3)
		if !ok || rel != tt.wantRel || err != nil || text != tt.wantText {
			t.Errorf("%s %s: got %s (%v), %q (%v); want %s, %q", tt.iv, tt.version, rel, ok, text, err, tt.wantRel, tt.wantText)
		}
	}
	if _, err := p.Stage3For("t", "audit", "v4", 1); err == nil || !strings.Contains(err.Error(), "t__audit.md") {
		t.Errorf("audit without a v4 file: got %v, want a missing t__audit.md", err)
	}
	if err := p.ValidateStage3Versions([]string{"t"}, nil, []string{"v4", "v5"}); err != nil {
		t.Errorf("ValidateStage3Versions: %v", err)
	}
}
