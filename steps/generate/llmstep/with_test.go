package llmstep

import (
	"strings"
	"testing"

	"github.com/sptflow/sptflow/engine/enginetest"
)

// TestWithErrors: every problem is reported once, naming its key; valid
// values come back.
func TestWithErrors(t *testing.T) {
	tests := []struct {
		name string
		with map[string]any
		read func(w *With) any
		want any
		errs []string // substrings, one per reported problem
	}{
		{"strings from one string", map[string]any{"k": "a"}, func(w *With) any { return w.Strings("k", nil) }, []string{"a"}, nil},
		{"strings from a list", map[string]any{"k": []any{"a", "b"}}, func(w *With) any { return w.Strings("k", nil) }, []string{"a", "b"}, nil},
		{"strings absent", map[string]any{}, func(w *With) any { return w.Strings("k", []string{"d"}) }, []string{"d"}, nil},
		{"strings from an empty string", map[string]any{"k": ""}, func(w *With) any { return w.Strings("k", nil) }, []string(nil), []string{"k: want a non-empty list of strings"}},
		{"strings listed twice", map[string]any{"k": []any{"a", "a"}}, func(w *With) any { return w.Strings("k", nil) }, []string(nil), []string{`"a" listed twice`}},
		{"int below min", map[string]any{"k": 0}, func(w *With) any { return w.Int("k", 5, 1) }, 5, []string{"0: must be at least 1"}},
		{"int of another type", map[string]any{"k": "3"}, func(w *With) any { return w.Int("k", 5, 1) }, 5, []string{"want an integer"}},
		{"unknown key", map[string]any{"k": 1, "zz": 2}, func(w *With) any { return w.Int("k", 5, 1) }, 1, []string{"zz: unknown parameter"}},
		{"model required", map[string]any{}, func(w *With) any { return w.Model("model", "") == nil }, true, []string{"model: required"}},
		{"model of the wrong type", map[string]any{"model": 3}, func(w *With) any { return w.Model("model", "") == nil }, true, []string{"model: want a non-empty string"}},
		{"model unknown", map[string]any{"model": "m"}, func(w *With) any { return w.Model("model", "") == nil }, true, []string{`unknown model "m"`}},
		{"replica absent: the original draw", map[string]any{}, func(w *With) any { return w.Replica() }, 0, nil},
		{"replica", map[string]any{"replica": 3}, func(w *With) any { return w.Replica() }, 3, nil},
		{"replica negative", map[string]any{"replica": -1}, func(w *With) any { return w.Replica() }, 0, []string{"replica: -1: must be at least 0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := NewWith(enginetest.Spec("kind", t.TempDir(), tt.with))
			got := tt.read(w)
			if !equal(got, tt.want) {
				t.Errorf("value: got %#v, want %#v", got, tt.want)
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

func equal(a, b any) bool {
	as, aok := a.([]string)
	bs, bok := b.([]string)
	if aok && bok {
		return strings.Join(as, "\x00") == strings.Join(bs, "\x00") && (as == nil) == (bs == nil)
	}
	return a == b
}
