package llm

import (
	"strings"
	"testing"
)

// TestFieldDocs: every documented field is one ParseModelSpec accepts.
func TestFieldDocs(t *testing.T) {
	for _, set := range []struct {
		name   string
		fields []FieldDoc
		wrap   func(k string) map[string]any
	}{
		{"models", ModelFields, func(k string) map[string]any { return map[string]any{"provider": "sim", "model": "m", k: nil} }},
		{"prices", PriceFields, func(k string) map[string]any {
			return map[string]any{"provider": "sim", "model": "m", "prices": map[string]any{k: nil}}
		}},
		{"sim", SimFields, func(k string) map[string]any {
			return map[string]any{"provider": "sim", "model": "m", "sim": map[string]any{k: nil}}
		}},
	} {
		for _, f := range set.fields {
			if _, err := ParseModelSpec("x", set.wrap(f.Name)); err != nil && strings.Contains(err.Error(), f.Name+": unknown field") {
				t.Errorf("%s field %q is documented but not accepted: %v", set.name, f.Name, err)
			}
		}
		if _, err := ParseModelSpec("x", set.wrap("no_such_field")); err == nil || !strings.Contains(err.Error(), "no_such_field: unknown field") {
			t.Errorf("%s: an unknown field is accepted: %v", set.name, err)
		}
	}
}
