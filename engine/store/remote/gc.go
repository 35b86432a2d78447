package remote

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sptflow/sptflow/engine/store"
)

// GCOptions configures GC.
type GCOptions struct {
	// Pins are the outputs kept whatever their age: their manifest
	// pointers (when they name the pinned manifest or any other), their
	// manifests, their file objects and their key descriptions.
	Pins []Pin
	// Cutoff: only entries written before it are collected. Callers set it
	// to now minus a grace period that is longer than any run, so that the
	// objects of an output being pushed (before its pointer is written)
	// are never collected.
	Cutoff time.Time
	// DryRun lists what would be deleted and deletes nothing.
	DryRun bool
}

// GCStats says what GC deleted (or, dry, would delete) and kept.
type GCStats struct {
	Deleted      []Entry  // in deletion order
	Bytes        int64    // their total size
	KeptOutputs  int      // manifest pointers kept
	KeptObjects  int      // objects kept
	KeptRecords  int      // records kept other than key descriptions: request records (never collected)
	PinsAbsent   []string // pins whose manifest the remote store does not hold
	FreshEntries int      // entries kept only because they are younger than the cutoff
}

// Prefixes of the remote store's entries.
const (
	manifestsPrefix = "manifests/"
	objectsPrefix   = "objects/"
	recordsPrefix   = "records/"
	leasesPrefix    = "leases/"
	keyInfoPrefix   = recordsPrefix + keyInfoNS + "/"
)

// GC deletes what no pin and no recent write keeps from the remote store:
//
//   - a manifest pointer (with its key description) is kept if a pin names
//     its node key or it was written after Cutoff;
//   - an object is kept if it is the manifest a pin or a kept pointer
//     names, or a file of such a manifest, or it was written after Cutoff;
//   - records other than key descriptions (the request records: what was
//     paid for) are all kept: a manifest does not say which requests built
//     it, so which records a kept output needs is not known;
//   - a lease's generations are collected when its latest generation was
//     written before Cutoff and released or expired (a live holder writes
//     a new generation every third of its TTL), older generations when
//     written before Cutoff.
//
// Deletion goes pointers first, then key descriptions, objects and leases,
// so a pointer never names a deleted manifest while GC runs.
//
// GC is safe against concurrent writers within these limits: every write
// is create-only and a reader verifies what it reads, so a race costs a
// miss, never a wrong result. The race accepted is a writer that pushes an
// output after GC listed the store, reusing an object GC found unreferenced
// and old (content addresses deduplicate: an identical file pushed long
// ago is not written again), which GC then deletes: the new pointer names
// an incomplete output, which readers take as a miss, and the next
// machine to produce it pushes the missing object again (Publish verifies
// every object it finds). Objects written by a push in progress are
// younger than Cutoff and kept, so with a grace period longer than any
// run a push in progress never loses what it wrote itself.
func GC(ctx context.Context, rs *Store, opt GCOptions) (GCStats, error) {
	var st GCStats
	var all []Entry
	if err := rs.ListEntries(ctx, "", func(e Entry) bool { all = append(all, e); return true }); err != nil {
		return st, fmt.Errorf("gc: %w", err)
	}
	fresh := func(e Entry) bool { return !e.ModTime.Before(opt.Cutoff) }

	pinnedKeys := map[string]bool{}
	roots := map[store.Digest]bool{}
	for _, p := range opt.Pins {
		pinnedKeys[hex.EncodeToString(p.Key[:])] = true
		roots[p.Manifest] = true
	}
	keptKeys := map[string]bool{}
	var drop []Entry
	for _, e := range all {
		hk, ok := strings.CutPrefix(e.Key, manifestsPrefix)
		if !ok {
			continue
		}
		if !pinnedKeys[hk] && !fresh(e) {
			drop = append(drop, e)
			continue
		}
		if !pinnedKeys[hk] {
			st.FreshEntries++
		}
		keptKeys[hk] = true
		st.KeptOutputs++
		if d, ok, err := rs.pointerTarget(ctx, e.Key); err != nil {
			return st, fmt.Errorf("gc: %w", err)
		} else if ok {
			roots[d] = true
		}
	}
	reach, err := rs.reachable(ctx, roots)
	if err != nil {
		return st, fmt.Errorf("gc: %w", err)
	}
	for _, p := range opt.Pins {
		if !reach[p.Manifest] {
			st.PinsAbsent = append(st.PinsAbsent, p.Name)
		}
	}
	for _, e := range all {
		if hk, ok := strings.CutPrefix(e.Key, keyInfoPrefix); ok {
			if !keptKeys[hk] && !pinnedKeys[hk] && !fresh(e) {
				drop = append(drop, e)
			}
			continue
		}
		if strings.HasPrefix(e.Key, recordsPrefix) {
			st.KeptRecords++
		}
	}
	for _, e := range all {
		h, ok := strings.CutPrefix(e.Key, objectsPrefix)
		if !ok {
			continue
		}
		if d, err := store.ParseDigest(h[strings.LastIndexByte(h, '/')+1:]); err == nil && reach[d] {
			st.KeptObjects++
			continue
		}
		if fresh(e) {
			st.KeptObjects++
			st.FreshEntries++
			continue
		}
		drop = append(drop, e)
	}
	leases, err := rs.staleLeaseGens(ctx, all, opt.Cutoff)
	if err != nil {
		return st, fmt.Errorf("gc: %w", err)
	}
	drop = append(drop, leases...)
	for _, e := range drop {
		if !opt.DryRun {
			if err := rs.b.remove(ctx, e.Key); err != nil {
				return st, fmt.Errorf("gc: delete %s from %s: %w", e.Key, rs.url, err)
			}
		}
		st.Deleted = append(st.Deleted, e)
		st.Bytes += e.Size
	}
	return st, nil
}

// pointerTarget reads the manifest pointer under key without repairing it:
// a damaged pointer is no root (and, old enough, collected).
func (s *Store) pointerTarget(ctx context.Context, key string) (store.Digest, bool, error) {
	b, ok, err := s.getFramed(ctx, key, false)
	if err != nil || !ok {
		return store.Digest{}, false, err
	}
	d, err := store.ParseDigest(string(b))
	return d, err == nil, nil
}

// reachable returns the manifests of roots the store holds intact, and
// their file objects.
func (s *Store) reachable(ctx context.Context, roots map[store.Digest]bool) (map[store.Digest]bool, error) {
	reach := map[store.Digest]bool{}
	for _, d := range slices.SortedFunc(maps.Keys(roots), func(a, b store.Digest) int { return bytes.Compare(a[:], b[:]) }) {
		raw, err := s.b.read(ctx, ObjectKey(d))
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read manifest %s: %w", d.Short(), err)
		}
		if store.DigestOf(raw) != d {
			continue // damaged: a reader refuses it; collected when old
		}
		reach[d] = true
		m, err := decodeManifest(raw)
		if err != nil {
			continue
		}
		for _, f := range m.Files {
			if f.External == "" {
				reach[f.Digest] = true
			}
		}
	}
	return reach, nil
}

// staleLeaseGens lists the lease generations to collect: every generation
// of a lease whose latest one was written before cutoff and was released,
// expired before cutoff or is unreadable, and the older generations
// written before cutoff of the others.
func (s *Store) staleLeaseGens(ctx context.Context, all []Entry, cutoff time.Time) ([]Entry, error) {
	byName := map[string][]Entry{}
	var names []string
	for _, e := range all {
		rest, ok := strings.CutPrefix(e.Key, leasesPrefix)
		i := strings.LastIndexByte(rest, '/')
		if !ok || i < 0 {
			continue
		}
		if _, err := strconv.ParseUint(rest[i+1:], 10, 64); err != nil {
			continue
		}
		name := rest[:i]
		if _, seen := byName[name]; !seen {
			names = append(names, name)
		}
		byName[name] = append(byName[name], e) // lexical order is generation order (%020d)
	}
	var out []Entry
	for _, name := range names {
		gens := byName[name]
		latest := gens[len(gens)-1]
		for _, e := range gens[:len(gens)-1] {
			if e.ModTime.Before(cutoff) {
				out = append(out, e)
			}
		}
		if !latest.ModTime.Before(cutoff) {
			continue
		}
		b, ok, err := s.getFramed(ctx, latest.Key, false)
		if err != nil {
			return nil, err
		}
		if ok {
			var ls LeaseState
			if json.Unmarshal(b, &ls) == nil && !ls.Released && !ls.Expires.Before(cutoff) {
				continue
			}
		}
		out = append(out, latest)
	}
	return out, nil
}
