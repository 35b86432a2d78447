package store

import (
	"bytes"
	"io"
)

// walkWindow is how much of a segment a walk reads at once.
const walkWindow = 256 << 10

// segWalker reads the entries of one segment in order, through a window
// of walkWindow bytes (payloads are skipped, not read, unless verified).
type segWalker struct {
	f      io.ReaderAt
	size   int64 // bytes of the segment to read
	verify bool  // check every payload's SHA-256 (format 1 payloads always are)

	win    []byte
	winOff int64
}

// entryState is what a walk finds at an offset.
type entryState int

const (
	entryOK         entryState = iota
	entryIncomplete            // a header or payload cut short by the end of the segment
	entryBad                   // no entry starts here
	entryDamaged               // a format 2 header that checks, its payload does not
)

// at returns n bytes at off, or fewer at the end of the segment.
func (w *segWalker) at(off int64, n int) ([]byte, error) {
	if off >= w.winOff && off+int64(n) <= w.winOff+int64(len(w.win)) {
		return w.win[off-w.winOff:][:n], nil
	}
	m := int(min(int64(max(n, walkWindow)), w.size-off))
	if m <= 0 {
		return nil, nil
	}
	if cap(w.win) < m {
		w.win = make([]byte, m)
	}
	w.win, w.winOff = w.win[:m], off
	k, err := w.f.ReadAt(w.win, off)
	if err != nil && err != io.EOF {
		w.win = w.win[:0]
		return nil, err
	}
	w.win = w.win[:k]
	return w.win[:min(n, k)], nil
}

// entry tells what starts at off.
func (w *segWalker) entry(off int64) (logHeader, entryState, error) {
	b, err := w.at(off, logHeaderSize)
	if err != nil {
		return logHeader{}, entryBad, err
	}
	h, need, ok := parseLogHeader(b)
	switch {
	case need > len(b):
		return h, entryIncomplete, nil
	case !ok:
		return h, entryBad, nil
	case off+h.size() > w.size:
		if h.v1 { // an unchecked length: perhaps damaged
			return h, entryBad, nil
		}
		return h, entryIncomplete, nil
	case !h.v1 && !w.verify:
		return h, entryOK, nil
	}
	e, err := w.at(off, int(h.size()))
	if err != nil {
		return h, entryBad, err
	}
	if int64(len(e)) < h.size() || logSum(e[:logHeadSize], e[h.headerLen():]) != h.sum {
		if h.v1 {
			return h, entryBad, nil
		}
		return h, entryDamaged, nil
	}
	return h, entryOK, nil
}

// walk calls entry for every entry from off on, in order, and damaged
// (if not nil) for every byte range between them that holds no intact
// entry. It returns where it stopped: the end of the segment, or the
// start of an incomplete entry at the end (its writer may still be
// appending it, or a crash tore it), after which nothing checks.
func (w *segWalker) walk(off int64, entry func(off int64, h logHeader), damaged func(from, to int64)) (int64, error) {
	if damaged == nil {
		damaged = func(from, to int64) {}
	}
	retried := int64(-1)
	for off < w.size {
		h, st, err := w.entry(off)
		if err != nil {
			return off, err
		}
		switch st {
		case entryOK:
			entry(off, h)
			off += h.size()
			continue
		case entryDamaged:
			damaged(off, off+h.size())
			off += h.size()
			continue
		case entryIncomplete:
			return off, nil
		}
		next, found, err := w.resync(off + 1)
		if err != nil || !found {
			return off, err
		}
		if retried != off {
			// A later entry is complete, so a concurrent writer has
			// finished this one if it was writing it: look again, once.
			retried = off
			w.win = w.win[:0]
			continue
		}
		damaged(off, next)
		off = next
	}
	return off, nil
}

// resync returns the offset of the first entry at or after from (an
// intact one, one whose payload is damaged, or an incomplete one at the
// end): the next magic whose header checks.
func (w *segWalker) resync(from int64) (int64, bool, error) {
	prefix := logMagic[:3] // both formats
	for p := from; p < w.size; {
		b, err := w.at(p, walkWindow)
		if err != nil {
			return 0, false, err
		}
		c := int64(-1)
		for i := 0; c < 0; {
			j := bytes.Index(b[i:], prefix)
			if j < 0 {
				break
			}
			i += j
			if i+3 >= len(b) || b[i+3] == logMagic[3] || b[i+3] == logMagicV1[3] {
				c = p + int64(i) // a candidate: check it (this moves the window)
			}
			i++
		}
		if c < 0 {
			if len(b) < len(prefix) {
				return 0, false, nil
			}
			p += int64(len(b) - len(prefix) + 1) // a magic may straddle windows
			continue
		}
		if _, st, err := w.entry(c); err != nil {
			return 0, false, err
		} else if st != entryBad {
			return c, true, nil
		}
		p = c + 1
	}
	return 0, false, nil
}
