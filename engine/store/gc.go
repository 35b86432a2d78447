package store

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// GCOptions tunes GC.
type GCOptions struct {
	// Grace protects entries modified less than Grace ago (a concurrent run
	// may have stored objects whose manifest is not sealed yet). Zero means
	// one hour; anything shorter than two minutes is raised to two minutes.
	Grace time.Duration
	// Namespace names the record namespace that PruneRecords and
	// PruneRecordIf prune, as files (Records) and in its record log
	// (RecordLog), whose sealed segments GC also compacts, pruning or not.
	// Grace does not apply to records: records are never referenced by
	// other entries, so their age alone decides.
	Namespace string
	// PruneRecords removes the records of Namespace written more than
	// RecordsOlderThan ago (zero or less: every record).
	PruneRecords     bool
	RecordsOlderThan time.Duration
	// PruneRecordIf, if set, also removes every record of Namespace, of any
	// age, whose payload it returns true for (a record of the log whose
	// checksum does not match is damaged, see DropDamaged). It lets the
	// caller prune by content (failed LLM requests, say) without
	// the store knowing the record format; GC reads each record it is not
	// already removing by age, and calls it from one goroutine.
	PruneRecordIf func(data []byte) bool
	// DropDamaged discards the damaged byte ranges of the record log's
	// sealed segments when GC compacts them, instead of copying them to
	// records/<ns>/damaged/ (see DamagedRecordsDir).
	DropDamaged bool
	// RecordLinks, if set, reads a record of Namespace's log: the keys of
	// the entries it names (refs), or that it is an object (kept only for
	// the records naming it: an LLM request, say). GC keeps an object of a
	// sealed segment while a record it keeps, or a record of a growing
	// segment, names it, whatever its age or content, and removes it
	// (counted in Objects) once none does, whatever its age: the writer
	// must put an object with every record that names it.
	RecordLinks func(data []byte) (refs [][32]byte, object bool)
	// DryRun counts what would be removed without removing it.
	DryRun bool
}

// GCStats counts what GC removed (or would remove, in a dry run).
type GCStats struct {
	Manifests int   // manifest entries whose key was not kept
	KeyInfos  int   // key-info entries whose key was not kept
	Objects   int   // objects no kept manifest references
	Temps     int   // stale temp files of killed writers
	Records   int   // pruned records
	Leases    int   // lease files of free leases
	Bytes     int64 // bytes of the removed files, record-log bytes reclaimed
	// Damaged counts the bytes of the record log that held no intact entry
	// (apart from Bytes): moved out of the log, kept in DamagedRecordsDir
	// unless GCOptions.DropDamaged.
	Damaged int64
	// Unreadable counts the record-log segments GC could not open or read
	// (their permissions, an I/O error, a named pipe or a directory in
	// their place): left in place, neither compacted nor removed, and
	// named by Store.Warnings.
	Unreadable int
}

// GC removes manifests whose keys are not in keep, key infos likewise,
// objects no remaining manifest references, stale temp files, files of
// leases nobody holds, and the records of opts.Namespace that
// opts.PruneRecords or opts.PruneRecordIf select. Anything but records
// modified within the grace period is kept. GC may run while other
// processes use the store; a file replaced after GC looked at it (a record
// written again, say) is left alone.
func (s *Store) GC(keep map[[32]byte]bool, opts GCOptions) (GCStats, error) {
	g := &gc{s: s, keep: keep, opts: opts, live: map[Digest]bool{}}
	if g.opts.Grace == 0 {
		g.opts.Grace = defaultGrace
	}
	g.opts.Grace = max(g.opts.Grace, minGrace)
	g.cutoff = time.Now().Add(-g.opts.Grace)
	for _, phase := range []func() error{g.manifests, g.keyInfos, g.objects, g.temps, g.records, g.leases} {
		if err := phase(); err != nil {
			return g.stats, fmt.Errorf("gc %s: %w", s.dir, err)
		}
	}
	return g.stats, nil
}

type gc struct {
	s      *Store
	keep   map[[32]byte]bool
	opts   GCOptions
	cutoff time.Time
	live   map[Digest]bool
	stats  GCStats
}

// remove deletes a file (unless dry run) and counts its bytes. A file that
// is no longer the one fi describes (replaced meanwhile) is left alone.
func (g *gc) remove(path string, fi fs.FileInfo, count *int) {
	if cur, err := os.Lstat(path); err != nil || !os.SameFile(cur, fi) {
		return
	}
	if !g.opts.DryRun {
		if err := os.Remove(path); err != nil {
			return
		}
	}
	*count++
	g.stats.Bytes += fi.Size()
}

func (g *gc) old(fi fs.FileInfo) bool { return fi.ModTime().Before(g.cutoff) }

// manifests drops unkept manifest entries and marks what the rest reference.
func (g *gc) manifests() error {
	root := filepath.Join(g.s.dir, "manifests")
	return rangeShards(root, ".json", func(key [32]byte, fi fs.FileInfo) bool {
		if !g.keep[key] && g.old(fi) {
			g.remove(g.s.manifestPath(key), fi, &g.stats.Manifests)
			return true
		}
		g.markLive(key)
		return true
	})
}

// markLive marks the manifest of key and its stored files as referenced.
func (g *gc) markLive(key [32]byte) {
	d, err := g.s.readPointer(key)
	if err != nil {
		return
	}
	g.live[d] = true
	m, err := g.s.readManifest(d)
	if err != nil {
		return
	}
	for _, f := range m.Files {
		if f.External == "" {
			g.live[f.Digest] = true
		}
	}
}

func (g *gc) keyInfos() error {
	return rangeShards(filepath.Join(g.s.dir, "keys"), ".json", func(key [32]byte, fi fs.FileInfo) bool {
		if !g.keep[key] && g.old(fi) {
			g.remove(g.s.keyInfoPath(key), fi, &g.stats.KeyInfos)
		}
		return true
	})
}

func (g *gc) objects() error {
	return rangeShards(filepath.Join(g.s.dir, "objects"), "", func(key [32]byte, fi fs.FileInfo) bool {
		if !g.live[Digest(key)] && g.old(fi) {
			g.remove(g.s.objectPath(Digest(key)), fi, &g.stats.Objects)
		}
		return true
	})
}

// temps removes the temp files of writers that are gone (see leftover)
// anywhere in the store, and anything else stale in tmp/. Leases are left
// alone.
func (g *gc) temps() error {
	tmpDir, now := g.s.TempDir(), time.Now()
	return filepath.WalkDir(g.s.dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return nil // entries vanish under concurrent use
		}
		if e.IsDir() {
			if p == filepath.Join(g.s.dir, "leases") {
				return filepath.SkipDir
			}
			return nil
		}
		fi, err := e.Info()
		switch {
		case err != nil:
		case isTemp(e.Name()):
			if leftover(p, fi, now) {
				g.remove(p, fi, &g.stats.Temps)
			}
		case filepath.Dir(p) == tmpDir && g.old(fi):
			g.remove(p, fi, &g.stats.Temps)
		}
		return nil
	})
}

// records prunes the records of the namespace by age and by content, as
// files and in the record log, and compacts the log.
func (g *gc) records() error {
	if g.opts.Namespace == "" {
		return nil
	}
	r := g.s.Records(g.opts.Namespace)
	if r.err != nil {
		return r.err
	}
	if err := g.compactLog(); err != nil {
		return fmt.Errorf("record log %s: %w", r.ns, err)
	}
	if !g.opts.PruneRecords && g.opts.PruneRecordIf == nil {
		return nil
	}
	cutoff := time.Now().Add(-g.opts.RecordsOlderThan)
	err := rangeShards(r.dir, "", func(key [32]byte, fi fs.FileInfo) bool {
		p := r.path(key)
		if g.opts.PruneRecords && fi.ModTime().Before(cutoff) {
			g.remove(p, fi, &g.stats.Records)
		} else if g.opts.PruneRecordIf != nil {
			if cur, ok := g.recordSelected(p); ok {
				g.remove(p, cur, &g.stats.Records)
			}
		}
		return true
	})
	if err != nil {
		return fmt.Errorf("records %s: %w", r.ns, err)
	}
	return nil
}

// recordSelected reads the record at p and reports whether PruneRecordIf
// selects it (or its checksum does not match), with the file's info.
func (g *gc) recordSelected(p string) (fs.FileInfo, bool) {
	f, fi, err := openEntry(p)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, false
	}
	data, ok := unframe(b)
	return fi, !ok || g.opts.PruneRecordIf(data)
}

// leases removes the files of free leases. It takes each lease before
// unlinking its file; TryLease re-checks the file after locking, so a
// concurrent taker never ends up holding an unlinked file.
func (g *gc) leases() error {
	dir := filepath.Join(g.s.dir, "leases")
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		fi, err := e.Info()
		if err != nil || isTemp(e.Name()) || !fi.Mode().IsRegular() || !g.old(fi) {
			continue
		}
		g.removeFreeLease(filepath.Join(dir, e.Name()), fi)
	}
	return nil
}

func (g *gc) removeFreeLease(p string, fi fs.FileInfo) {
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		return
	}
	defer f.Close()
	if ok, err := tryLock(f); err != nil || !ok {
		return
	}
	if sameFile(f, p) {
		g.remove(p, fi, &g.stats.Leases)
	}
	_ = unlock(f)
}
