package store

import (
	"fmt"
	"time"
)

// PutMany appends the records in order and returns once all are durable:
// one write and one fdatasync for all of them, where as many Puts would
// wait for one each. A crash may keep a prefix of them (each entry is
// checked on its own), never a later record without the earlier ones.
func (l *RecordLog) PutMany(keys [][32]byte, data [][]byte) error {
	if len(keys) != len(data) {
		return fmt.Errorf("put records %s: %d keys for %d records", l.ns, len(keys), len(data))
	}
	if l.err != nil {
		return l.err
	}
	now := time.Now().UnixNano()
	var buf []byte
	offs := make([]int, len(keys))
	for i, d := range data {
		if len(d) > logMaxPayload {
			return fmt.Errorf("put record %s/%s: record of %d bytes: larger than %d", l.ns, Digest(keys[i]).Short(), len(d), logMaxPayload)
		}
		offs[i] = len(buf)
		buf = append(buf, frameLogEntry(keys[i], logOpPut, now, d)...)
	}
	l.mu.Lock()
	seg, err := l.activeLocked()
	if err != nil {
		l.mu.Unlock()
		return fmt.Errorf("put records %s: %w", l.ns, err)
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
		l.applyLocked(k, logOpPut, logLoc{seg: seg, off: off + int64(offs[i]), n: len(data[i]), modTime: now})
	}
	l.mu.Unlock()
	if err := seg.syncThrough(end); err != nil {
		return fmt.Errorf("put records %s: %w", l.ns, err)
	}
	return nil
}
