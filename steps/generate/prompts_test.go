package generate_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sptflow/sptflow/steps/generate"
	"github.com/sptflow/sptflow/steps/generate/llmstep/llmsteptest"
	"github.com/sptflow/sptflow/steps/spt"
)

// TestGenerateResolveChecksPrompts: a missing or broken stage-1 prompt is
// reported by Resolve, before any model is called, naming the node's
// position, the partition and the file (with line and column for a bad
// placeholder).
func TestGenerateResolveChecksPrompts(t *testing.T) {
	tests := []struct {
		name   string
		stage1 string // "" removes the file
		want   []string
	}{
		{"missing file", "", []string{"stage_1/sycophancy.md", "file does not exist"}},
		{"no num_samples", "Write some samples.\n", []string{"stage_1/sycophancy.md", "no {num_samples} placeholder"}},
		{"unknown placeholder", "Write {num_samples} samples.\nAbout {topic}.\n", []string{"stage_1/sycophancy.md:2:7", "unknown placeholder {topic}"}},
		{"single brace", "Write {num_samples} samples {\"a\": 1}.\n", []string{"stage_1/sycophancy.md:1:", "placeholder"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			llmsteptest.WritePrompts(t, dir, "sycophancy")
			file := filepath.Join(dir, "prompts", filepath.FromSlash(spt.Stage1File("sycophancy")))
			if tt.stage1 == "" {
				if err := os.Remove(file); err != nil {
					t.Fatal(err)
				}
			} else if err := os.WriteFile(file, []byte(tt.stage1), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := generate.New(nil).Resolve(spec(dir, map[string]any{"model": "opus"}))
			if err == nil {
				t.Fatalf("got no error, want one containing %q", tt.want)
			}
			want := append([]string{"test.yaml:1:1", `node "generate": `}, tt.want...)
			for _, w := range want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

func TestGenerateResolveAcceptsGoodPrompts(t *testing.T) {
	dir := t.TempDir()
	llmsteptest.WritePrompts(t, dir, "sycophancy")
	if _, err := generate.New(nil).Resolve(spec(dir, map[string]any{"model": "opus"})); err != nil {
		t.Fatalf("got %v, want no error", err)
	}
}
