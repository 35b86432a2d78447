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

// TestOverviewWaitingIsNotFailure: partitions waiting on provider batches
// (run --no-wait) and those not started because of them keep their state
// and reason, but are not listed among the run's failures.
func TestOverviewWaitingIsNotFailure(t *testing.T) {
	store := t.TempDir()
	dir := filepath.Join(store, "runs", "r1")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	journal := `{"event":"run_start","pipeline":"p"}
{"event":"waiting","partition":"generate@a","node":"generate","error":"stage-1 batch: 1 batches in flight"}
{"event":"not_started","partition":"infer@a","node":"infer","error":"not started: waiting for upstream batches (generate@a)"}
{"event":"failed","partition":"generate@b","node":"generate","error":"boom"}
{"event":"run_end","summary":{"executed":0,"cached":0,"failed":1,"skipped":0,"waiting":1,"not_started":1}}
`
	if err := os.WriteFile(filepath.Join(dir, "journal.jsonl"), []byte(journal), 0o644); err != nil {
		t.Fatal(err)
	}
	ov, err := ReadOverview(store, "r1", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(ov.Failures) != 1 || ov.Failures[0] != "generate@b: boom" {
		t.Errorf("failures: got %q; want only generate@b: boom", ov.Failures)
	}
	states := map[string]string{}
	for _, p := range ov.Partitions {
		states[p.ID] = p.State
	}
	if states["generate@a"] != "waiting" || states["infer@a"] != "not_started" {
		t.Errorf("states: got %v; want generate@a waiting, infer@a not_started", states)
	}
}
