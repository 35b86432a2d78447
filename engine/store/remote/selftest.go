package remote

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/sptflow/sptflow/engine/store"
)

// Check is the outcome of one selftest check.
type Check struct {
	Name   string
	Err    error // nil if it passed
	Detail string
	Took   time.Duration
}

// SelftestWriters is how many writers race for one key in Selftest.
const SelftestWriters = 16

// Selftest checks that the store behaves as this package needs: a
// create-only race of SelftestWriters writers of one key has exactly one
// winner and the others see ErrExist, writes are readable at once, listing
// returns exactly what was written, a poisoned object and a poisoned record
// are refused, and a lease excludes a second taker. It writes only under
// selftest/<random>/ (and one random object and lease), and deletes what it
// wrote.
func Selftest(ctx context.Context, s *Store) []Check {
	id := randomToken()
	base := "selftest/" + id + "/"
	defer s.cleanup(context.WithoutCancel(ctx), base)
	checks := []struct {
		name string
		fn   func(context.Context, *Store, string) (string, error)
	}{
		{"create-only race", raceCheck},
		{"read after write", readAfterWriteCheck},
		{"listing", listCheck},
		{"poisoned object refused", poisonedObjectCheck},
		{"poisoned record refused", poisonedRecordCheck},
		{"lease excludes a second taker", leaseCheck},
	}
	var out []Check
	for _, c := range checks {
		start := time.Now()
		detail, err := c.fn(ctx, s, base)
		out = append(out, Check{Name: c.name, Err: err, Detail: detail, Took: time.Since(start)})
	}
	return out
}

func (s *Store) cleanup(ctx context.Context, base string) {
	var keys []string
	_ = s.List(ctx, base, func(k string) bool { keys = append(keys, k); return true })
	for _, k := range keys {
		_ = s.b.remove(ctx, k)
	}
}

func raceCheck(ctx context.Context, s *Store, base string) (string, error) {
	key := base + "race"
	errs := make([]error, SelftestWriters)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = s.b.create(ctx, key, fmt.Appendf(nil, "writer %d", i))
		}()
	}
	close(start)
	wg.Wait()
	winner, lost := -1, 0
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			return "", fmt.Errorf("writers %d and %d both created %s", winner, i, key)
		case err == nil:
			winner = i
		case errors.Is(err, ErrExist):
			lost++
		default:
			return "", fmt.Errorf("writer %d: %w", i, err)
		}
	}
	if winner < 0 {
		return "", fmt.Errorf("no writer of %d created %s", SelftestWriters, key)
	}
	got, err := s.b.read(ctx, key)
	if err != nil {
		return "", err
	}
	if want := fmt.Sprintf("writer %d", winner); string(got) != want {
		return "", fmt.Errorf("read %q after the race, want the winner's %q", got, want)
	}
	return fmt.Sprintf("%d writers: 1 created, %d refused, winner's bytes kept", SelftestWriters, lost), nil
}

func readAfterWriteCheck(ctx context.Context, s *Store, base string) (string, error) {
	data := make([]byte, 4096)
	_, _ = rand.Read(data)
	key := base + "raw"
	if err := s.b.create(ctx, key, data); err != nil {
		return "", err
	}
	got, err := s.b.read(ctx, key)
	if err != nil {
		return "", fmt.Errorf("read %s right after its write: %w", key, err)
	}
	if !bytes.Equal(got, data) {
		return "", fmt.Errorf("read %d bytes of %s, not the %d written", len(got), key, len(data))
	}
	d, _, err := s.PutObject(ctx, data)
	if err != nil {
		return "", err
	}
	defer s.b.remove(context.WithoutCancel(ctx), ObjectKey(d))
	if got, err := s.GetObject(ctx, d); err != nil || !bytes.Equal(got, data) {
		return "", fmt.Errorf("get object %s right after its put: %d bytes, %v", d.Short(), len(got), err)
	}
	if _, created, err := s.PutObject(ctx, data); err != nil || created {
		return "", fmt.Errorf("second put of object %s: created %v, %v; want an existing object", d.Short(), created, err)
	}
	return "4096 bytes raw and as an object; a second put is a no-op", nil
}

func listCheck(ctx context.Context, s *Store, base string) (string, error) {
	var want []string
	for _, name := range []string{"b", "a", "c/d"} {
		key := base + "list/" + name
		if err := s.b.create(ctx, key, []byte(name)); err != nil {
			return "", err
		}
		want = append(want, key)
	}
	slices.Sort(want)
	var got []string
	if err := s.List(ctx, base+"list/", func(k string) bool { got = append(got, k); return true }); err != nil {
		return "", err
	}
	if !slices.Equal(got, want) {
		return "", fmt.Errorf("listed %q, want %q", got, want)
	}
	return fmt.Sprintf("%d keys listed in order", len(got)), nil
}

func poisonedObjectCheck(ctx context.Context, s *Store, base string) (string, error) {
	good := []byte("selftest object " + base)
	d := store.DigestOf(good)
	if err := s.b.create(ctx, ObjectKey(d), []byte("poison")); err != nil {
		return "", err
	}
	defer s.b.remove(context.WithoutCancel(ctx), ObjectKey(d))
	before := s.Damaged()
	if got, err := s.GetObject(ctx, d); !errors.Is(err, ErrDamaged) {
		return "", fmt.Errorf("get poisoned object %s: %q, %v; want ErrDamaged", d.Short(), got, err)
	}
	if s.Damaged() != before+1 {
		return "", errors.New("the poisoned object was not reported")
	}
	if _, created, err := s.PutObject(ctx, good); err != nil || !created {
		return "", fmt.Errorf("repair object %s: created %v, %v", d.Short(), created, err)
	}
	if got, err := s.GetObject(ctx, d); err != nil || !bytes.Equal(got, good) {
		return "", fmt.Errorf("get repaired object %s: %v", d.Short(), err)
	}
	return "refused, reported, deleted, repaired by the next put", nil
}

func poisonedRecordCheck(ctx context.Context, s *Store, base string) (string, error) {
	var key [32]byte
	_, _ = rand.Read(key[:])
	ns := "selftest." + base[len("selftest/"):len(base)-1]
	rk := RecordKey(ns, key)
	defer s.cleanup(context.WithoutCancel(ctx), "records/"+ns+"/")
	other := RecordKey(ns, [32]byte{1})
	// A well-formed record framed for another key: only the address check
	// catches it.
	if err := s.b.create(ctx, rk, frame(other, []byte(`{"ok":true}`))); err != nil {
		return "", err
	}
	if data, ok, err := s.GetRecord(ctx, ns, key); ok || err != nil {
		return "", fmt.Errorf("get poisoned record: %q, %v, %v; want a miss", data, ok, err)
	}
	if created, err := s.PutRecord(ctx, ns, key, []byte("paid")); err != nil || !created {
		return "", fmt.Errorf("put record after the poisoned one: created %v, %v", created, err)
	}
	if data, ok, err := s.GetRecord(ctx, ns, key); !ok || err != nil || string(data) != "paid" {
		return "", fmt.Errorf("get record: %q, %v, %v", data, ok, err)
	}
	return "a record moved from another key is a miss", nil
}

func leaseCheck(ctx context.Context, s *Store, base string) (string, error) {
	name := base + "lease"
	cfg := LeaseConfig{Holder: "selftest-a", TTL: time.Minute}
	defer s.cleanup(context.WithoutCancel(ctx), leasePrefix(name))
	a, err := s.TryLease(ctx, name, cfg)
	if err != nil {
		return "", err
	}
	cfg.Holder = "selftest-b"
	if _, err := s.TryLease(ctx, name, cfg); !errors.Is(err, ErrHeld) {
		return "", fmt.Errorf("second taker of a held lease: %v, want ErrHeld", err)
	}
	if err := a.Heartbeat(ctx); err != nil {
		return "", err
	}
	if err := a.Release(ctx); err != nil {
		return "", err
	}
	b, err := s.TryLease(ctx, name, cfg)
	if err != nil {
		return "", fmt.Errorf("take a released lease: %w", err)
	}
	return fmt.Sprintf("held, refused, heartbeat, released, taken at generation %d", b.State().Gen), b.Release(ctx)
}
