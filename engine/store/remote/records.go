package remote

import (
	"context"
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
// reported through OnError, and a Get then misses.
type Records struct {
	local   LocalRecords
	remote  *Store
	ns      string
	onError func(error)
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
	if ok || err != nil {
		return data, ok, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), recordTimeout)
	defer cancel()
	data, ok, err = r.remote.GetRecord(ctx, r.ns, key)
	if err != nil {
		r.onError(err)
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
	if err := r.local.Put(key, data); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), recordTimeout)
	defer cancel()
	if _, err := r.remote.PutRecord(ctx, r.ns, key, data); err != nil {
		r.onError(err)
	}
	return nil
}

// Range lists the local records (history and estimates read what this
// machine holds; remote records are read by key).
func (r *Records) Range(fn func(key [32]byte, modTime time.Time) bool) error {
	return r.local.Range(fn)
}
