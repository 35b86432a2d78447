package view

import (
	"os"
	"path/filepath"
	"testing"
)

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
