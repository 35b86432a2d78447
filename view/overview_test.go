package view

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// writeRun writes a run's journal naming pipeline in its run_start event,
// after an estimate line as the engine writes it.
func writeRun(t *testing.T, storeDir, id, pipeline string) {
	t.Helper()
	dir := filepath.Join(storeDir, "runs", id)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	journal := `{"event":"estimate","estimates":[]}` + "\n" +
		`{"event":"run_start","pipeline":"` + pipeline + `"}` + "\n" +
		`{"event":"run_end"}` + "\n"
	if err := os.WriteFile(filepath.Join(dir, "journal.jsonl"), []byte(journal), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestOverviewRunsOfPipeline checks that the overview of a pipeline lists
// its runs only, and shows its latest run though another pipeline ran
// later.
func TestOverviewRunsOfPipeline(t *testing.T) {
	st := t.TempDir()
	writeRun(t, st, "20261204T100000.000000Z-1", "spt-fake")
	writeRun(t, st, "20261204T110000.000000Z-2", "spt-demo")
	writeRun(t, st, "20261204T120000.000000Z-3", "spt-fake")
	writeRun(t, st, "20261204T130000.000000Z-4", "spt-demo")
	for _, tc := range []struct {
		pipeline, run string
		runs          []string
	}{
		{"spt-fake", "20261204T120000.000000Z-3", []string{"20261204T100000.000000Z-1", "20261204T120000.000000Z-3"}},
		{"spt-demo", "20261204T130000.000000Z-4", []string{"20261204T110000.000000Z-2", "20261204T130000.000000Z-4"}},
		{"", "20261204T130000.000000Z-4", []string{"20261204T100000.000000Z-1", "20261204T110000.000000Z-2",
			"20261204T120000.000000Z-3", "20261204T130000.000000Z-4"}},
		{"spt-none", "", []string{}},
	} {
		ov, err := ReadOverview(st, "", tc.pipeline)
		if err != nil {
			t.Fatal(err)
		}
		if ov.Run != tc.run || !reflect.DeepEqual(ov.Runs, tc.runs) {
			t.Errorf("overview of %q: run %q, runs %q\nwant: run %q, runs %q", tc.pipeline, ov.Run, ov.Runs, tc.run, tc.runs)
		}
	}
}
