package engine

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/sptflow/sptflow/engine/lockyaml"
)

// budgetStep is fakeStep, except that a partition with failing rows seals
// with them (a failure budget): it writes "<n> failed rows" and says so.
type budgetStep struct {
	*fakeStep
	failing map[PartitionID]int
}

func (b *budgetStep) Run(ctx context.Context, t *Task) error {
	n := b.failing[t.ID()]
	if n == 0 {
		return b.fakeStep.Run(ctx, t)
	}
	b.mu.Lock()
	b.calls[t.ID()]++
	b.mu.Unlock()
	t.SealWithFailedRows(n)
	return t.Out.WriteFile(t.Spec.Node+"/"+string(t.ID())+".txt", []byte(fmt.Sprintf("%d failed rows", n)))
}

func (f *fixture) budgetRun(b *budgetStep, want ...string) (*Summary, *Engine) {
	f.t.Helper()
	e, err := New(f.graph(), Options{Steps: map[string]Step{"fake": b}, Store: f.st,
		LockPath: filepath.Join(f.dir, "sptflow.lock"), LockCodec: lockyaml.Codec{}, Log: zerolog.Nop()})
	if err != nil {
		f.t.Fatalf("New: %v", err)
	}
	sum, err := e.Run(context.Background(), RunConfig{})
	if err != nil {
		f.t.Fatalf("Run: %v", err)
	}
	got := f.step.executed()
	sort.Strings(want)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		f.t.Errorf("executed:\ngot:  %v\nwant: %v", got, want)
	}
	return sum, e
}

func failedRowsByID(t *testing.T, e *Engine) map[PartitionID]int {
	t.Helper()
	sts, err := e.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[PartitionID]int{}
	for _, st := range sts {
		if st.State != UpToDate {
			t.Errorf("status %s: got %s, want up-to-date", st.ID, st.State)
		}
		if st.FailedRows > 0 {
			out[st.ID] = st.FailedRows
		}
	}
	return out
}

// A partition sealed with failed rows lets its dependents run, shows in
// status, and is executed again by every run under the same key; its
// dependents rerun only when its output changes, and once it seals
// without failures it is final.
func TestSealedWithFailedRowsIsRetried(t *testing.T) {
	f := newFixture(t)
	b := &budgetStep{fakeStep: f.step, failing: map[PartitionID]int{"src@a": 2}}

	sum, e := f.budgetRun(b, all...)
	if sum.Err() != nil || sum.Executed != 5 || sum.SealedWithFailures != 1 {
		t.Fatalf("first run: got %+v (err %v), want 5 executed, 1 sealed with failures", sum, sum.Err())
	}
	for _, r := range sum.Results {
		if want := map[PartitionID]int{"src@a": 2}[r.ID]; r.FailedRows != want {
			t.Errorf("%s: got %d failed rows, want %d", r.ID, r.FailedRows, want)
		}
	}
	if got := failedRowsByID(t, e); len(got) != 1 || got["src@a"] != 2 {
		t.Errorf("status failed rows: got %v, want src@a: 2", got)
	}
	var key NodeKey
	for _, r := range sum.Results {
		if r.ID == "src@a" {
			key = r.Key
		}
	}

	// Still failing with the same output: only src@a runs, same key.
	sum, _ = f.budgetRun(b, "src@a")
	if sum.SealedWithFailures != 1 || sum.Cached != 4 {
		t.Errorf("second run: got %+v, want src@a sealed with failures again, 4 cached", sum)
	}
	for _, r := range sum.Results {
		if r.ID == "src@a" && r.Key != key {
			t.Errorf("src@a's key changed on the retry: %s → %s", key.Short(), r.Key.Short())
		}
	}

	// The rows succeed: src@a's output changes, so its dependents rerun.
	delete(b.failing, "src@a")
	sum, e = f.budgetRun(b, "src@a", "mid@a", "sink")
	if sum.Err() != nil || sum.SealedWithFailures != 0 {
		t.Errorf("third run: got %+v, want no failures", sum)
	}
	if got := failedRowsByID(t, e); len(got) != 0 {
		t.Errorf("status after the retry: got failed rows %v, want none", got)
	}
	if !strings.Contains(f.read("sink/sink.txt"), "input a.txt: alpha") {
		t.Errorf("sink was not updated with src@a's complete output")
	}
	f.budgetRun(b)
}

// A partition another process re-sealed with failed rows while this run
// waited for its lease is taken as it is: its failed rows were just asked
// again, and asking them once more would pay twice.
func TestSealedWithFailedRowsDuringTheRunIsReused(t *testing.T) {
	f := newFixture(t)
	b := &budgetStep{fakeStep: f.step, failing: map[PartitionID]int{"src@a": 1}}
	sum, e := f.budgetRun(b, all...)
	var key NodeKey
	for _, r := range sum.Results {
		if r.ID == "src@a" {
			key = r.Key
		}
	}
	tests := []struct {
		name  string
		start time.Time
		want  bool
	}{
		{"sealed before the run", time.Now(), false},
		{"sealed during the run", time.Now().Add(-time.Hour), true},
	}
	for _, tt := range tests {
		r := &run{e: e, start: tt.start, outputs: map[PartitionID]sealed{}}
		res := &PartitionResult{ID: "src@a", Key: key}
		if got := r.reuse(context.Background(), e.nodes["src@a"], res); got != tt.want {
			t.Errorf("%s: reuse got %v, want %v", tt.name, got, tt.want)
		}
	}
}
