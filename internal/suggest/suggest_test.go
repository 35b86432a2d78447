package suggest

import "testing"

func TestClosest(t *testing.T) {
	known := []string{"batch_size", "batches", "model", "review_model", "max_tokens", "intervene", "tag"}
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"batchs", "batches", true},
		{"batch_sise", "batch_size", true},
		{"max_tokns", "max_tokens", true},
		{"intervne", "intervene", true},
		{"modle", "model", true}, // transposition
		{"tga", "tag", true},
		{"review", "", false},
		{"xyz", "", false},
		{"model", "", false}, // an exact name is no suggestion
	}
	for _, tt := range tests {
		got, ok := Closest(tt.in, known)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Closest(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	if got, want := DidYouMean("batchs", known), ` (did you mean "batches"?)`; got != want {
		t.Errorf("DidYouMean: got %q, want %q", got, want)
	}
	if got := DidYouMean("zzzzzz", known); got != "" {
		t.Errorf("DidYouMean: got %q, want none", got)
	}
}
