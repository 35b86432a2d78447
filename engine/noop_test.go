package engine

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
)

// statusAndRun computes the statuses and runs with them as
// RunConfig.Verified on the same engine, as `sptflow run` does; between
// the two, between runs change (may be nil). It returns the statuses, the
// summary and the partitions executed.
func (f *fixture) statusAndRun(cfg RunConfig, between func()) ([]PartitionStatus, *Summary, []string) {
	f.t.Helper()
	e := f.engine()
	sts, err := e.Status(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	if between != nil {
		between()
	}
	cfg.Verified = sts
	sum, err := e.Run(context.Background(), cfg)
	if err != nil {
		f.t.Fatalf("Run: %v", err)
	}
	return sts, sum, f.step.executed()
}

// TestVerifiedNoOpSameAsFullCheck: a planned no-op run given the statuses
// reuses every partition with the outputs Status found, as the run that
// checks everything again does, and leaves the lock file as it was.
func TestVerifiedNoOpSameAsFullCheck(t *testing.T) {
	f := newFixture(t)
	f.expectExecuted(RunConfig{}, all...)
	lock, err := os.ReadFile(filepath.Join(f.dir, "sptflow.lock"))
	if err != nil {
		t.Fatal(err)
	}
	full := f.expectExecuted(RunConfig{})
	sts, fast, executed := f.statusAndRun(RunConfig{}, nil)
	if len(executed) > 0 {
		t.Errorf("executed %v, want nothing", executed)
	}
	if fast.Cached != len(all) || fast.Err() != nil {
		t.Errorf("summary: %d cached, err %v; want %d cached", fast.Cached, fast.Err(), len(all))
	}
	outputs := func(s *Summary) map[PartitionID]string {
		m := map[PartitionID]string{}
		for _, r := range s.Results {
			m[r.ID] = string(r.Outcome) + " " + r.Key.String() + " " + r.Output.String()
		}
		return m
	}
	if got, want := outputs(fast), outputs(full); !reflect.DeepEqual(got, want) {
		t.Errorf("results:\ngot:  %v\nwant: %v", got, want)
	}
	for _, st := range sts {
		if got := outputs(fast)[st.ID]; got != "cached "+st.Key.String()+" "+st.Output.String() {
			t.Errorf("%s: %s, want the status's key and output", st.ID, got)
		}
	}
	after, err := os.ReadFile(filepath.Join(f.dir, "sptflow.lock"))
	if err != nil || string(after) != string(lock) {
		t.Errorf("lock file changed by a no-op run (err %v)", err)
	}
}

// TestVerifiedFallsBackToFullCheck: statuses that do not make the run a
// no-op are ignored, and the run checks and does everything itself.
func TestVerifiedFallsBackToFullCheck(t *testing.T) {
	lockPath := func(f *fixture) string { return filepath.Join(f.dir, "sptflow.lock") }
	cases := []struct {
		name   string
		before func(f *fixture) // before the status
		cfg    RunConfig
		want   []string // executed
		check  func(f *fixture)
	}{{
		name:   "materialized file edited",
		before: func(f *fixture) { f.write("data/mid/mid@a.txt", "edited by hand") },
		check:  func(f *fixture) { f.restored("mid/mid@a.txt") },
	}, {
		name:   "materialized file deleted",
		before: func(f *fixture) { f.remove("data/sink/sink.txt") },
		check:  func(f *fixture) { f.restored("sink/sink.txt") },
	}, {
		name:   "input edited",
		before: func(f *fixture) { f.write("in/a.txt", "ALPHA") },
		want:   []string{"mid@a", "sink", "src@a"},
	}, {
		name:   "parameters changed",
		before: func(f *fixture) { f.with["sink"] = map[string]any{"n": 2} },
		want:   []string{"sink"},
	}, {
		name:   "store object of an output damaged",
		before: func(f *fixture) { f.damageObject("sink") },
		want:   []string{"sink"},
	}, {
		name:   "lock file deleted",
		before: func(f *fixture) { f.remove("sptflow.lock") },
		check: func(f *fixture) {
			if _, err := os.Stat(lockPath(f)); err != nil {
				f.t.Errorf("the run did not write the lock file again: %v", err)
			}
		},
	}, {
		name: "forced",
		cfg:  RunConfig{Force: true, Selection: Selection{Targets: []string{"sink"}}},
		want: []string{"sink"},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			f.expectExecuted(RunConfig{}, all...)
			if c.before != nil {
				c.before(f)
			}
			_, sum, executed := f.statusAndRun(c.cfg, nil)
			if sum.Err() != nil {
				t.Fatalf("run: %v", sum.Err())
			}
			sort.Strings(executed)
			want := append([]string(nil), c.want...)
			sort.Strings(want)
			if strings.Join(executed, " ") != strings.Join(want, " ") {
				t.Errorf("executed %v, want %v", executed, want)
			}
			if c.check != nil {
				c.check(f)
			}
			f.expectExecuted(RunConfig{}) // and everything is in place after
			if sts, err := f.engine().Status(context.Background()); err != nil {
				t.Fatal(err)
			} else {
				for _, st := range sts {
					if st.State != UpToDate || len(st.Disk) > 0 {
						t.Errorf("after: %s %s %v", st.ID, st.State, st.Disk)
					}
				}
			}
		})
	}
}

// TestVerifiedOnlyForItsOwnPlan: statuses lacking a planned partition are
// ignored (the run checks everything itself).
func TestVerifiedOnlyForItsOwnPlan(t *testing.T) {
	f := newFixture(t)
	f.expectExecuted(RunConfig{}, all...)
	e := f.engine()
	sts, err := e.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	f.remove("data/sink/sink.txt")
	r := &run{e: e, cfg: RunConfig{Verified: sts[:len(sts)-1]}}
	if got := r.verifiedNoOp(e.order); got != nil {
		t.Errorf("verifiedNoOp with a partition missing = %v, want nil", got)
	}
	if _, err := e.Run(context.Background(), RunConfig{Verified: sts[:len(sts)-1]}); err != nil {
		t.Fatal(err)
	}
	f.restored("sink/sink.txt")
}

func (f *fixture) remove(rel string) {
	f.t.Helper()
	if err := os.Remove(filepath.Join(f.dir, rel)); err != nil {
		f.t.Fatal(err)
	}
}

// restored checks that the materialized file rel holds what the store
// sealed for it again.
func (f *fixture) restored(rel string) {
	f.t.Helper()
	got := f.read(rel)
	if strings.Contains(got, "edited by hand") || got == "" {
		f.t.Errorf("%s not restored: %q", rel, got)
	}
}

// damageObject flips a byte of the first stored file of id's output.
func (f *fixture) damageObject(id PartitionID) {
	f.t.Helper()
	sts, err := f.engine().Status(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	for _, st := range sts {
		if st.ID != id {
			continue
		}
		d := st.manifest.Files[0].Digest.String()
		p := filepath.Join(f.dir, ".sptflow", "objects", d[:2], d)
		b, err := os.ReadFile(p)
		if err != nil {
			f.t.Fatal(err)
		}
		b[0] ^= 1
		os.Chmod(p, 0o644)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			f.t.Fatal(err)
		}
		return
	}
	f.t.Fatalf("no partition %s", id)
}

// TestVerifiedKeyChecked: a partition whose key at run time is not the
// one its status was computed for is checked and executed as usual.
func TestVerifiedKeyChecked(t *testing.T) {
	f := newFixture(t)
	f.expectExecuted(RunConfig{}, all...)
	sts, err := f.engine().Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	f.with["sink"] = map[string]any{"n": 3}
	f.expectExecuted(RunConfig{Verified: sts}, "sink")
	f.expectExecuted(RunConfig{})
}

// TestVerifiedTrustsTheStatus: what the run takes from the statuses is
// what Status found: a materialized file deleted after the status and
// before the run is not restored by that run (as one deleted just after
// the run's own check would not be), and the next run restores it.
func TestVerifiedTrustsTheStatus(t *testing.T) {
	f := newFixture(t)
	f.expectExecuted(RunConfig{}, all...)
	_, sum, executed := f.statusAndRun(RunConfig{}, func() { f.remove("data/sink/sink.txt") })
	if len(executed) > 0 || sum.Cached != len(all) {
		t.Errorf("executed %v, %d cached; want nothing executed, %d cached", executed, sum.Cached, len(all))
	}
	if _, err := os.Stat(filepath.Join(f.dir, "data", "sink", "sink.txt")); err == nil {
		t.Errorf("sink.txt restored: the run checked the disk again")
	}
	f.expectExecuted(RunConfig{})
	f.restored("sink/sink.txt")
}

// TestWalkInlineAsWalk: walkInline visits what walk visits and gives the
// same outcomes, a failure skipping what needs it (directly or not), each
// partition after its needs.
func TestWalkInlineAsWalk(t *testing.T) {
	ids := []PartitionID{"a", "b", "c", "d", "e", "f"}
	needs := map[PartitionID][]PartitionID{"c": {"a"}, "d": {"b", "c"}, "e": {"d"}, "f": {"b"}}
	for _, failing := range []PartitionID{"", "a", "b", "d", "f"} {
		visit := func(visited *[]PartitionID, done map[PartitionID]bool) func(context.Context, PartitionID) error {
			return func(_ context.Context, id PartitionID) error {
				for _, n := range needs[id] {
					if !done[n] {
						t.Errorf("failing %q: %s visited before its need %s", failing, id, n)
					}
				}
				*visited = append(*visited, id)
				done[id] = true
				if id == failing {
					return os.ErrInvalid
				}
				return nil
			}
		}
		var inline, concurrent []PartitionID
		got := walkInline(context.Background(), ids, needs, visit(&inline, map[PartitionID]bool{}))
		var mu sync.Mutex
		doneC := map[PartitionID]bool{}
		v := visit(&concurrent, doneC)
		want := walk(context.Background(), ids, needs, func(ctx context.Context, id PartitionID) error {
			mu.Lock()
			defer mu.Unlock()
			return v(ctx, id)
		})
		if !reflect.DeepEqual(got, want) {
			t.Errorf("failing %q: outcomes %v, want %v (walk's)", failing, got, want)
		}
		slices.Sort(inline)
		slices.Sort(concurrent)
		if !slices.Equal(inline, concurrent) {
			t.Errorf("failing %q: visited %v, want %v", failing, inline, concurrent)
		}
	}
}

// TestVerifiedNotWithSharedStore: with a shared store, a no-op run still
// goes through reuse, which publishes the outputs the shared store lacks.
func TestVerifiedNotWithSharedStore(t *testing.T) {
	f := newFixture(t)
	f.expectExecuted(RunConfig{}, all...) // sealed locally, never published
	sh := newShared(t)
	e := f.sharedEngine(sh)
	sts, err := e.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	sum, err := e.Run(context.Background(), RunConfig{Verified: sts})
	if err != nil || sum.Cached != len(all) {
		t.Fatalf("run: %+v, %v; want %d cached", sum, err, len(all))
	}
	if len(sh.published) != len(all) {
		t.Errorf("published %v, want the %d outputs the shared store lacked", sh.published, len(all))
	}
}
