package remote

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/sptflow/sptflow/engine/store"
)

// Pin is one sealed partition output a lock file pins.
type Pin struct {
	Name     string       // pipeline/partition, for messages
	Key      [32]byte     // node key
	Manifest store.Digest // digest of the manifest object
}

// SyncStats counts what Push or Pull did.
type SyncStats struct {
	Partitions int      // pins brought over (or already there)
	Present    int      // of those, pins the destination already held
	Objects    int      // objects copied (manifests included)
	Bytes      int64    // bytes copied
	Missing    []string // pins the source did not have, by Name
	// Damaged are the pins (by Name) whose remote manifest or a file of it
	// did not verify: refused, and deleted remotely so that a push of the
	// right bytes repairs it (a run makes them again). Pull only; they are
	// not in Missing.
	Damaged []string

	verify bool // push: verify objects already there (EnsureObject)
}

// keyInfoNS is the record namespace of node-key descriptions (what
// `status --why` compares).
const keyInfoNS = "keyinfo"

// Push copies the pinned outputs of the local store to the remote one:
// each file object, then the manifest object, then the manifest pointer
// and the key description, so a pointer never names an object that is not
// there. A pin the local store lacks is listed in Missing, not an error.
func Push(ctx context.Context, local *store.Store, rs *Store, pins []Pin) (SyncStats, error) {
	return push(ctx, local, rs, pins, false)
}

// push is Push; verify reads back every object already there, and
// replaces a damaged one.
func push(ctx context.Context, local *store.Store, rs *Store, pins []Pin, verify bool) (SyncStats, error) {
	st := SyncStats{verify: verify}
	for _, p := range pins {
		raw, err := local.ReadObject(p.Manifest)
		if errors.Is(err, store.ErrNotFound) {
			st.Missing = append(st.Missing, p.Name)
			continue
		}
		if err != nil {
			return st, fmt.Errorf("push %s: %w", p.Name, err)
		}
		err = pushPin(ctx, local, rs, p, raw, &st)
		if errors.Is(err, errLocalDamaged) {
			st.Missing = append(st.Missing, p.Name) // its manifest was not pushed
			continue
		}
		if err != nil {
			return st, fmt.Errorf("push %s: %w", p.Name, err)
		}
		st.Partitions++
	}
	return st, nil
}

// errLocalDamaged is pushPin's error for a pinned output one of whose file
// objects the local store lacks or holds damaged: push lists it as missing,
// as it does an output whose manifest is gone.
var errLocalDamaged = errors.New("a file object is missing or damaged locally")

func pushPin(ctx context.Context, local *store.Store, rs *Store, p Pin, raw []byte, st *SyncStats) error {
	m, err := decodeManifest(raw)
	if err != nil {
		return err
	}
	for _, f := range m.Files {
		if f.External != "" {
			continue
		}
		data, err := local.ReadObject(f.Digest)
		if errors.Is(err, store.ErrNotFound) {
			return errLocalDamaged // gone or damaged (and removed): the output is not in the local store
		}
		if err != nil {
			return fmt.Errorf("file %s: %w", f.Path, err)
		}
		if err := pushObject(ctx, rs, data, st); err != nil {
			return err
		}
	}
	if err := pushObject(ctx, rs, raw, st); err != nil {
		return err
	}
	created, err := rs.PutManifestPointer(ctx, p.Key, p.Manifest)
	if err != nil {
		return err
	}
	if !created {
		st.Present++
	}
	if info, err := local.GetKeyInfo(p.Key); err == nil {
		if _, err := rs.PutRecord(ctx, keyInfoNS, p.Key, info); err != nil {
			return err
		}
	}
	return nil
}

func pushObject(ctx context.Context, rs *Store, data []byte, st *SyncStats) error {
	put := rs.PutObject
	if st.verify {
		put = rs.EnsureObject
	}
	_, created, err := put(ctx, data)
	if created {
		st.Objects++
		st.Bytes += int64(len(data))
	}
	return err
}

// Pull copies the pinned outputs from the remote store into the local one,
// verifying every object against its digest, and seals each manifest
// locally under its node key; the resealed manifest must have the pinned
// digest. Pins already sealed locally are skipped. A pin the remote store
// lacks (or holds damaged) is listed in Missing.
func Pull(ctx context.Context, local *store.Store, rs *Store, pins []Pin) (SyncStats, error) {
	var st SyncStats
	for _, p := range pins {
		if _, d, err := local.GetManifest(p.Key); err == nil && d == p.Manifest {
			st.Partitions++
			st.Present++
			continue
		}
		raw, err := rs.GetObject(ctx, p.Manifest)
		if err == nil {
			err = pullPin(ctx, local, rs, p, raw, &st)
		}
		switch {
		case errors.Is(err, ErrDamaged):
			st.Damaged = append(st.Damaged, p.Name)
		case errors.Is(err, ErrNotFound):
			st.Missing = append(st.Missing, p.Name)
		case err != nil:
			return st, fmt.Errorf("pull %s: %w", p.Name, err)
		default:
			st.Partitions++
		}
	}
	return st, nil
}

// pullPin brings one pin's files and seals its manifest. A file missing
// remotely is an ErrNotFound, a damaged one an ErrDamaged.
func pullPin(ctx context.Context, local *store.Store, rs *Store, p Pin, raw []byte, st *SyncStats) error {
	m, err := decodeManifest(raw)
	if err != nil {
		return err
	}
	for _, f := range m.Files {
		if f.External != "" || local.HasObject(f.Digest) {
			continue
		}
		data, err := rs.GetObject(ctx, f.Digest)
		if err != nil {
			return fmt.Errorf("file %s: %w", f.Path, err)
		}
		if _, err := local.PutObject(data); err != nil {
			return err
		}
		st.Objects++
		st.Bytes += int64(len(data))
	}
	if info, ok, err := rs.GetRecord(ctx, keyInfoNS, p.Key); err == nil && ok {
		if err := local.EnsureKeyInfo(p.Key, info); err != nil {
			return err
		}
	}
	d, err := local.PutManifest(p.Key, m)
	if err != nil {
		return err
	}
	if d != p.Manifest {
		return fmt.Errorf("manifest resealed as %s, the lock pins %s", d.Short(), p.Manifest.Short())
	}
	st.Objects++
	st.Bytes += int64(len(raw))
	return nil
}

func decodeManifest(raw []byte) (*store.Manifest, error) {
	var m store.Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("decode manifest: %w", err)
	}
	return &m, nil
}
