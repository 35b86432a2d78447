package remote

import (
	"context"
	"fmt"
	"time"
)

// RecordStats counts what PushRecords did.
type RecordStats struct {
	Pushed  int // records created in the remote store
	Present int // records the remote store already held (kept as they are)
}

// PushRecords pushes every record of the local namespace ns (the request
// records, "requests") to the remote store, create-only: a record already
// there is kept. Records paid for before the remote store was configured,
// or while it was unreachable, so reach it.
func PushRecords(ctx context.Context, local LocalRecords, rs *Store, ns string) (RecordStats, error) {
	var st RecordStats
	var keys [][32]byte
	if err := local.Range(func(key [32]byte, _ time.Time) bool { keys = append(keys, key); return true }); err != nil {
		return st, fmt.Errorf("push records %s: %w", ns, err)
	}
	for _, k := range keys {
		data, ok, err := local.Get(k)
		if err != nil {
			return st, fmt.Errorf("push records %s: %w", ns, err)
		}
		if !ok {
			continue // deleted meanwhile
		}
		created, err := rs.PutRecord(ctx, ns, k, data)
		if err != nil {
			return st, err
		}
		if created {
			st.Pushed++
		} else {
			st.Present++
		}
	}
	return st, nil
}
