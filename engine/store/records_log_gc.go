package store

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// compactLog compacts the record log of the GC's namespace: the entries
// of its sealed segments that still matter (the latest entry of a key, not
// pruned by age or content, undamaged; a deletion only while a growing
// segment may hold an older entry of its key) are rewritten into one new
// segment, and the sealed segments are removed. Growing segments (their
// writers are alive) are read, not touched. The new segment is durable
// before any old one is removed; a crash in between leaves duplicates,
// which readers and the next GC take for one entry. Every entry that
// checks survives unless pruned; the byte ranges of sealed segments that
// hold no intact entry (damaged entries, garbage, a torn tail) are counted
// apart (GCStats.Damaged) and copied to records/<ns>/damaged/ first,
// unless GCOptions.DropDamaged.
func (g *gc) compactLog() error {
	dir := filepath.Join(g.s.dir, "records", g.opts.Namespace, "log")
	segs, err := lockSealedSegments(dir)
	if err != nil || len(segs) == 0 {
		return err
	}
	defer closeSegments(segs)
	plan, err := g.planCompaction(segs)
	if err != nil {
		return err
	}
	g.stats.Records += plan.pruned
	if plan.sealed == 0 || (plan.sealed == 1 && plan.dropped == 0 && len(plan.damaged) == 0) {
		return nil // nothing to reclaim
	}
	g.stats.Damaged += plan.damagedBytes
	g.stats.Bytes += max(0, plan.oldBytes-plan.newBytes-plan.damagedBytes)
	if g.opts.DryRun {
		return nil
	}
	if plan.newBytes > 0 {
		if err := writeSegment(dir, plan.keep); err != nil {
			return err
		}
	}
	if !g.opts.DropDamaged {
		if err := saveDamaged(g.s.DamagedRecordsDir(g.opts.Namespace), plan.damaged); err != nil {
			return err
		}
	}
	for _, s := range segs {
		if s.locked {
			if err := os.Remove(filepath.Join(dir, s.name)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
	}
	return SyncDir(dir)
}

// gcSegment is a segment as GC sees it: locked (sealed, GC compacts it) or
// not (its writer is alive).
type gcSegment struct {
	name   string
	f      *os.File
	locked bool
	size   int64
}

// lockSealedSegments opens every segment of dir, taking the exclusive lock
// of each sealed one (which also keeps other GCs off it).
func lockSealedSegments(dir string) ([]*gcSegment, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var segs []*gcSegment
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), logSuffix) || isTemp(e.Name()) {
			continue
		}
		f, err := os.Open(filepath.Join(dir, e.Name()))
		if err != nil {
			continue // removed meanwhile
		}
		s := &gcSegment{name: e.Name(), f: f}
		if s.locked, err = tryLock(f); err != nil {
			closeSegments(append(segs, s))
			return nil, fmt.Errorf("lock segment %s: %w", e.Name(), err)
		}
		fi, err := f.Stat()
		if err != nil {
			closeSegments(append(segs, s))
			return nil, err
		}
		s.size = fi.Size()
		segs = append(segs, s)
	}
	return segs, nil
}

func closeSegments(segs []*gcSegment) {
	for _, s := range segs {
		s.f.Close() // drops the lock
	}
}

// gcEntry is one entry of a segment; tombstone makes GC write a deletion
// of its key (at its time) instead of copying it.
type gcEntry struct {
	seg       *gcSegment
	off       int64
	h         logHeader
	tombstone bool
}

// newSize is the entry's size once rewritten (format 2).
func (e gcEntry) newSize() int64 {
	if e.tombstone {
		return logHeaderSize
	}
	return logHeaderSize + int64(e.h.n)
}

// damagedRange is a byte range of a sealed segment holding no intact
// entry.
type damagedRange struct {
	seg      *gcSegment
	from, to int64
}

// compaction is what compactLog will do.
type compaction struct {
	keep               []gcEntry // entries of sealed segments to rewrite, in order
	sealed             int       // sealed segments
	pruned             int       // live records pruned (by age or content)
	dropped            int       // entries of sealed segments not kept as they are
	damaged            []damagedRange
	oldBytes, newBytes int64
	damagedBytes       int64
}

// planCompaction reads and verifies every entry, finds each key's latest
// intact entry, and selects the entries of sealed segments to keep.
func (g *gc) planCompaction(segs []*gcSegment) (compaction, error) {
	var c compaction
	var all []gcEntry
	latest := map[[32]byte]int{}   // key -> index in all of its latest entry
	growing := map[[32]byte]bool{} // keys with an entry in a growing segment
	for _, s := range segs {
		w := &segWalker{f: s.f, size: s.size, verify: true}
		end, err := w.walk(0, func(off int64, h logHeader) {
			if i, ok := latest[h.key]; !ok || all[i].h.time <= h.time {
				latest[h.key] = len(all)
			}
			if !s.locked {
				growing[h.key] = true
			}
			all = append(all, gcEntry{seg: s, off: off, h: h})
		}, func(from, to int64) {
			if s.locked {
				c.damaged = append(c.damaged, damagedRange{s, from, to})
			}
		})
		if err != nil {
			return compaction{}, fmt.Errorf("read segment %s: %w", s.name, err)
		}
		if s.locked && end < s.size {
			c.damaged = append(c.damaged, damagedRange{s, end, s.size})
		}
	}
	for _, d := range c.damaged {
		c.damagedBytes += d.to - d.from
	}
	cutoff := time.Now().Add(-g.opts.RecordsOlderThan)
	for _, s := range segs {
		if s.locked {
			c.sealed++
			c.oldBytes += s.size
		}
	}
	links := g.readLinks(all, latest)
	for i, e := range all {
		if !e.seg.locked || links.objects[i] {
			continue // objects are decided once the records are (keepObjects)
		}
		keep, pruned := g.keepEntry(e, latest[e.h.key] == i, cutoff)
		if pruned {
			c.pruned++
		}
		if !keep && pruned && growing[e.h.key] {
			// A growing segment may hold an older entry of the key, which
			// must not come back: a deletion takes the pruned entry's place.
			e.tombstone, keep = true, true
			c.dropped++ // its payload is
		}
		if !keep && e.h.op == logOpDelete && latest[e.h.key] == i && growing[e.h.key] {
			keep = true // it still hides an older entry there
		}
		if keep {
			c.keep = append(c.keep, e)
			c.newBytes += e.newSize()
			links.kept(i)
		} else {
			c.dropped++
		}
	}
	g.keepObjects(&c, all, links)
	return c, nil
}

// keepEntry decides one intact entry of a sealed segment: keep it (the
// latest of its key, a record GC does not prune), or not; pruned reports
// a record GC removes (by age or content).
func (g *gc) keepEntry(e gcEntry, isLatest bool, cutoff time.Time) (keep, pruned bool) {
	switch {
	case !isLatest || e.h.op == logOpDelete:
		return false, false
	case g.opts.PruneRecords && time.Unix(0, e.h.time).Before(cutoff):
		return false, true
	case g.opts.PruneRecordIf == nil:
		return true, false
	}
	data, ok := readLogEntry(logLoc{seg: &logSeg{f: e.seg.f}, off: e.off, n: e.h.n, v1: e.h.v1}, e.h.key)
	if ok && g.opts.PruneRecordIf(data) {
		return false, true
	}
	return true, false // kept even if unreadable now: it checked when walked
}

// writeSegment writes the kept entries into a new sealed segment of dir,
// durably, before it appears under its name. Format 2 entries are copied
// byte for byte, format 1 entries are framed again.
func writeSegment(dir string, keep []gcEntry) error {
	name := randomName() + logSuffix
	tmp := filepath.Join(dir, tempName("-"+name))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	err = copyEntries(f, keep)
	if err == nil {
		err = f.Sync()
	}
	err = errors.Join(err, f.Close())
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, name))
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write compacted segment: %w", err)
	}
	return SyncDir(dir)
}

func copyEntries(f *os.File, keep []gcEntry) error {
	w := bufio.NewWriterSize(f, 256<<10)
	var buf []byte
	for _, e := range keep {
		if e.tombstone {
			if _, err := w.Write(frameLogEntry(e.h.key, logOpDelete, e.h.time, nil)); err != nil {
				return err
			}
			continue
		}
		n := int(e.h.size())
		if cap(buf) < n {
			buf = make([]byte, n)
		}
		buf = buf[:n]
		if _, err := e.seg.f.ReadAt(buf, e.off); err != nil {
			return fmt.Errorf("read segment %s: %w", e.seg.name, err)
		}
		out := buf
		if e.h.v1 {
			out = frameLogEntry(e.h.key, e.h.op, e.h.time, buf[logHeaderSizeV1:])
		}
		if _, err := w.Write(out); err != nil {
			return err
		}
	}
	return w.Flush()
}

// DamagedRecordsDir is where GC keeps the damaged byte ranges of the
// record log of namespace ns.
func (s *Store) DamagedRecordsDir(ns string) string {
	return filepath.Join(s.dir, "records", ns, "damaged")
}

// saveDamaged copies each damaged range, durably, to a file of dir named
// after its segment and offset (<segment>-<offset>.bin).
func saveDamaged(dir string, ranges []damagedRange) error {
	if len(ranges) == 0 {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("keep damaged records: %w", err)
	}
	for _, d := range ranges {
		b := make([]byte, d.to-d.from)
		if _, err := d.seg.f.ReadAt(b, d.from); err != nil {
			return fmt.Errorf("read segment %s: %w", d.seg.name, err)
		}
		name := fmt.Sprintf("%s-%d.bin", strings.TrimSuffix(d.seg.name, logSuffix), d.from)
		if err := writeAtomic(filepath.Join(dir, name), b, 0o644); err != nil {
			return fmt.Errorf("keep damaged records: %w", err)
		}
	}
	return SyncDir(dir)
}
