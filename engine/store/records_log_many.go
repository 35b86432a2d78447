package store

import (
	"fmt"
	"time"
)

// PutMany appends the records in order and returns once all are durable:
// one write and one fdatasync for all of them, where as many Puts would
// wait for one each. A crash may keep a prefix of them (each entry is
// checked on its own), never a later record without the earlier ones. A
// record flagged shared (shared may be nil) is content-addressed, its key
// the digest of its data: it is left out when the segment this process
// appends to holds it already, so content that many records name is
// written once per segment. It goes in a new segment again, so what a
// growing segment's records name is in that segment (GC never removes
// it while they stay).
func (l *RecordLog) PutMany(keys [][32]byte, data [][]byte, shared []bool) error {
	if len(keys) != len(data) || (shared != nil && len(shared) != len(keys)) {
		return fmt.Errorf("put records %s: %d keys for %d records (%d shared flags)", l.ns, len(keys), len(data), len(shared))
	}
	if l.err != nil {
		return l.err
	}
	for i, d := range data {
		if len(d) > logMaxPayload {
			return fmt.Errorf("put record %s/%s: record of %d bytes: larger than %d", l.ns, Digest(keys[i]).Short(), len(d), logMaxPayload)
		}
	}
	now := time.Now().UnixNano()
	frames := make([][]byte, len(keys)) // framed outside the lock: it hashes the data
	for i, k := range keys {
		frames[i] = frameLogEntry(k, logOpPut, now, data[i])
	}
	l.mu.Lock()
	seg, err := l.activeLocked()
	if err != nil {
		l.mu.Unlock()
		return fmt.Errorf("put records %s: %w", l.ns, err)
	}
	var buf []byte
	offs := make([]int, len(keys))
	for i, k := range keys {
		offs[i] = -1
		if shared != nil && shared[i] {
			if loc, ok := l.index[k]; ok && loc.seg == seg && !loc.deleted {
				continue // in this segment already
			}
		}
		offs[i] = len(buf)
		buf = append(buf, frames[i]...)
	}
	off := seg.size.Load()
	if _, err := seg.f.WriteAt(buf, off); err != nil {
		l.mu.Unlock()
		return fmt.Errorf("put records %s: %w", l.ns, err)
	}
	end := off + int64(len(buf))
	seg.size.Store(end)
	seg.scanned = end
	for i, k := range keys {
		if offs[i] >= 0 {
			l.applyLocked(k, logOpPut, logLoc{seg: seg, off: off + int64(offs[i]), n: len(data[i]), modTime: now})
		}
	}
	l.mu.Unlock()
	if err := seg.syncThrough(end); err != nil {
		return fmt.Errorf("put records %s: %w", l.ns, err)
	}
	return nil
}
