package engine

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// TestStatusChecksMaterializedFiles: an up-to-date partition whose files on
// disk were edited or deleted reports them; a run restores them.
func TestStatusChecksMaterializedFiles(t *testing.T) {
	f := newFixture(t)
	f.expectExecuted(RunConfig{}, all...)
	f.write("data/mid/mid@a.txt", "edited by hand")
	if err := os.Remove(filepath.Join(f.dir, "data", "sink", "sink.txt")); err != nil {
		t.Fatal(err)
	}
	disk := func() map[PartitionID][]FileCheck {
		t.Helper()
		sts, err := f.engine().Status(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		got := map[PartitionID][]FileCheck{}
		for _, st := range sts {
			if st.State != UpToDate {
				t.Errorf("%s: state %s, want up-to-date (the store has its output)", st.ID, st.State)
			}
			if len(st.Disk) > 0 {
				got[st.ID] = st.Disk
			}
		}
		return got
	}
	want := map[PartitionID][]FileCheck{
		"mid@a": {{Path: "mid/mid@a.txt", State: FileModified}},
		"sink":  {{Path: "sink/sink.txt", State: FileMissing}},
	}
	if got := disk(); !reflect.DeepEqual(got, want) {
		t.Errorf("disk got: %+v want: %+v", got, want)
	}
	f.expectExecuted(RunConfig{})
	if got := disk(); len(got) != 0 {
		t.Errorf("after a run, disk got: %+v want: nothing", got)
	}
}
