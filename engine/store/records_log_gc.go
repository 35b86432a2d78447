package store

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sptflow/sptflow/regfile"
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
// unless GCOptions.DropDamaged. A segment that cannot be opened or read is
// left alone, never removed, and reported (GCStats.Unreadable, and once
// per process through Store.Warnings); the others are compacted.
func (g *gc) compactLog() error {
	dir := filepath.Join(g.s.dir, "records", g.opts.Namespace, "log")
	segs, err := g.lockSealedSegments(dir)
	if err != nil || len(segs) == 0 {
		return err
	}
	defer closeSegments(segs)
	plan := g.planCompaction(dir, segs)
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
		if s.compacted() {
			if err := os.Remove(filepath.Join(dir, s.name)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
	}
	return SyncDir(dir)
}

// gcSegment is a segment as GC sees it: locked (sealed, GC compacts it) or
// not (its writer is alive); unread when it could not be opened (f is nil)
// or read, which GC reports and leaves alone.
type gcSegment struct {
	name   string
	f      *os.File
	locked bool
	unread bool
	size   int64
}

// compacted reports whether GC rewrites the segment's entries and then
// removes it.
func (s *gcSegment) compacted() bool { return s.locked && !s.unread }

// lockSealedSegments opens every segment of dir, taking the exclusive lock
// of each sealed one (which also keeps other GCs off it). A segment that
// cannot be opened is reported and unread; one removed meanwhile is left
// out.
func (g *gc) lockSealedSegments(dir string) ([]*gcSegment, error) {
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
		f, fi, err := regfile.Open(filepath.Join(dir, e.Name()), 0) // never blocks on a named pipe
		if errors.Is(err, os.ErrNotExist) {
			continue // removed meanwhile
		}
		if err != nil {
			g.unreadableSegment(dir, e.Name(), err)
			segs = append(segs, &gcSegment{name: e.Name(), unread: true})
			continue
		}
		s := &gcSegment{name: e.Name(), f: f, size: fi.Size()}
		if s.locked, err = tryLock(f); err != nil {
			closeSegments(append(segs, s))
			return nil, fmt.Errorf("lock segment %s: %w", e.Name(), err)
		}
		segs = append(segs, s)
	}
	return segs, nil
}

// unreadableSegment reports a segment GC cannot read and leaves alone.
func (g *gc) unreadableSegment(dir, name string, err error) {
	p := filepath.Join(dir, name)
	g.stats.Unreadable++
	g.s.warnOnce("gc "+p, fmt.Sprintf("record log %s: segment %s cannot be read (%v); gc left it alone", g.opts.Namespace, p, cause(err)))
}

func closeSegments(segs []*gcSegment) {
	for _, s := range segs {
		if s.f != nil {
			s.f.Close() // drops the lock
		}
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
func (g *gc) planCompaction(dir string, segs []*gcSegment) compaction {
	var c compaction
	x := g.indexSegments(dir, segs, &c)
	for _, d := range c.damaged {
		c.damagedBytes += d.to - d.from
	}
	cutoff := time.Now().Add(-g.opts.RecordsOlderThan)
	for _, s := range segs {
		if s.compacted() {
			c.sealed++
			c.oldBytes += s.size
		}
	}
	links := g.readLinks(x.all, x.latest)
	for i, e := range x.all {
		if !e.seg.locked || links.objects[i] {
			continue // objects are decided once the records are (keepObjects)
		}
		isLatest := x.latest[e.h.key] == i
		keep, pruned := g.keepEntry(e, isLatest, cutoff)
		if pruned {
			c.pruned++
		}
		if !keep && pruned && x.elsewhere(e.h.key) {
			// A growing segment (or one GC could not read) may hold an
			// older entry of the key, which must not come back: a deletion
			// takes the pruned entry's place.
			e.tombstone, keep = true, true
			c.dropped++ // its payload is
		}
		if !keep && e.h.op == logOpDelete && isLatest && x.elsewhere(e.h.key) {
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
	g.keepObjects(&c, x.all, links)
	return c
}

// gcIndex is what GC read of a log's segments.
type gcIndex struct {
	all     []gcEntry
	latest  map[[32]byte]int  // key -> index in all of its latest entry
	growing map[[32]byte]bool // keys with an entry in a growing segment
	unseen  bool              // a segment could not be read
}

// elsewhere reports whether an entry of key may lie where GC does not
// rewrite it: in a growing segment, or in a segment GC could not read
// (which may hold any key).
func (x *gcIndex) elsewhere(key [32]byte) bool { return x.unseen || x.growing[key] }

// indexSegments reads and verifies the entries of every segment, adding
// the damaged ranges of sealed ones to c. A segment that fails to read is
// reported and marked unread.
func (g *gc) indexSegments(dir string, segs []*gcSegment, c *compaction) *gcIndex {
	x := &gcIndex{latest: map[[32]byte]int{}, growing: map[[32]byte]bool{}}
	for _, s := range segs {
		if s.unread {
			x.unseen = true
			continue
		}
		ents, damaged, err := walkGCSegment(s)
		if err != nil {
			s.unread, x.unseen = true, true
			g.unreadableSegment(dir, s.name, err)
			continue
		}
		for _, e := range ents {
			if i, ok := x.latest[e.h.key]; !ok || x.all[i].h.time <= e.h.time {
				x.latest[e.h.key] = len(x.all)
			}
			if !s.locked {
				x.growing[e.h.key] = true
			}
			x.all = append(x.all, e)
		}
		c.damaged = append(c.damaged, damaged...)
	}
	return x
}

// walkGCSegment reads and verifies the entries of s; for a sealed
// segment, it also returns the byte ranges that hold no intact entry.
func walkGCSegment(s *gcSegment) ([]gcEntry, []damagedRange, error) {
	var ents []gcEntry
	var damaged []damagedRange
	w := &segWalker{f: s.f, size: s.size, verify: true}
	end, err := w.walk(0, func(off int64, h logHeader) {
		ents = append(ents, gcEntry{seg: s, off: off, h: h})
	}, func(from, to int64) {
		if s.locked {
			damaged = append(damaged, damagedRange{s, from, to})
		}
	})
	if err != nil {
		return nil, nil, err
	}
	if s.locked && end < s.size {
		damaged = append(damaged, damagedRange{s, end, s.size})
	}
	return ents, damaged, nil
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
