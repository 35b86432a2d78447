package intervene_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sptflow/sptflow/steps/generate/llmstep/llmsteptest"
	"github.com/sptflow/sptflow/steps/intervene"
	"github.com/sptflow/sptflow/steps/spt"
)

// TestInterveneResolveChecksPrompts: missing stage-3 prompts and bad
// placeholders are reported by Resolve, before any model is called, naming
// the node's position, the partition and the file.
func TestInterveneResolveChecksPrompts(t *testing.T) {
	sp := spt.Stage3File("sycophancy", "split_personality")
	hs := spt.Stage3File("sycophancy", "honesty_scare")
	tests := []struct {
		name  string
		files map[string]string // "" removes the file
		with  map[string]any
		want  []string
	}{
		{"no stage-3 files", map[string]string{sp: "", hs: ""}, nil,
			[]string{`topic "sycophancy"`, "no stage-3 prompt files"}},
		{"listed intervention missing", nil, map[string]any{"interventions": []any{"split_personality", "audit"}},
			[]string{"stage_3/sycophancy__audit.md", "file does not exist"}},
		{"unknown placeholder", map[string]string{hs: "Review {num_samples} samples.\nFocus: {legal_review_focus}.\n"}, nil,
			[]string{"stage_3/sycophancy__honesty_scare.md:2:8", "unknown placeholder {legal_review_focus}"}},
		{"unpaired brace", map[string]string{sp: "Write {num_samples} interventions {\n"}, nil,
			[]string{"stage_3/sycophancy__split_personality.md:1:35", "without a closing"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			llmsteptest.WritePrompts(t, dir, "sycophancy")
			for rel, text := range tt.files {
				file := filepath.Join(dir, "prompts", filepath.FromSlash(rel))
				var err error
				if text == "" {
					err = os.Remove(file)
				} else {
					err = os.WriteFile(file, []byte(text), 0o644)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			_, err := intervene.New(nil).Resolve(spec(dir, tt.with))
			if err == nil {
				t.Fatalf("got no error, want one containing %q", tt.want)
			}
			want := append([]string{"test.yaml:1:1", `node "intervene": `}, tt.want...)
			for _, w := range want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

func TestInterveneResolveAcceptsGoodPrompts(t *testing.T) {
	dir := t.TempDir()
	llmsteptest.WritePrompts(t, dir, "sycophancy")
	if _, err := intervene.New(nil).Resolve(spec(dir, nil)); err != nil {
		t.Fatalf("got %v, want no error", err)
	}
}
