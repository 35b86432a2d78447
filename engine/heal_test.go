package engine

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/rs/zerolog"

	"github.com/sptflow/sptflow/engine/lockyaml"
)

// corruptingStep is the fake step, except that the first time target
// runs it damages the stored files of its upstream outputs (as bit rot
// the stat cache cannot see would) before reading them.
type corruptingStep struct {
	*fakeStep
	objects string // the store's objects directory
	target  PartitionID
	once    sync.Once
}

func (c *corruptingStep) Run(ctx context.Context, t *Task) error {
	if t.ID() == c.target {
		c.once.Do(func() {
			for _, u := range t.Upstream {
				for _, f := range u.Files {
					d := f.Digest.String()
					p := filepath.Join(c.objects, d[:2], d)
					b, err := os.ReadFile(p)
					if err != nil || len(b) == 0 {
						panic(err)
					}
					b[0] ^= 1
					if err := os.WriteFile(p, b, 0o644); err != nil {
						panic(err)
					}
				}
			}
		})
	}
	return c.fakeStep.Run(ctx, t)
}

// TestDamagedUpstreamHealedInTheSameRun: a step that finds its reused
// upstream's stored files damaged fails, the engine re-executes the
// upstream partitions (which stores the files again) and runs the step
// once more: the run succeeds with the right output.
func TestDamagedUpstreamHealedInTheSameRun(t *testing.T) {
	f := newFixture(t)
	f.expectExecuted(RunConfig{}, all...)
	f.with["sink"] = map[string]any{"n": 2}
	step := &corruptingStep{fakeStep: f.step, objects: filepath.Join(f.dir, ".sptflow", "objects"), target: "sink"}
	e, err := New(f.graph(), Options{Steps: map[string]Step{"fake": step}, Store: f.st,
		LockPath: filepath.Join(f.dir, "sptflow.lock"), LockCodec: lockyaml.Codec{}, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := e.Run(context.Background(), RunConfig{})
	if err != nil || sum.Err() != nil {
		t.Fatalf("run: %v, %v", err, sum.Err())
	}
	got := f.step.executed()
	want := []string{"mid@a", "mid@b", "sink", "sink"}
	if !slices.Equal(got, want) {
		t.Errorf("executed %v, want %v (sink, its damaged upstreams, sink again)", got, want)
	}
	out := f.read("sink/sink.txt")
	fresh := newFixture(t)
	fresh.with["sink"] = map[string]any{"n": 2}
	fresh.run(RunConfig{})
	if want := fresh.read("sink/sink.txt"); out != want {
		t.Errorf("sink output:\ngot:  %q\nwant: %q", out, want)
	}
	f.expectExecuted(RunConfig{}) // and the store is whole again
}
