package remote

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/sptflow/sptflow/engine/store"
)

// Options configures a Store.
type Options struct {
	// OnDamage is called for every entry that failed verification on read
	// (it is then treated as missing). Nil ignores them, but Damaged still
	// counts them.
	OnDamage func(ctx context.Context, key string, err error)
	// Now is the clock of leases; nil is time.Now. Tests set a fake.
	Now func() time.Time
}

// Store is a remote store opened from a URL. Safe for concurrent use.
type Store struct {
	b        bucket
	url      string
	onDamage func(context.Context, string, error)
	now      func() time.Time
	damaged  atomic.Int64
}

// Open opens the remote store at rawURL (see openBucket for the schemes).
func Open(ctx context.Context, rawURL string, opt Options) (*Store, error) {
	b, err := openBucket(ctx, rawURL)
	if err != nil {
		return nil, err
	}
	return newStore(b, rawURL, opt), nil
}

func newStore(b bucket, rawURL string, opt Options) *Store {
	s := &Store{b: b, url: Redact(rawURL), onDamage: opt.OnDamage, now: opt.Now}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// URL returns the store's URL without its query.
func (s *Store) URL() string { return s.url }

// Close releases the store's connections.
func (s *Store) Close() error { return s.b.close() }

// Damaged returns how many damaged entries reads have met so far.
func (s *Store) Damaged() int64 { return s.damaged.Load() }

// damage reports and deletes a damaged entry and returns ErrDamaged.
func (s *Store) damage(ctx context.Context, key string, why string, repair bool) error {
	err := fmt.Errorf("%s %s: %w", s.url, key, fmt.Errorf("%s: %w", why, ErrDamaged))
	s.damaged.Add(1)
	if s.onDamage != nil {
		s.onDamage(ctx, key, err)
	}
	if repair {
		_ = s.b.remove(ctx, key) // best effort: the next push repairs it
	}
	return err
}

// ObjectKey is where the object with digest d lives.
func ObjectKey(d store.Digest) string {
	h := d.String()
	return "objects/" + h[:2] + "/" + h
}

// PutObject stores data under its digest. created is false when the object
// was already there (same address, so the same bytes unless damaged, which
// a read detects).
func (s *Store) PutObject(ctx context.Context, data []byte) (d store.Digest, created bool, err error) {
	d = store.DigestOf(data)
	created, err = s.create(ctx, ObjectKey(d), data)
	if err != nil {
		return d, false, fmt.Errorf("put object %s to %s: %w", d.Short(), s.url, err)
	}
	return d, created, nil
}

// EnsureObject is PutObject that also verifies an object already there
// (it reads it) and, if it is damaged, replaces it: created is then true.
func (s *Store) EnsureObject(ctx context.Context, data []byte) (d store.Digest, created bool, err error) {
	d, created, err = s.PutObject(ctx, data)
	if err != nil || created {
		return d, created, err
	}
	_, err = s.GetObject(ctx, d)
	if !errors.Is(err, ErrNotFound) {
		return d, false, err
	}
	return s.PutObject(ctx, data) // damaged (GetObject deleted it), or deleted meanwhile
}

// create is a create-only write that treats ErrExist as created == false.
func (s *Store) create(ctx context.Context, key string, data []byte) (bool, error) {
	err := s.b.create(ctx, key, data)
	if errors.Is(err, ErrExist) {
		return false, nil
	}
	return err == nil, err
}

// GetObject returns the object with digest d, verified. A missing object is
// ErrNotFound, a damaged one ErrDamaged (reported and deleted).
func (s *Store) GetObject(ctx context.Context, d store.Digest) ([]byte, error) {
	key := ObjectKey(d)
	data, err := s.b.read(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("get object %s from %s: %w", d.Short(), s.url, err)
	}
	if got := store.DigestOf(data); got != d {
		return nil, fmt.Errorf("get object %s: %w", d.Short(), s.damage(ctx, key, "its bytes hash to "+got.Short(), true))
	}
	return data, nil
}

// HasObject reports whether the object with digest d is present and intact
// (it reads it).
func (s *Store) HasObject(ctx context.Context, d store.Digest) (bool, error) {
	_, err := s.GetObject(ctx, d)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// RecordKey is where record key of namespace ns lives.
func RecordKey(ns string, key [32]byte) string {
	return "records/" + ns + "/" + hex.EncodeToString(key[:])
}

// PutRecord stores data as record key of namespace ns (the request store
// uses the namespace "requests", keys being request keys), create-only:
// created is false when a record was already there, and it is kept. A
// request paid for by one machine is so found by every other.
func (s *Store) PutRecord(ctx context.Context, ns string, key [32]byte, data []byte) (created bool, err error) {
	if !store.ValidNamespace(ns) {
		return false, fmt.Errorf("put record: invalid namespace %q", ns)
	}
	rk := RecordKey(ns, key)
	created, err = s.create(ctx, rk, frame(rk, data))
	if err != nil {
		return false, fmt.Errorf("put record %s to %s: %w", rk, s.url, err)
	}
	return created, nil
}

// GetRecord returns record key of namespace ns. A missing record is
// ok == false; so is a damaged one (reported and deleted).
func (s *Store) GetRecord(ctx context.Context, ns string, key [32]byte) (data []byte, ok bool, err error) {
	if !store.ValidNamespace(ns) {
		return nil, false, fmt.Errorf("get record: invalid namespace %q", ns)
	}
	return s.getFramed(ctx, RecordKey(ns, key), true)
}

// getFramed reads and verifies a framed entry. A damaged one is reported
// and a miss; repair deletes it.
func (s *Store) getFramed(ctx context.Context, key string, repair bool) ([]byte, bool, error) {
	b, err := s.b.read(ctx, key)
	if errors.Is(err, ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("get %s from %s: %w", key, s.url, err)
	}
	data, ok := unframe(key, b)
	if !ok {
		_ = s.damage(ctx, key, "checksum mismatch", repair)
		return nil, false, nil
	}
	return data, true, nil
}

// ManifestKey is where the manifest pointer of node key lives.
func ManifestKey(nodeKey [32]byte) string {
	return "manifests/" + hex.EncodeToString(nodeKey[:])
}

// PutManifestPointer records that node key's sealed output is the manifest
// object with digest m (push the object first). Create-only: the first
// pointer pushed for a key stays.
func (s *Store) PutManifestPointer(ctx context.Context, nodeKey [32]byte, m store.Digest) (created bool, err error) {
	k := ManifestKey(nodeKey)
	created, err = s.create(ctx, k, frame(k, []byte(m.String())))
	if err != nil {
		return false, fmt.Errorf("put manifest pointer %s to %s: %w", store.Digest(nodeKey).Short(), s.url, err)
	}
	return created, nil
}

// GetManifestPointer returns the manifest digest pushed for node key.
func (s *Store) GetManifestPointer(ctx context.Context, nodeKey [32]byte) (store.Digest, bool, error) {
	k := ManifestKey(nodeKey)
	b, ok, err := s.getFramed(ctx, k, true)
	if !ok || err != nil {
		return store.Digest{}, false, err
	}
	d, err := store.ParseDigest(string(b))
	if err != nil {
		_ = s.damage(ctx, k, err.Error(), true)
		return store.Digest{}, false, nil
	}
	return d, true, nil
}

// List calls fn with every key under prefix ("objects/", "records/requests/",
// "" for all), in lexical order, until fn returns false.
func (s *Store) List(ctx context.Context, prefix string, fn func(key string) bool) error {
	return s.ListEntries(ctx, prefix, func(e Entry) bool { return fn(e.Key) })
}

// Entry is a key a listing found, with its size and when it was written.
type Entry struct {
	Key     string
	Size    int64
	ModTime time.Time
}

// ListEntries is List with each key's size and modification time.
func (s *Store) ListEntries(ctx context.Context, prefix string, fn func(Entry) bool) error {
	if err := s.b.list(ctx, prefix, fn); err != nil {
		return fmt.Errorf("list %s%s: %w", s.url, "/"+prefix, err)
	}
	return nil
}

// frameMagic starts every framed entry; a SHA-256 over the entry's key and
// payload follows, so an entry copied under another key does not verify.
var frameMagic = []byte("sptR\x01")

const frameHeader = 5 + sha256.Size

func frameSum(key string, data []byte) [sha256.Size]byte {
	h := sha256.New()
	h.Write([]byte("sptflow/remote/v1\x00"))
	h.Write([]byte(key))
	h.Write([]byte{0})
	h.Write(data)
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}

func frame(key string, data []byte) []byte {
	sum := frameSum(key, data)
	return bytes.Join([][]byte{frameMagic, sum[:], data}, nil)
}

func unframe(key string, b []byte) ([]byte, bool) {
	if len(b) < frameHeader || !bytes.HasPrefix(b, frameMagic) {
		return nil, false
	}
	data := b[frameHeader:]
	sum := frameSum(key, data)
	return data, bytes.Equal(sum[:], b[len(frameMagic):frameHeader])
}
