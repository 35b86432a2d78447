package engine

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

// TestNewNeedsLockCodec: a lock file without a codec to write it is a
// wiring error New reports, not a panic at the first sealed partition.
func TestNewNeedsLockCodec(t *testing.T) {
	f := newFixture(t)
	lock := filepath.Join(f.dir, "sptflow.lock")
	_, err := New(f.graph(), Options{Steps: map[string]Step{"fake": f.step}, Store: f.st, LockPath: lock, Log: zerolog.Nop()})
	if err == nil || !strings.Contains(err.Error(), "LockCodec") || !strings.Contains(err.Error(), lock) {
		t.Fatalf("got %v, want an error naming the lock file and LockCodec", err)
	}
}
