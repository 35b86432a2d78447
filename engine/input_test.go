package engine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sptflow/sptflow/engine/store"
)

func TestMatchInputs(t *testing.T) {
	root := t.TempDir()
	for _, f := range []string{"p/base.md", "p/stage_1/a.md", "p/stage_1/deep/b.md", "p/stage_1/c.txt", "cfg.json"} {
		p := filepath.Join(root, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	digest := func(p string) (Digest, int64, error) {
		b, err := os.ReadFile(p)
		return store.DigestOf(b), int64(len(b)), err
	}
	tests := []struct {
		name string
		ins  []InputSpec
		want string // "spec:rel" joined by spaces, or the error
	}{
		{"file", []InputSpec{{Path: "cfg.json"}}, "0:cfg.json"},
		{"pattern", []InputSpec{{Path: "p/stage_1", Pattern: "*.md"}}, "0:a.md"},
		{"any depth", []InputSpec{{Path: "p", Pattern: "**/*.md"}}, "0:base.md 0:stage_1/a.md 0:stage_1/deep/b.md"},
		{"several", []InputSpec{{Path: "cfg.json"}, {Path: "p", Pattern: "base.md"}}, "0:cfg.json 1:base.md"},
		{"optional missing", []InputSpec{{Path: "nope.json", Optional: true}, {Path: "cfg.json"}}, "1:cfg.json"},
		{"required missing", []InputSpec{{Path: "nope.json"}}, "missing input nope.json"},
		{"directory without pattern", []InputSpec{{Path: "p"}}, "is a directory"},
	}
	for _, tt := range tests {
		files, err := MatchInputs(root, tt.ins, digest)
		var got []string
		for _, f := range files {
			if f.Digest != store.DigestOf([]byte(strings.TrimPrefix(f.Abs, root+"/"))) {
				t.Errorf("%s: %s: wrong digest", tt.name, f.Rel)
			}
			got = append(got, string(rune('0'+f.Spec))+":"+f.Rel)
		}
		g := strings.Join(got, " ")
		if err != nil {
			g = err.Error()
		}
		if !strings.Contains(g, tt.want) || (err == nil && g != tt.want) {
			t.Errorf("%s:\ngot:  %s\nwant: %s", tt.name, g, tt.want)
		}
	}
}

// TestInputNamesArePortable: inputs are named relative to the project root,
// whichever way their InputSpec spelled the path; files outside the root
// by spec index and relative path. No name holds an absolute path.
func TestInputNamesArePortable(t *testing.T) {
	base := t.TempDir()
	root, outside := filepath.Join(base, "clone"), filepath.Join(base, "shared")
	for _, f := range []string{filepath.Join(root, "prompts", "base.md"), filepath.Join(outside, "t", "batch_1.json")} {
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ins := []InputSpec{
		{Path: filepath.Join(root, "prompts", "base.md")}, // absolute, as generate declares prompt files
		{Path: "prompts", Pattern: "*.md"},
		{Path: filepath.Join(outside, "t"), Pattern: "*.json"},
	}
	files, err := MatchInputs(root, ins, func(string) (Digest, int64, error) { return Digest{}, 1, nil })
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range files {
		got = append(got, f.Name)
	}
	want := "prompts/base.md prompts/base.md external#2/batch_1.json"
	if strings.Join(got, " ") != want {
		t.Errorf("names got: %q want: %q", strings.Join(got, " "), want)
	}
}
