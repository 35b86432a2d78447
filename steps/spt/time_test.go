package spt

import (
	"testing"
	"time"
)

func TestISOFormat(t *testing.T) {
	cest := time.FixedZone("CEST", 2*3600)
	tests := []struct {
		in   time.Time
		want string
	}{
		{time.Date(2025, 8, 22, 14, 5, 37, 0, time.UTC), "2025-08-22T14:05:37"},
		{time.Date(2025, 8, 22, 14, 5, 37, 999, time.UTC), "2025-08-22T14:05:37"}, // below a microsecond
		{time.Date(2025, 8, 22, 14, 5, 37, 120_000, time.UTC), "2025-08-22T14:05:37.000120"},
		{time.Date(2025, 8, 22, 14, 5, 37, 500_000_000, time.UTC), "2025-08-22T14:05:37.500000"},
		{time.Date(2025, 8, 22, 16, 5, 37, 0, cest), "2025-08-22T14:05:37"},
	}
	for _, tt := range tests {
		if got := ISOFormat(tt.in); got != tt.want {
			t.Errorf("ISOFormat(%v): got %s, want %s", tt.in, got, tt.want)
		}
	}
}
