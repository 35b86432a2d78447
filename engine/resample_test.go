package engine

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/sptflow/sptflow/engine/lockyaml"
	"github.com/sptflow/sptflow/engine/store"
)

// sampleStep is fakeStep as a Sampler: its output holds its params, so
// with.replica shows in it.
type sampleStep struct{ *fakeStep }

func (sampleStep) Kind() string   { return "sample" }
func (sampleStep) SamplesModels() {}

var _ Sampler = sampleStep{}

// sampleEngine is the fixture's engine with the mid partitions of kind
// sample: src@a, src@b → mid@a, mid@b (samplers) → sink.
func (f *fixture) sampleEngine() *Engine {
	f.t.Helper()
	g := f.graph()
	for _, p := range g.Partitions {
		if p.Node == "mid" {
			p.Kind = "sample"
		}
	}
	e, err := New(g, Options{Steps: map[string]Step{"fake": f.step, "sample": sampleStep{f.step}}, Store: f.st,
		LockPath: filepath.Join(f.dir, "sptflow.lock"), LockCodec: lockyaml.Codec{}, Log: zerolog.Nop()})
	if err != nil {
		f.t.Fatalf("New: %v", err)
	}
	return e
}

// runSample runs cfg on a new sample engine and checks what executed.
func (f *fixture) runSample(cfg RunConfig, want ...string) *Summary {
	f.t.Helper()
	sum, err := f.sampleEngine().Run(context.Background(), cfg)
	if err != nil {
		f.t.Fatalf("Run: %v", err)
	}
	if err := sum.Err(); err != nil {
		f.t.Fatalf("Run: %v", err)
	}
	got := f.step.executed()
	slices.Sort(want)
	if !slices.Equal(got, want) {
		f.t.Errorf("executed:\ngot:  %v\nwant: %v", got, want)
	}
	return sum
}

func (f *fixture) lockReplicas() map[string]int {
	f.t.Helper()
	lf, err := store.ReadLockFile(filepath.Join(f.dir, "sptflow.lock"), lockyaml.Codec{})
	if err != nil {
		f.t.Fatal(err)
	}
	return lf.Replicas["test"]
}

func replica(n int) *int { return &n }

// TestResampleOneTarget: --resample 1 mid@a re-draws mid@a alone on the
// src@a output it has, runs sink after it, and records the replica, so a
// later plain run keeps it; --resample 0 brings back the original output
// (from the store: nothing executes) and removes the record.
func TestResampleOneTarget(t *testing.T) {
	f := newFixture(t)
	f.runSample(RunConfig{}, all...)
	orig, origLock := f.read("mid/mid@a.txt"), f.readLock()

	sum := f.runSample(RunConfig{Selection: Selection{Targets: []string{"mid@a"}}, Resample: replica(1)}, "mid@a", "sink")
	if sum.Cached != 1 { // src@a; src@b and mid@b are not part of the run
		t.Errorf("cached: got %d, want 1 (src@a)", sum.Cached)
	}
	resampled := f.read("mid/mid@a.txt")
	if resampled == orig || !strings.Contains(resampled, "replica:1") {
		t.Fatalf("mid@a after --resample 1:\n%s", resampled)
	}
	if !strings.Contains(f.read("sink/sink.txt"), "replica:1") {
		t.Errorf("sink did not take the resampled mid@a:\n%s", f.read("sink/sink.txt"))
	}
	if got := f.lockReplicas(); len(got) != 1 || got["mid@a"] != 1 {
		t.Errorf("lock replicas: got %v, want mid@a: 1", got)
	}

	f.runSample(RunConfig{})
	if got := f.read("mid/mid@a.txt"); got != resampled {
		t.Errorf("a plain run changed the resampled output:\ngot:  %q\nwant: %q", got, resampled)
	}
	if r, ok := f.sampleEngine().Replica("mid@a"); !ok || r.N != 1 || r.Source != sourceLock {
		t.Errorf("Replica(mid@a): got %+v %t, want 1 from the lock file", r, ok)
	}
	if r, ok := f.sampleEngine().Replica("mid@b"); ok {
		t.Errorf("Replica(mid@b): got %+v, want none", r)
	}

	f.runSample(RunConfig{Selection: Selection{Targets: []string{"mid@a"}}, Resample: replica(0)})
	if got := f.read("mid/mid@a.txt"); got != orig {
		t.Errorf("after --resample 0:\ngot:  %q\nwant: %q", got, orig)
	}
	if got := f.readLock(); got != origLock {
		t.Errorf("lock file after --resample 0:\ngot:\n%s\nwant:\n%s", got, origLock)
	}
}

func (f *fixture) readLock() string {
	f.t.Helper()
	b, err := os.ReadFile(filepath.Join(f.dir, "sptflow.lock"))
	if err != nil {
		f.t.Fatal(err)
	}
	return string(b)
}

// TestResampleOnly: with --only the resampled target and its downstream run
// on the upstream as it is, which must be up to date.
func TestResampleOnly(t *testing.T) {
	f := newFixture(t)
	f.runSample(RunConfig{}, all...)
	only := RunConfig{Selection: Selection{Targets: []string{"mid@b"}}, Only: true, Resample: replica(3)}
	f.runSample(only, "mid@b", "sink")

	f.write("in/b.txt", "changed")
	only.Resample = replica(4)
	_, err := f.sampleEngine().Run(context.Background(), only)
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "upstream src@b is stale") {
		t.Errorf("--only on a stale upstream: got %v, want it refused", err)
	}
}

// TestResampleLeavesOutUnreadyDownstream: a downstream partition that needs
// something this run does not produce and that is not up to date (mid@b,
// never produced) is not run, rather than producing that first.
func TestResampleLeavesOutUnreadyDownstream(t *testing.T) {
	f := newFixture(t)
	f.runSample(RunConfig{Selection: Selection{Targets: []string{"mid@a"}}}, "src@a", "mid@a")
	sum := f.runSample(RunConfig{Selection: Selection{Targets: []string{"mid@a"}}, Resample: replica(1)}, "mid@a")
	for _, r := range sum.Results {
		if r.ID == "sink" {
			t.Errorf("sink is part of the run: %+v", r)
		}
	}
}

// TestResamplePlan: which partitions a --resample run re-draws and runs.
func TestResamplePlan(t *testing.T) {
	tests := []struct {
		name        string
		cfg         RunConfig
		wantTargets []PartitionID
		wantIDs     []PartitionID
		wantErr     string
	}{
		{"no targets: every sampler", RunConfig{Resample: replica(1)},
			[]PartitionID{"mid@a", "mid@b"}, []PartitionID{"src@a", "src@b", "mid@a", "mid@b", "sink"}, ""},
		{"topic", RunConfig{Selection: Selection{Topic: "b"}, Resample: replica(1)},
			[]PartitionID{"mid@b"}, []PartitionID{"src@b", "mid@b", "sink"}, ""},
		{"node target", RunConfig{Selection: Selection{Targets: []string{"mid"}}, Resample: replica(2), Only: true},
			[]PartitionID{"mid@a", "mid@b"}, []PartitionID{"mid@a", "mid@b", "sink"}, ""},
		{"named target that samples nothing", RunConfig{Selection: Selection{Targets: []string{"mid@a", "src@b"}}, Resample: replica(1)},
			nil, nil, "src@b is of kind fake, which draws no model samples (kinds that do: sample)"},
		{"nothing samples", RunConfig{Selection: Selection{Topic: "a", Targets: []string{"src"}}, Resample: replica(1)},
			nil, nil, "src@a is of kind fake"},
		{"negative", RunConfig{Resample: replica(-1)}, nil, nil, "--resample -1: want 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.runSample(RunConfig{}, all...)
			ids, targets, err := f.sampleEngine().Planned(tt.cfg)
			if tt.wantErr != "" {
				if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got error %v, want ErrInvalid with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := sortedIDs(targets); !slices.Equal(got, tt.wantTargets) {
				t.Errorf("targets: got %v, want %v", got, tt.wantTargets)
			}
			if !slices.Equal(ids, tt.wantIDs) {
				t.Errorf("planned: got %v, want %v", ids, tt.wantIDs)
			}
		})
	}
}

// TestResampleAgainstTheFile: with.replica in the pipeline file is the
// default; --resample records only a replica that differs from it, and
// status shows where a partition's replica comes from.
func TestResampleAgainstTheFile(t *testing.T) {
	f := newFixture(t)
	f.with["mid@a"] = map[string]any{"replica": 2}
	f.runSample(RunConfig{}, all...)
	fromFile := f.read("mid/mid@a.txt")
	if r, ok := f.sampleEngine().Replica("mid@a"); !ok || r.N != 2 || r.Source != "with.replica at test.yaml:1:1" {
		t.Errorf("Replica(mid@a): got %+v %t, want 2 from the file", r, ok)
	}
	target := Selection{Targets: []string{"mid@a"}}
	f.runSample(RunConfig{Selection: target, Resample: replica(0)}, "mid@a", "sink")
	if got := f.lockReplicas(); len(got) != 1 || got["mid@a"] != 0 {
		t.Errorf("lock replicas: got %v, want mid@a: 0", got)
	}
	if r, ok := f.sampleEngine().Replica("mid@a"); !ok || r.N != 0 || r.Source != sourceLock {
		t.Errorf("Replica(mid@a): got %+v %t, want 0 from the lock file", r, ok)
	}
	f.runSample(RunConfig{Selection: target, Resample: replica(2)})
	if got := f.lockReplicas(); len(got) != 0 {
		t.Errorf("lock replicas: got %v, want none (the file's replica)", got)
	}
	if got := f.read("mid/mid@a.txt"); got != fromFile {
		t.Errorf("back to the file's replica:\ngot:  %q\nwant: %q", got, fromFile)
	}
}
