package remote

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestRecordsSharePaidRequests: a record put on one machine is pushed and
// found by another, whose local store then holds it; a damaged remote
// record is a miss, reported; remote failures never fail Get or Put.
func TestRecordsSharePaidRequests(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			var damaged int
			rs := open(t, Options{OnDamage: func(context.Context, string, error) { damaged++ }})
			localA, localB := emptyStore(t).RecordLog("requests"), emptyStore(t).RecordLog("requests")
			defer localA.Close()
			defer localB.Close()
			var remoteErrs []error
			onErr := func(err error) { remoteErrs = append(remoteErrs, err) }
			a, b := NewRecords(localA, rs, "requests", onErr), NewRecords(localB, rs, "requests", onErr)

			key, data := [32]byte{1, 2, 3}, []byte(`{"v":1,"ok":true}`)
			if _, ok, err := b.Get(key); ok || err != nil {
				t.Fatalf("get before any put: got ok %v, %v; want a miss", ok, err)
			}
			if err := a.Put(key, data); err != nil {
				t.Fatal(err)
			}
			if got, ok, err := rs.GetRecord(ctx, "requests", key); !ok || err != nil || string(got) != string(data) {
				t.Fatalf("remote after put: got %q %v %v; want the record pushed", got, ok, err)
			}
			got, ok, err := b.Get(key)
			if !ok || err != nil || string(got) != string(data) {
				t.Fatalf("other machine's get: got %q %v %v; want the record", got, ok, err)
			}
			if got, ok, _ := localB.Get(key); !ok || string(got) != string(data) {
				t.Errorf("other machine's local store after get: got %q %v; want the record copied", got, ok)
			}
			// The first record pushed for a key stays (create-only).
			if err := b.Put(key, []byte(`{"v":1,"ok":false}`)); err != nil {
				t.Fatal(err)
			}
			if got, _, _ := rs.GetRecord(ctx, "requests", key); string(got) != string(data) {
				t.Errorf("remote after a second put: got %q, want the first record kept", got)
			}

			other := [32]byte{9}
			if err := a.Put(other, data); err != nil {
				t.Fatal(err)
			}
			poison(t, rs, RecordKey("requests", other))
			c := NewRecords(emptyStore(t).RecordLog("requests"), rs, "requests", onErr)
			if _, ok, err := c.Get(other); ok || err != nil {
				t.Errorf("get of a poisoned record: got ok %v, %v; want a miss", ok, err)
			}
			if damaged != 1 {
				t.Errorf("damage reports: got %d, want 1", damaged)
			}
			if len(remoteErrs) != 0 {
				t.Errorf("remote errors: got %v, want none", remoteErrs)
			}
		})
	}
}

// TestRecordsRemoteFailureIsAMiss: with the remote store failing (an S3
// endpoint that refuses every request), Get misses and Put succeeds
// locally; both report the failure.
func TestRecordsRemoteFailureIsAMiss(t *testing.T) {
	rs := mustOpen(t, refusingS3(t), Options{})
	local := emptyStore(t).RecordLog("requests")
	defer local.Close()
	var remoteErrs []error
	r := NewRecords(local, rs, "requests", func(err error) { remoteErrs = append(remoteErrs, err) })
	key := [32]byte{4}
	if _, ok, err := r.Get(key); ok || err != nil {
		t.Errorf("get: got ok %v, %v; want a miss", ok, err)
	}
	if err := r.Put(key, []byte("x")); err != nil {
		t.Errorf("put: got %v, want the local put's success", err)
	}
	if got, ok, _ := local.Get(key); !ok || string(got) != "x" {
		t.Errorf("local after put: got %q %v", got, ok)
	}
	if len(remoteErrs) != 2 || errors.Is(remoteErrs[0], ErrNotFound) {
		t.Errorf("remote errors: got %v, want 2 failures", remoteErrs)
	}
	// A third failure turns sharing off (said once); then the remote
	// store is not asked again.
	if _, ok, _ := r.Get([32]byte{5}); ok {
		t.Errorf("get: got a hit from an unreachable store")
	}
	if len(remoteErrs) != 4 || !strings.Contains(remoteErrs[3].Error(), "no longer shared") {
		t.Fatalf("remote errors after the third failure: got %v, want the failure and the notice", remoteErrs)
	}
	if _, ok, err := r.Get([32]byte{6}); ok || err != nil || len(remoteErrs) != 4 {
		t.Errorf("get with sharing off: got ok %v, %v, %d errors; want a quiet miss", ok, err, len(remoteErrs))
	}
}
