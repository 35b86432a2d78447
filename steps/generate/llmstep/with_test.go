package llmstep

import (
	"strings"
	"testing"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/engine/enginetest"
)

// TestModel: model names resolve to validated specs; problems are reported
// at the key, with the nearest model name.
func TestModel(t *testing.T) {
	params := []engine.Param{
		{Name: "model", Type: engine.TypeModel, Required: true},
		{Name: "models", Type: engine.TypeModels, Min: 1},
	}
	models := map[string]engine.ModelEntry{
		"sonnet": {Name: "sonnet", Raw: map[string]any{"provider": "sim", "model": "m"}, Pos: "p.yaml:3:3"},
	}
	tests := []struct {
		name string
		with map[string]any
		ok   bool
		errs []string
	}{
		{"model", map[string]any{"model": "sonnet", "models": []any{"sonnet"}}, true, nil},
		{"model required", map[string]any{}, false, []string{`node "k": with.model is required`}},
		{"model of the wrong type", map[string]any{"model": 3}, false, []string{"with.model: want a non-empty string"}},
		{"model unknown, near", map[string]any{"model": "sonet"}, false, []string{`with.model: unknown model "sonet" (did you mean "sonnet"?)`}},
		{"model unknown, far", map[string]any{"model": "opus"}, false, []string{`with.model: unknown model "opus" (known: sonnet)`}},
		{"models, one unknown", map[string]any{"model": "sonnet", "models": []any{"sonnet", "sonnett"}}, true, []string{`with.models: unknown model "sonnett" (did you mean "sonnet"?)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := enginetest.Spec("k", t.TempDir(), tt.with)
			spec.Models = models
			w := NewWith(spec, params)
			got := w.Model("model")
			w.Models("models")
			if (got != nil) != tt.ok {
				t.Errorf("model: got %v, want ok=%v", got, tt.ok)
			}
			var msgs []string
			if err := w.Err(); err != nil {
				msgs = strings.Split(err.Error(), "\n")
			}
			if len(msgs) != len(tt.errs) {
				t.Fatalf("errors: got %q, want %d matching %q", msgs, len(tt.errs), tt.errs)
			}
			for i, sub := range tt.errs {
				if !strings.Contains(msgs[i], sub) {
					t.Errorf("error %d: got %q, want it to contain %q", i, msgs[i], sub)
				}
			}
		})
	}
}
