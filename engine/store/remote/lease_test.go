package remote

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

const (
	testTTL  = 30 * time.Second
	testSkew = 2 * time.Second
)

// machines returns two stores on one bucket with clocks reading clk: two
// machines sharing a remote store.
func machines(t *testing.T, clk *fakeClock) (a, b *Store) {
	t.Helper()
	bk := mustOpen(t, "file://"+t.TempDir(), Options{}).b
	return newStore(bk, "file:///shared", Options{Now: clk.Now}), newStore(bk, "file:///shared", Options{Now: clk.Now})
}

func take(t *testing.T, s *Store, holder string) *Lease {
	t.Helper()
	l, err := s.TryLease(context.Background(), "tag/batch-1", LeaseConfig{Holder: holder, TTL: testTTL, Skew: testSkew})
	if err != nil {
		t.Fatalf("%s takes the lease: %v", holder, err)
	}
	return l
}

func refused(t *testing.T, s *Store, holder, wantHolder string) {
	t.Helper()
	_, err := s.TryLease(context.Background(), "tag/batch-1", LeaseConfig{Holder: holder, TTL: testTTL, Skew: testSkew})
	var held *HeldError
	if !errors.As(err, &held) || !errors.Is(err, ErrHeld) {
		t.Fatalf("%s takes a held lease: got %v, want a *HeldError", holder, err)
	}
	if held.Current.Holder != wantHolder {
		t.Errorf("held by: got %q, want %q", held.Current.Holder, wantHolder)
	}
}

func TestLeaseExcludes(t *testing.T) {
	clk := newFakeClock()
	ma, mb := machines(t, clk)
	a := take(t, ma, "a")
	refused(t, mb, "b", "a")
	if !a.Valid() || a.State().Gen != 1 {
		t.Errorf("holder a: valid %v, gen %d; want valid at generation 1", a.Valid(), a.State().Gen)
	}
}

func TestLeaseHeartbeatExtends(t *testing.T) {
	clk := newFakeClock()
	ma, mb := machines(t, clk)
	ctx := context.Background()
	a := take(t, ma, "a")
	for range 5 {
		clk.Advance(testTTL * 2 / 3)
		if err := a.Heartbeat(ctx); err != nil {
			t.Fatalf("heartbeat: %v", err)
		}
		refused(t, mb, "b", "a")
	}
	if got := a.State().Gen; got != 6 {
		t.Errorf("generation after 5 heartbeats: got %d, want 6", got)
	}
	// Old generations are pruned: the last two stay.
	var keys []string
	_ = ma.List(ctx, leasePrefix("tag/batch-1"), func(k string) bool { keys = append(keys, k); return true })
	if len(keys) != 2 {
		t.Errorf("generations kept: got %q, want 2", keys)
	}
}

func TestLeaseExpiryAndTakeover(t *testing.T) {
	clk := newFakeClock()
	ma, mb := machines(t, clk)
	ctx := context.Background()
	a := take(t, ma, "a") // a dies: no more heartbeats
	clk.Advance(testTTL)
	if a.Valid() {
		t.Error("a's lease is valid at its expiry")
	}
	refused(t, mb, "b", "a") // within the skew allowance
	clk.Advance(testSkew)
	b := take(t, mb, "b")
	if got := b.State().Gen; got != 2 {
		t.Errorf("taken over at generation %d, want 2", got)
	}
	if err := a.Heartbeat(ctx); !errors.Is(err, ErrLost) {
		t.Errorf("heartbeat of the expired holder: got %v, want ErrLost", err)
	}
	if a.Valid() || !b.Valid() {
		t.Errorf("after takeover: a valid %v, b valid %v; want false, true", a.Valid(), b.Valid())
	}
}

// TestLeaseLostToTaker: a holder whose clock runs slow heartbeats after
// another machine took over; its create of the next generation fails.
func TestLeaseLostToTaker(t *testing.T) {
	clk := newFakeClock()
	ctx := context.Background()
	bk := mustOpen(t, "file://"+t.TempDir(), Options{}).b
	slow := newStore(bk, "file:///shared", Options{Now: clk.offset(-time.Minute)})
	mb := newStore(bk, "file:///shared", Options{Now: clk.Now})
	a := take(t, slow, "a")
	clk.Advance(testTTL + testSkew + time.Minute)
	take(t, mb, "b")
	if err := a.Heartbeat(ctx); !errors.Is(err, ErrLost) {
		t.Fatalf("heartbeat after a takeover: got %v, want ErrLost", err)
	}
	if a.Valid() {
		t.Error("lost lease is valid")
	}
}

func TestLeaseRelease(t *testing.T) {
	clk := newFakeClock()
	ma, mb := machines(t, clk)
	ctx := context.Background()
	a := take(t, ma, "a")
	if err := a.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.Release(ctx); err != nil {
		t.Errorf("second release: %v", err)
	}
	if a.Valid() {
		t.Error("released lease is valid")
	}
	b := take(t, mb, "b") // at once, no expiry wait
	st, ok, err := mb.LeaseHolder(ctx, "tag/batch-1")
	if !ok || err != nil || st.Holder != "b" || st.Gen != b.State().Gen {
		t.Errorf("holder: got %+v, %v, %v; want b at generation %d", st, ok, err, b.State().Gen)
	}
}

func TestLeaseConcurrentTakers(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			s := open(t, Options{})
			const takers = 16
			leases := make([]*Lease, takers)
			errs := make([]error, takers)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range takers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					leases[i], errs[i] = s.TryLease(context.Background(), "p", LeaseConfig{TTL: time.Hour})
				}()
			}
			close(start)
			wg.Wait()
			won := 0
			for i, err := range errs {
				switch {
				case err == nil:
					won++
				case !errors.Is(err, ErrHeld):
					t.Errorf("taker %d: got %v, want nil or ErrHeld", i, err)
				}
			}
			if won != 1 {
				t.Errorf("got %d holders, want 1", won)
			}
		})
	}
}

func TestLeaseDamagedGenerationExpires(t *testing.T) {
	clk := newFakeClock()
	ma, mb := machines(t, clk)
	ctx := context.Background()
	take(t, ma, "a")
	if err := ma.b.create(ctx, genKey("tag/batch-1", 2), []byte("garbage")); err != nil {
		t.Fatal(err)
	}
	b := take(t, mb, "b")
	if b.State().Gen != 3 || mb.Damaged() != 1 {
		t.Errorf("got generation %d, %d damaged; want 3 after the damaged 2, reported", b.State().Gen, mb.Damaged())
	}
}

// TestLeaseNeverOverlaps runs three machines whose clocks differ by less
// than the skew allowance through random heartbeats, deaths, releases and
// takeovers, and checks after every step that at most one of them
// considers itself the holder.
func TestLeaseNeverOverlaps(t *testing.T) {
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 1))
		clk := newFakeClock()
		ctx := context.Background()
		bk := mustOpen(t, "mem://", Options{}).b // file:// pays fsyncs
		offsets := []time.Duration{0, testSkew / 2 * 9 / 10, -testSkew / 2 * 9 / 10}
		var stores []*Store
		for _, off := range offsets {
			stores = append(stores, newStore(bk, "file:///shared", Options{Now: clk.offset(off)}))
		}
		held := make([]*Lease, len(stores))
		takeovers := 0
		for step := range 400 {
			clk.Advance(time.Duration(rng.IntN(int(testTTL/time.Second)/2)) * time.Second)
			i := rng.IntN(len(stores))
			switch l := held[i]; {
			case l == nil:
				if nl, err := stores[i].TryLease(ctx, "p", LeaseConfig{Holder: string(rune('a' + i)), TTL: testTTL, Skew: testSkew}); err == nil {
					held[i] = nl
					takeovers++
				} else if !errors.Is(err, ErrHeld) {
					t.Fatal(err)
				}
			case rng.IntN(10) == 0:
				_ = l.Release(ctx)
				held[i] = nil
			case rng.IntN(4) == 0:
				// dies or stalls: skips this heartbeat
			default:
				if err := l.Heartbeat(ctx); errors.Is(err, ErrLost) {
					held[i] = nil
				} else if err != nil {
					t.Fatal(err)
				}
			}
			valid := 0
			for _, l := range held {
				if l != nil && l.Valid() {
					valid++
				}
			}
			if valid > 1 {
				t.Fatalf("seed %d step %d: %d holders consider the lease theirs", seed, step, valid)
			}
		}
		if takeovers < 3 {
			t.Errorf("seed %d: only %d acquisitions; the walk does not exercise takeover", seed, takeovers)
		}
	}
}
