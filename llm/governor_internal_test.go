package llm

import (
	"testing"

	"golang.org/x/time/rate"
)

func TestPerMinutePacesBelowTheLimit(t *testing.T) {
	tests := []struct {
		n    int
		want rate.Limit
	}{
		{600, 9.8},
		{60, 0.98},
		{6000, 98},
	}
	for _, tt := range tests {
		if got := perMinute(tt.n); got < tt.want-1e-9 || got > tt.want+1e-9 {
			t.Errorf("perMinute(%d): got %v/s, want %v/s", tt.n, got, tt.want)
		}
	}
}
