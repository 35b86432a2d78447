package view

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// refSource is the published data (SPT_REFERENCE_DATA), or a skip.
func refSource(t testing.TB) Source {
	t.Helper()
	dir := os.Getenv("SPT_REFERENCE_DATA")
	if dir == "" {
		t.Skip("SPT_REFERENCE_DATA is not set: the test needs the published data (stage_3_tagged/)")
	}
	return Source{Name: "reference", Dir: filepath.Join(dir, "stage_3_tagged")}
}

// refIndex is the index of the published data, built once per test binary.
var refIndexDir string

func refIndex(t testing.TB) *Index {
	t.Helper()
	src := refSource(t)
	if refIndexDir == "" {
		d, err := os.MkdirTemp("", "sptflow-view-ref-")
		if err != nil {
			t.Fatal(err)
		}
		refIndexDir = d
	}
	ix, err := OpenIndex(context.Background(), src, refIndexDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	return ix
}

func TestReferenceIndex(t *testing.T) {
	ix := refIndex(t)
	t.Logf("built in %v; rows %v", ix.Built, ix.Counts)
	if got, want := ix.Counts[3], 29930; got != want {
		t.Errorf("stage-3 rows = %d, want %d", got, want)
	}
}
