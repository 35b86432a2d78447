package llm_test

import (
	"strings"
	"testing"

	"github.com/sptflow/sptflow/llm"
)

func TestExecutionSpec(t *testing.T) {
	tests := []struct {
		name    string
		raw     map[string]any
		wantErr string
	}{
		{"default online", map[string]any{"provider": "sim", "model": "m"}, ""},
		{"batch on anthropic", map[string]any{"provider": "anthropic", "model": "m", "execution": "batch"}, ""},
		{"auto with threshold", map[string]any{"provider": "anthropic", "model": "m", "execution": "auto", "batch_threshold": 5}, ""},
		{"unknown mode", map[string]any{"provider": "anthropic", "model": "m", "execution": "offline"}, `"offline": want online, batch or auto`},
		{"no batch API", map[string]any{"provider": "sim", "model": "m", "execution": "batch"}, "provider sim has no batch API"},
		{"negative threshold", map[string]any{"provider": "anthropic", "model": "m", "batch_threshold": -1}, "want a positive number"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := llm.ParseModelSpec("x", tc.raw)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("got %v, want no error", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("got %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestUseBatch(t *testing.T) {
	spec := func(provider, mode string) *llm.ModelSpec {
		raw := map[string]any{"provider": provider, "model": "m", "batch_threshold": 10}
		if mode != "" {
			raw["execution"] = mode
		}
		s, err := llm.ParseModelSpec("x", raw)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	tests := []struct {
		name string
		spec *llm.ModelSpec
		node string
		n    int
		want bool
	}{
		{"online entry", spec("anthropic", ""), "", 50, false},
		{"batch entry", spec("anthropic", "batch"), "", 1, true},
		{"batch entry, nothing to send", spec("anthropic", "batch"), "", 0, false},
		{"node online wins", spec("anthropic", "batch"), "online", 50, false},
		{"node batch wins", spec("anthropic", ""), "batch", 2, true},
		{"auto below threshold", spec("anthropic", "auto"), "", 9, false},
		{"auto at threshold", spec("anthropic", "auto"), "", 10, true},
		{"no batch API", spec("sim", ""), "batch", 50, false},
	}
	for _, tc := range tests {
		if got := llm.UseBatch(tc.spec, tc.node, tc.n); got != tc.want {
			t.Errorf("%s: UseBatch = %v, want %v", tc.name, got, tc.want)
		}
	}
}
