package engine

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/sptflow/sptflow/engine/lockyaml"
	"github.com/sptflow/sptflow/engine/store"
)

// storeShared is a SharedStore backed by another local store (what
// engine/store/remote does over object storage), for the engine's tests:
// it copies outputs in and out and counts leases.
type storeShared struct {
	t      *testing.T
	shared *store.Store
	local  *store.Store // the store of the engine using it

	mu        sync.Mutex
	leases    int
	fetchErr  error
	lost      error // when set, every lease is lost as soon as it is taken, with this cause
	published []string
	onLease   func(name string) // when set, called as a lease is taken (before it is held)
}

func (s *storeShared) Fetch(ctx context.Context, key [32]byte) (bool, error) {
	if s.fetchErr != nil {
		return false, s.fetchErr
	}
	return copyOutput(s.shared, s.local, key), nil
}

func (s *storeShared) Peek(ctx context.Context, key [32]byte) (*store.Manifest, Digest, bool, error) {
	m, d, err := s.shared.GetManifest(key)
	return m, d, err == nil, nil
}

func (s *storeShared) Publish(ctx context.Context, key [32]byte, d Digest) error {
	s.mu.Lock()
	s.published = append(s.published, NodeKey(key).Short())
	s.mu.Unlock()
	if !copyOutput(s.local, s.shared, key) {
		return errors.New("nothing to publish")
	}
	return nil
}

func (s *storeShared) Lease(ctx context.Context, name string, waiting func(string)) (context.Context, func(), error) {
	s.mu.Lock()
	s.leases++
	s.mu.Unlock()
	if s.onLease != nil {
		s.onLease(name)
	}
	if s.lost != nil {
		lctx, cancel := context.WithCancelCause(ctx)
		cancel(s.lost)
		return lctx, func() {}, nil
	}
	return ctx, func() {}, nil
}

// copyOutput copies the output sealed for key from one store to another.
func copyOutput(from, to *store.Store, key [32]byte) bool {
	m, _, err := from.GetManifest(key)
	if err != nil {
		return false
	}
	for _, f := range m.Files {
		data, err := from.ReadObject(f.Digest)
		if err != nil {
			return false
		}
		if _, err := to.PutObject(data); err != nil {
			return false
		}
	}
	_, err = to.PutManifest(key, m)
	return err == nil
}

// sharedEngine is f's engine with sh behind its store.
func (f *fixture) sharedEngine(sh *storeShared) *Engine {
	f.t.Helper()
	sh.local = f.st
	e, err := New(f.graph(), Options{Steps: map[string]Step{"fake": f.step}, Store: f.st, Shared: sh,
		LockPath: filepath.Join(f.dir, "sptflow.lock"), LockCodec: lockyaml.Codec{}, Log: zerolog.Nop()})
	if err != nil {
		f.t.Fatalf("New: %v", err)
	}
	return e
}

func newShared(t *testing.T) *storeShared {
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return &storeShared{t: t, shared: st}
}

// TestSharedStoreSecondCopyExecutesNothing: what one project sealed and
// pushed is, for a second project at another path with its own local
// store, up to date in status (Remote) and pulled by run, which executes
// nothing and writes the same lock entries.
func TestSharedStoreSecondCopyExecutesNothing(t *testing.T) {
	sh := newShared(t)
	a := newFixture(t)
	sum, err := a.sharedEngine(sh).Run(context.Background(), RunConfig{})
	if err != nil || sum.Executed != 5 {
		t.Fatalf("first copy: got %+v, %v; want 5 executed", sum, err)
	}
	if sh.leases != 5 || len(sh.published) != 5 {
		t.Errorf("first copy: got %d shared leases and %d outputs published, want 5 and 5", sh.leases, len(sh.published))
	}

	b := newFixture(t)
	sts, err := b.sharedEngine(sh).Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range sts {
		if st.State != UpToDate || !st.Remote {
			t.Errorf("status of %s in the second copy: got %s (remote %v), want up-to-date in the shared store", st.ID, st.State, st.Remote)
		}
	}
	if sts, _ := b.engine().Status(context.Background()); sts[0].State != Missing {
		t.Errorf("status without the shared store: got %s, want missing", sts[0].State)
	}
	sum, err = b.sharedEngine(sh).Run(context.Background(), RunConfig{})
	if err != nil || sum.Executed != 0 || sum.Cached != 5 {
		t.Fatalf("second copy: got %+v, %v; want 5 cached", sum, err)
	}
	if got := b.step.executed(); len(got) != 0 {
		t.Errorf("second copy executed %v", got)
	}
	if got, want := b.read("sink/sink.txt"), a.read("sink/sink.txt"); got != want {
		t.Errorf("second copy's sink: got %q, want %q", got, want)
	}
	for _, id := range all {
		if a.lastKey(PartitionID(id)) != b.lastKey(PartitionID(id)) {
			t.Errorf("lock entry of %s differs between the copies", id)
		}
	}
}

// TestSharedStoreFailureIsAMiss: a shared store that fails to fetch is a
// miss (the partition executes here); an output sealed locally that the
// shared store lacks is published when a run reuses it.
func TestSharedStoreFailureIsAMiss(t *testing.T) {
	a := newFixture(t)
	a.expectExecuted(RunConfig{}, all...) // no shared store yet
	sh := newShared(t)
	sh.fetchErr = errors.New("unreachable")
	a.sharedEngine(sh).Run(context.Background(), RunConfig{})
	if got := a.step.executed(); len(got) != 0 {
		t.Errorf("reusing local outputs executed %v", got)
	}
	if len(sh.published) != 5 {
		t.Errorf("published %v, want the 5 local outputs the shared store lacked", sh.published)
	}
	b := newFixture(t)
	b.sharedEngine(sh).Run(context.Background(), RunConfig{})
	if got := b.step.executed(); strings.Join(got, " ") != strings.Join(all, " ") {
		t.Errorf("with fetches failing: executed %v, want every partition", got)
	}
}

// TestSharedLeaseLostStopsThePartition: work under a shared lease that is
// lost stops, fails with the loss, and seals and publishes nothing.
func TestSharedLeaseLostStopsThePartition(t *testing.T) {
	sh := newShared(t)
	sh.lost = errors.New("remote lease lost")
	a := newFixture(t)
	a.step.block["src@a"] = make(chan struct{})
	sum, err := a.sharedEngine(sh).Run(context.Background(), RunConfig{Selection: Selection{Targets: []string{"src@a"}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Results) != 1 || sum.Results[0].Outcome != Failed || !errors.Is(sum.Results[0].Err, sh.lost) {
		t.Fatalf("got %+v, want src@a failed with the lost lease", sum.Results)
	}
	if len(sh.published) != 0 {
		t.Errorf("published %v after losing the lease", sh.published)
	}
	if _, _, err := a.st.GetManifest(sum.Results[0].Key); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("sealed locally after losing the lease: %v", err)
	}
}

// TestSharedStoreKeepsFailedRowsLocal: an output sealed with failed rows
// is not published (the complete one, once its rows are asked again, is).
func TestSharedStoreKeepsFailedRowsLocal(t *testing.T) {
	sh := newShared(t)
	f := newFixture(t)
	b := &budgetStep{fakeStep: f.step, failing: map[PartitionID]int{"src@a": 2}}
	e, err := New(f.graph(), Options{Steps: map[string]Step{"fake": b}, Store: f.st, Shared: sh,
		LockPath: filepath.Join(f.dir, "sptflow.lock"), LockCodec: lockyaml.Codec{}, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	sh.local = f.st
	sum, err := e.Run(context.Background(), RunConfig{})
	if err != nil || sum.SealedWithFailures != 1 {
		t.Fatalf("got %+v, %v; want one partition sealed with failed rows", sum, err)
	}
	for _, r := range sum.Results {
		_, _, published, _ := sh.Peek(context.Background(), r.Key)
		if want := r.ID != "src@a"; published != want {
			t.Errorf("%s published: got %v, want %v", r.ID, published, want)
		}
	}
}

// msgLog records the messages of the log lines written.
type msgLog struct {
	mu   sync.Mutex
	msgs []string
	on   func(msg string)
}

func (h *msgLog) Run(_ *zerolog.Event, _ zerolog.Level, msg string) {
	h.mu.Lock()
	h.msgs = append(h.msgs, msg)
	h.mu.Unlock()
	if h.on != nil {
		h.on(msg)
	}
}

func (h *msgLog) has(sub string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.ContainsFunc(h.msgs, func(m string) bool { return strings.Contains(m, sub) })
}

// otherMachine runs the whole fixture graph in a project of its own and
// returns its store and every partition's key: what another machine
// pushes to the shared store.
func otherMachine(t *testing.T) (*store.Store, map[PartitionID]NodeKey) {
	b := newFixture(t)
	b.expectExecuted(RunConfig{}, all...)
	sts, err := b.engine().Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	keys := map[PartitionID]NodeKey{}
	for _, st := range sts {
		keys[st.ID] = st.Key
	}
	return b.st, keys
}

// sharedShardEngine is an engine of shard project f over shared store sh, logging to h.
func (f *fixture) sharedShardEngine(sh *storeShared, h *msgLog) *Engine {
	f.t.Helper()
	sh.local = f.st
	e, err := New(f.graph(), Options{Steps: map[string]Step{"fake": f.step}, Store: f.st, Shared: sh,
		LockPath: filepath.Join(f.dir, "sptflow.lock"), LockCodec: lockyaml.Codec{}, Log: zerolog.New(io.Discard).Hook(h)})
	if err != nil {
		f.t.Fatal(err)
	}
	return e
}

// TestShardPulledOutputTakesNoSharedLease: a partition of another shard
// whose output this shard pulled while waiting for it is reused without
// taking its shared lease (which would wait on any machine holding it, a
// dead one for the lease's whole TTL); shared leases are taken for the
// partitions the shard executes only.
func TestShardPulledOutputTakesNoSharedLease(t *testing.T) {
	other, keys := otherMachine(t)
	sh := newShared(t)
	a := newFixture(t)
	owners := Assign(a.graph(), 2)
	var once sync.Once
	h := &msgLog{on: func(msg string) {
		if msg != "waiting for the shard that owns this partition" {
			return
		}
		once.Do(func() { // shard 2 (another machine) pushes its outputs
			for id, s := range owners {
				if s == 2 {
					copyOutput(other, sh.shared, keys[id])
				}
			}
		})
	}}
	sum, err := a.sharedShardEngine(sh, h).Run(context.Background(), RunConfig{Jobs: 1, Shard: Shard{Index: 1, Count: 2, Takeover: time.Hour}})
	if err != nil || sum.Err() != nil {
		t.Fatalf("shard 1: %v, %v", err, sum.Err())
	}
	if got, want := sh.leases, sum.Executed; got != want {
		t.Errorf("took %d shared leases for %d executed partitions (%v); want one each and none for pulled ones", got, want, a.step.executed())
	}
	if h.has("another machine is producing") {
		t.Errorf("logged %q for a pulled output", "another machine is producing")
	}
}

// TestShardTakeoverWaitsForTheSharedLease: a shard past the takeover delay
// that finds the partition's local lease free but another machine holding
// its shared lease waits for it and reuses what that machine sealed; it
// does not say it takes the partition over.
func TestShardTakeoverWaitsForTheSharedLease(t *testing.T) {
	other, keys := otherMachine(t)
	sh := newShared(t)
	a := newFixture(t)
	owners := Assign(a.graph(), 2)
	sh.onLease = func(name string) { // the owner finishes while this shard waits for its lease
		for id, s := range owners {
			if s == 2 && name == leaseName(keys[id]) {
				copyOutput(other, sh.shared, keys[id])
			}
		}
	}
	h := &msgLog{}
	sum, err := a.sharedShardEngine(sh, h).Run(context.Background(), RunConfig{Jobs: 1, Shard: Shard{Index: 1, Count: 2, Takeover: 0}})
	if err != nil || sum.Err() != nil {
		t.Fatalf("shard 1: %v, %v", err, sum.Err())
	}
	for _, id := range a.step.executed() {
		if owners[PartitionID(id)] != 1 {
			t.Errorf("executed %s of shard 2, which another machine sealed", id)
		}
	}
	if h.has("taking it over") {
		t.Error("said it takes a partition over that another machine was producing")
	}
}
