package remote

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"
)

// LocalRecords is what Records needs of the local record store
// (store.RecordLog): durable Get and Put, and listing for history.
type LocalRecords interface {
	Get(key [32]byte) ([]byte, bool, error)
	Put(key [32]byte, data []byte) error
	Range(fn func(key [32]byte, modTime time.Time) bool) error
}

// recordTimeout bounds one remote record read or write.
const recordTimeout = 30 * time.Second

// Records is a record namespace (the LLM request store's "requests") kept
// locally and shared through the remote store; it implements
// llm.RecordStore. Get looks locally first, then remotely (a verified
// remote record is copied into the local store), so a request paid for on
// one machine is found by every other before it sends; Put writes locally,
// durably, and then pushes the record create-only (the first record pushed
// for a key stays). Remote failures never fail a Get or Put: they are
// reported through OnError, and a Get then misses. After maxFailures
// failures in a row the remote store is left alone for the rest of the
// process (each failure may take the client's retries), which is
// reported once.
type Records struct {
	local   LocalRecords
	remote  *Store
	ns      string
	onError func(error)
	fails   atomic.Int32 // consecutive remote failures
}

// maxFailures is how many remote failures in a row turn sharing off.
const maxFailures = 3

// off reports whether sharing was turned off by failures.
func (r *Records) off() bool { return r.fails.Load() >= maxFailures }

// failed records the outcome of a remote operation.
func (r *Records) failed(err error) {
	if err == nil {
		r.fails.Store(0)
		return
	}
	r.onError(err)
	if r.fails.Add(1) == maxFailures {
		r.onError(fmt.Errorf("%d remote store failures in a row: request records are no longer shared by this process", maxFailures))
	}
}

// NewRecords shares namespace ns of local through rs. onError (may be nil)
// receives the remote failures.
func NewRecords(local LocalRecords, rs *Store, ns string, onError func(error)) *Records {
	if onError == nil {
		onError = func(error) {}
	}
	return &Records{local: local, remote: rs, ns: ns, onError: onError}
}

// Get returns the record under key: the local one, else the remote one
// (verified against its key and checksum, and stored locally).
func (r *Records) Get(key [32]byte) ([]byte, bool, error) {
	data, ok, err := r.local.Get(key)
	if ok || err != nil || r.off() {
		return data, ok, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), recordTimeout)
	defer cancel()
	data, ok, err = r.remote.GetRecord(ctx, r.ns, key)
	r.failed(err)
	if err != nil {
		return nil, false, nil
	}
	if !ok {
		return nil, false, nil
	}
	if err := r.local.Put(key, data); err != nil {
		return nil, false, err
	}
	return data, true, nil
}

// Put stores data under key locally and pushes it.
func (r *Records) Put(key [32]byte, data []byte) error {
	if err := r.local.Put(key, data); err != nil || r.off() {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), recordTimeout)
	defer cancel()
	_, err := r.remote.PutRecord(ctx, r.ns, key, data)
	r.failed(err)
	return nil
}

// Range lists the local records (history and estimates read what this
// machine holds; remote records are read by key).
func (r *Records) Range(fn func(key [32]byte, modTime time.Time) bool) error {
	return r.local.Range(fn)
}
