package engine

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/sptflow/sptflow/engine/store"
)

// TestRepairKeepsTheLock: a project whose store lost its outputs (a clone
// with the lock file and an empty store, a damaged store repaired) makes
// them again; with the same bytes, each is sealed as the manifest the lock
// pins (its time, its usage), rebuilt from the lock entry, so the lock
// file does not change.
func TestRepairKeepsTheLock(t *testing.T) {
	f := newFixture(t)
	f.with["src@a"]["served"] = "model-x" // usage and served models in the lock entry
	f.expectExecuted(RunConfig{}, all...)
	before := f.readLock()
	time.Sleep(1100 * time.Millisecond) // a new seal would record another second
	st, err := store.Open(filepath.Join(t.TempDir(), ".sptflow"))
	if err != nil {
		t.Fatal(err)
	}
	f.st = st
	f.expectExecuted(RunConfig{}, all...)
	if got := f.readLock(); got != before {
		t.Errorf("the lock changed when the same outputs were made again:\nbefore:\n%s\nafter:\n%s", before, got)
	}
	sts, err := f.engine().Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sts {
		if s.State != UpToDate {
			t.Errorf("%s: %s after the repair, want up-to-date", s.ID, s.State)
		}
	}
}

// TestRepairFromSharedKeepsItsManifest: a clone whose pull of an output
// fails (a damaged object in the shared store) makes it again; with the
// same bytes it seals the shared store's manifest, so its lock file agrees
// with the clone that sealed it first.
func TestRepairFromSharedKeepsItsManifest(t *testing.T) {
	sh := newShared(t)
	a := newFixture(t)
	if _, err := a.sharedEngine(sh).Run(context.Background(), RunConfig{}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond)
	b := newFixture(t)
	sh.fetchErr = errors.New("object damaged")
	if _, err := b.sharedEngine(sh).Run(context.Background(), RunConfig{}); err != nil {
		t.Fatal(err)
	}
	if got := b.step.executed(); len(got) != len(all) {
		t.Fatalf("the clone executed %v, want every partition (its pulls failed)", got)
	}
	if got, want := b.readLock(), a.readLock(); got != want {
		t.Errorf("the clone's lock differs from the first's:\nfirst:\n%s\nclone:\n%s", want, got)
	}
}
