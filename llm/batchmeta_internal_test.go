package llm

import (
	"context"
	"testing"
)

// TestAdoptable: a batch naming an intent is adopted by that intent only,
// whatever its size; one naming none by its size.
func TestAdoptable(t *testing.T) {
	e := &BatchEntry{Name: "abc-1", Keys: []string{"k1", "k2"}}
	for _, tc := range []struct {
		name string
		b    BatchStatus
		want bool
	}{
		{"same intent", BatchStatus{Intent: "abc-1"}, true},
		{"same intent, counts not known yet", BatchStatus{Intent: "abc-1", Counts: BatchCounts{Processing: 0}}, true},
		{"other intent, same size", BatchStatus{Intent: "abc-2", Counts: BatchCounts{Processing: 2}}, false},
		{"no intent, same size", BatchStatus{Counts: BatchCounts{Processing: 1, Succeeded: 1}}, true},
		{"no intent, other size", BatchStatus{Counts: BatchCounts{Processing: 3}}, false},
	} {
		if got := adoptable(&tc.b, e); got != tc.want {
			t.Errorf("%s: adoptable = %v, want %v", tc.name, got, tc.want)
		}
	}
	if got := BatchIntent(WithBatchIntent(context.Background(), "abc-1")); got != "abc-1" {
		t.Errorf("BatchIntent = %q, want abc-1", got)
	}
	if got := BatchIntent(context.Background()); got != "" {
		t.Errorf("BatchIntent of a bare context = %q, want none", got)
	}
}
