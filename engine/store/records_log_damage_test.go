package store

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// segEntry is one record of a test segment and where its entry lies.
type segEntry struct {
	key      [32]byte
	val      string
	from, to int
}

// frameLogEntryV1 frames an entry in format 1 (no header CRC), as sptflow
// wrote them before format 2.
func frameLogEntryV1(key [32]byte, op byte, t int64, data []byte) []byte {
	return append(frameHeader(logMagicV1, logHeaderSizeV1, key, op, t, data), data...)
}

// testSegment frames a handful of records (one empty, one holding what
// looks like magic numbers) in the given format.
func testSegment(name string, v1 bool) ([]byte, []segEntry) {
	vals := []string{"first response", "", "spl\x02spl\x01 looks like a header", `{"text":"a longer response, a few dozen bytes"}`, "last"}
	var seg []byte
	var ents []segEntry
	for i, v := range vals {
		k := key(fmt.Sprint(name, i))
		frame := frameLogEntry
		if v1 {
			frame = frameLogEntryV1
		}
		e := segEntry{key: k, val: v, from: len(seg)}
		seg = append(seg, frame(k, logOpPut, int64(1000+i), []byte(v))...)
		e.to = len(seg)
		ents = append(ents, e)
	}
	return seg, ents
}

// damageStore is a store whose record log "r" is rewritten for each case.
type damageStore struct {
	t   *testing.T
	dir string
	s   *Store
}

func newDamageStore(t *testing.T) *damageStore {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return &damageStore{t: t, dir: dir, s: s}
}

// reset replaces the log with the given sealed segments.
func (d *damageStore) reset(segs ...[]byte) {
	d.t.Helper()
	logDir := filepath.Join(d.dir, "records", "r", "log")
	for _, p := range []string{logDir, d.s.DamagedRecordsDir("r")} {
		if err := os.RemoveAll(p); err != nil {
			d.t.Fatal(err)
		}
	}
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		d.t.Fatal(err)
	}
	for i, seg := range segs {
		if err := os.WriteFile(filepath.Join(logDir, fmt.Sprintf("seg%d%s", i, logSuffix)), seg, 0o644); err != nil {
			d.t.Fatal(err)
		}
	}
}

// check reads every record back: each must read its exact value, except
// the lost ones, which may read nothing (never another value).
func (d *damageStore) check(what string, ents []segEntry, lost func(segEntry) bool) {
	d.t.Helper()
	l := d.s.RecordLog("r")
	defer l.Close()
	for i, e := range ents {
		got, ok, err := l.Get(e.key)
		switch {
		case err != nil:
			d.t.Fatalf("%s: Get record %d: %v", what, i, err)
		case ok && string(got) != e.val:
			d.t.Fatalf("%s: record %d: got %q, want %q", what, i, got, e.val)
		case !ok && !lost(e):
			d.t.Fatalf("%s: record %d [%d,%d) lost, want only the damaged entry lost", what, i, e.from, e.to)
		}
	}
}

// gc compacts the log and returns its stats and the bytes GC kept as
// damaged, in file-name order.
func (d *damageStore) gc(opts GCOptions) (GCStats, []byte) {
	d.t.Helper()
	opts.Namespace = "r"
	st, err := d.s.GC(nil, opts)
	if err != nil {
		d.t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(d.s.DamagedRecordsDir("r"), "*.bin"))
	slices.Sort(files)
	var kept []byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			d.t.Fatal(err)
		}
		kept = append(kept, b...)
	}
	return st, kept
}

// TestRecordLogSurvivesEveryFlip flips every byte of a small segment in
// turn (and truncates it at every offset), in both entry formats: each
// flip loses at most the entry it hits, every other record reads back
// exactly, and GC (after each single-bit flip and each truncation) keeps
// every intact entry, counts exactly the hit entry's bytes as damaged and
// keeps a copy of them; a second GC (on a sample) finds nothing damaged.
func TestRecordLogSurvivesEveryFlip(t *testing.T) {
	for _, v1 := range []bool{false, true} {
		t.Run(fmt.Sprintf("format1=%v", v1), func(t *testing.T) {
			t.Parallel() // fsync-bound: the two overlap
			d := newDamageStore(t)
			orig, ents := testSegment("k", v1)
			hit := func(i int) func(segEntry) bool {
				return func(e segEntry) bool { return e.from <= i && i < e.to }
			}
			for i := range orig {
				for _, mask := range []byte{0x01, 0x80, 0xff} {
					seg := slices.Clone(orig)
					seg[i] ^= mask
					what := fmt.Sprintf("byte %d ^ %#x", i, mask)
					d.reset(seg)
					d.check(what, ents, hit(i))
					if mask != 0x01 || testing.Short() && i%7 != 0 {
						continue // gc after each single-bit flip (a sample with -short)
					}
					st, kept := d.gc(GCOptions{})
					d.check(what+", after gc", ents, hit(i))
					e := ents[slices.IndexFunc(ents, hit(i))]
					if st.Damaged != int64(e.to-e.from) || !bytes.Equal(kept, seg[e.from:e.to]) {
						t.Fatalf("%s: gc: %d damaged bytes, kept %q; want the hit entry's %d bytes %q",
							what, st.Damaged, kept, e.to-e.from, seg[e.from:e.to])
					}
					if st.Bytes != 0 {
						t.Fatalf("%s: gc reclaimed %d bytes, want 0 (nothing but damage to drop)", what, st.Bytes)
					}
					if i%16 != 0 {
						continue // a second gc for a sample of the offsets
					}
					if st, _ := d.gc(GCOptions{}); st.Damaged != 0 {
						t.Fatalf("%s: second gc: %d damaged bytes, want 0", what, st.Damaged)
					}
					d.check(what+", after a second gc", ents, hit(i))
				}
			}
			for n := range len(orig) {
				what := fmt.Sprintf("truncated at %d", n)
				cut := func(e segEntry) bool { return e.to > n }
				d.reset(orig[:n])
				d.check(what, ents, cut)
				if testing.Short() && n%7 != 0 {
					continue
				}
				st, kept := d.gc(GCOptions{})
				d.check(what+", after gc", ents, cut)
				start := ents[slices.IndexFunc(ents, cut)].from
				if st.Damaged != int64(n-start) || !bytes.Equal(kept, orig[start:n]) {
					t.Fatalf("%s: gc: %d damaged bytes, kept %q; want the torn entry's %d bytes", what, st.Damaged, kept, n-start)
				}
			}
		})
	}
}

// TestRecordLogGCDamagedFirstSegment: with two sealed segments, the first
// (format 1) damaged in an entry header, GC keeps every intact record of
// both, rewritten in format 2, reports the damaged entry's bytes apart
// from reclaimed bytes and keeps them, unless told to drop them.
func TestRecordLogGCDamagedFirstSegment(t *testing.T) {
	first, ents1 := testSegment("a", true)
	second, ents2 := testSegment("b", false)
	hitEntry := ents1[1]
	first[hitEntry.from+6] ^= 0x10 // its length
	all := append(slices.Clone(ents1), ents2...)
	lost := func(e segEntry) bool { return e.key == hitEntry.key }
	for _, drop := range []bool{false, true} {
		t.Run(fmt.Sprintf("drop=%v", drop), func(t *testing.T) {
			d := newDamageStore(t)
			d.reset(first, second)
			d.check("before gc", all, lost)
			st, kept := d.gc(GCOptions{DropDamaged: drop})
			d.check("after gc", all, lost)
			size := int64(hitEntry.to - hitEntry.from)
			if st.Damaged != size || st.Bytes != 0 {
				t.Errorf("gc: %d damaged, %d reclaimed bytes; want %d and 0", st.Damaged, st.Bytes, size)
			}
			want := first[hitEntry.from:hitEntry.to]
			if drop {
				want = nil
			}
			if !bytes.Equal(kept, want) {
				t.Errorf("kept damaged bytes %q, want %q", kept, want)
			}
			segs := logSegments(t, d.dir, "r")
			if len(segs) != 1 {
				t.Fatalf("segments after gc: %v, want one", segs)
			}
			b, err := os.ReadFile(segs[0])
			if err != nil {
				t.Fatal(err)
			}
			if want := len(first) + len(second) - int(size) + 4*(len(ents1)-1); len(b) != want {
				t.Errorf("compacted segment: %d bytes, want %d (format 1 entries rewritten in format 2)", len(b), want)
			}
			w := &segWalker{f: bytes.NewReader(b), size: int64(len(b)), verify: true}
			n := 0
			end, err := w.walk(0, func(off int64, h logHeader) {
				if h.v1 {
					t.Errorf("entry at %d still in format 1", off)
				}
				n++
			}, func(from, to int64) { t.Errorf("damage at [%d,%d) of the compacted segment", from, to) })
			if err != nil || end != int64(len(b)) || n != len(all)-1 {
				t.Errorf("walk of the compacted segment: %d entries, end %d, err %v; want %d, %d", n, end, err, len(all)-1, len(b))
			}
		})
	}
}

// FuzzRecordLogWalk: on any bytes, a verifying walk reports intact
// entries and damaged ranges that tile the segment from 0 to where it
// stops, and stops only before an incomplete entry at the end.
func FuzzRecordLogWalk(f *testing.F) {
	seg, _ := testSegment("f", false)
	segV1, _ := testSegment("f", true)
	f.Add(seg, 10, byte(1))
	f.Add(segV1, 90, byte(0x80))
	f.Add(append(slices.Clone(segV1), seg...), 200, byte(0xff))
	f.Fuzz(func(t *testing.T, b []byte, at int, mask byte) {
		if len(b) > 0 {
			b[(at%len(b)+len(b))%len(b)] ^= mask
		}
		w := &segWalker{f: bytes.NewReader(b), size: int64(len(b)), verify: true}
		next := int64(0)
		end, err := w.walk(0, func(off int64, h logHeader) {
			if off != next {
				t.Fatalf("entry at %d, want %d", off, next)
			}
			e := b[off : off+h.size()]
			if logSum(e[:logHeadSize], e[h.headerLen():]) != h.sum {
				t.Fatalf("entry at %d reported intact, its checksum does not match", off)
			}
			next = off + h.size()
		}, func(from, to int64) {
			if from != next || to <= from {
				t.Fatalf("damaged [%d,%d), want from %d", from, to, next)
			}
			next = to
		})
		if err != nil || end != next {
			t.Fatalf("walk stopped at %d (err %v), ranges cover up to %d", end, err, next)
		}
		if end < int64(len(b)) {
			if _, st, _ := w.entry(end); st != entryIncomplete && st != entryBad {
				t.Fatalf("walk stopped at %d before a readable entry", end)
			}
		}
	})
}

// TestRecordLogResyncLargeEntries: entries larger than a read window,
// whose payloads are full of near-magic text, are found again past a
// damaged header.
func TestRecordLogResyncLargeEntries(t *testing.T) {
	d := newDamageStore(t)
	big := bytes.Repeat([]byte("display; split; spl\x03; "), 3*walkWindow/20)
	var seg []byte
	var ents []segEntry
	for i := range 3 {
		k := key(fmt.Sprint("big", i))
		e := segEntry{key: k, val: fmt.Sprint(i, string(big)), from: len(seg)}
		seg = append(seg, frameLogEntry(k, logOpPut, int64(i), []byte(e.val))...)
		e.to = len(seg)
		ents = append(ents, e)
	}
	seg[6] ^= 0x01 // the first entry's length
	lost := func(e segEntry) bool { return e.from == 0 }
	d.reset(seg)
	d.check("damaged first header", ents, lost)
	st, kept := d.gc(GCOptions{})
	d.check("after gc", ents, lost)
	if st.Damaged != int64(ents[0].to) || !bytes.Equal(kept, seg[:ents[0].to]) {
		t.Errorf("gc: %d damaged bytes, want %d", st.Damaged, ents[0].to)
	}
}
