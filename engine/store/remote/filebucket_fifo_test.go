//go:build unix

package remote

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sptflow/sptflow/internal/fifotest"
)

// TestFileBucketFIFO: a named pipe in a file:// bucket where an entry
// belongs is an error naming it, not a read that waits for a writer.
func TestFileBucketFIFO(t *testing.T) {
	dir := t.TempDir()
	b, err := openFileBucket(dir)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "objects", "ab", "cd")
	fifotest.Make(t, p)
	var rerr error
	fifotest.NoBlock(t, p, func() { _, rerr = b.read(context.Background(), "objects/ab/cd") })
	if rerr == nil || !strings.Contains(rerr.Error(), "not a regular file (a named pipe)") {
		t.Errorf("read got: %v\nwant: an error saying it is a named pipe", rerr)
	}
}
