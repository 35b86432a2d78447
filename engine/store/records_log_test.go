package store

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

var _ recordStore = (*RecordLog)(nil)

// reopen opens the store at dir again, as another process would.
func reopenLog(t *testing.T, dir, ns string) *RecordLog {
	t.Helper()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	l := s.RecordLog(ns)
	t.Cleanup(func() { l.Close() })
	return l
}

func mustGet(t *testing.T, l *RecordLog, k [32]byte, want string) {
	t.Helper()
	got, ok, err := l.Get(k)
	if err != nil || !ok || string(got) != want {
		t.Fatalf("Get: got %q ok=%v err=%v, want %q", got, ok, err, want)
	}
}

func mustMiss(t *testing.T, l *RecordLog, k [32]byte) {
	t.Helper()
	if got, ok, err := l.Get(k); ok || err != nil {
		t.Fatalf("Get: got %q ok=%v err=%v, want a miss", got, ok, err)
	}
}

func TestRecordLogRoundTrip(t *testing.T) {
	s := openTest(t)
	l := s.RecordLog("requests")
	defer l.Close()
	mustMiss(t, l, key("a"))
	for _, v := range []string{"first", "", "replaced"} {
		if err := l.Put(key("a"), []byte(v)); err != nil {
			t.Fatal(err)
		}
		mustGet(t, l, key("a"), v)
	}
	other := s.RecordLog("other")
	defer other.Close()
	mustMiss(t, other, key("a"))
	if err := l.Delete(key("a")); err != nil {
		t.Fatal(err)
	}
	mustMiss(t, l, key("a"))
	if err := l.Delete(key("never")); err != nil {
		t.Fatalf("Delete of a missing record: %v", err)
	}
	if err := s.RecordLog("../x").Put(key("a"), nil); err == nil {
		t.Fatal("Put in an invalid namespace: no error")
	}
}

func TestRecordLogDurableAcrossOpens(t *testing.T) {
	dir := t.TempDir()
	l := reopenLog(t, dir, "requests")
	for i := range 20 {
		if err := l.Put(key(fmt.Sprint(i)), []byte(fmt.Sprint("v", i))); err != nil {
			t.Fatal(err)
		}
	}
	l.Put(key("0"), []byte("v0 again"))
	l.Delete(key("1"))
	l.Close()

	l2 := reopenLog(t, dir, "requests")
	mustGet(t, l2, key("0"), "v0 again")
	mustMiss(t, l2, key("1"))
	for i := 2; i < 20; i++ {
		mustGet(t, l2, key(fmt.Sprint(i)), fmt.Sprint("v", i))
	}
	// A second writer appends to a segment of its own.
	if err := l2.Put(key("new"), []byte("n")); err != nil {
		t.Fatal(err)
	}
	segs, _ := filepath.Glob(filepath.Join(dir, "records", "requests", "log", "*"+logSuffix))
	if len(segs) != 2 {
		t.Errorf("got %d segments, want 2 (one per writer)", len(segs))
	}
	mustGet(t, reopenLog(t, dir, "requests"), key("new"), "n")
}

// TestRecordLogSeesOtherWriters: two open logs on one directory behave as
// two processes; a miss picks up what the other appended since.
func TestRecordLogSeesOtherWriters(t *testing.T) {
	dir := t.TempDir()
	a, b := reopenLog(t, dir, "requests"), reopenLog(t, dir, "requests")
	mustMiss(t, b, key("x"))
	if err := a.Put(key("x"), []byte("from a")); err != nil {
		t.Fatal(err)
	}
	mustGet(t, b, key("x"), "from a")
	if err := b.Put(key("y"), []byte("from b")); err != nil {
		t.Fatal(err)
	}
	mustGet(t, a, key("y"), "from b")
	b.Delete(key("x"))
	mustMiss(t, reopenLog(t, dir, "requests"), key("x"))
}

func TestRecordLogTornAndDamagedEntries(t *testing.T) {
	tests := []struct {
		name    string
		damage  func(data []byte) []byte // of the segment holding "a" then "b"
		wantA   bool
		wantB   bool
		appends bool // a later writer still works
	}{
		{"torn header", func(d []byte) []byte { return append(d, logMagic[:]...) }, true, true, true},
		{"torn payload", func(d []byte) []byte { return d[:len(d)-2] }, true, false, true},
		{"garbage tail", func(d []byte) []byte { return append(d, make([]byte, 100)...) }, true, true, true},
		{"flipped payload byte", func(d []byte) []byte { d[len(d)-1] ^= 1; return d }, true, false, true},
		{"flipped key byte", func(d []byte) []byte { d[17] ^= 1; return d }, false, true, true},
		{"huge length", func(d []byte) []byte {
			binary.BigEndian.PutUint32(d[5:9], 1<<31)
			return d
		}, false, true, true}, // b is found past the damaged header
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			l := reopenLog(t, dir, "r")
			l.Put(key("a"), []byte("payload a"))
			l.Put(key("b"), []byte("payload b"))
			seg := filepath.Join(dir, "records", "r", "log", l.active.name)
			l.Close()
			data, err := os.ReadFile(seg)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(seg, tt.damage(data), 0o644); err != nil {
				t.Fatal(err)
			}
			l2 := reopenLog(t, dir, "r")
			for _, c := range []struct {
				k    string
				want bool
			}{{"a", tt.wantA}, {"b", tt.wantB}} {
				got, ok, err := l2.Get(key(c.k))
				if err != nil || ok != c.want || (ok && string(got) != "payload "+c.k) {
					t.Errorf("Get %s: got %q ok=%v err=%v, want ok=%v", c.k, got, ok, err, c.want)
				}
			}
			if err := l2.Put(key("c"), []byte("c")); err != nil {
				t.Fatal(err)
			}
			mustGet(t, reopenLog(t, dir, "r"), key("c"), "c")
		})
	}
}

func TestRecordLogRange(t *testing.T) {
	l := openTest(t).RecordLog("r")
	defer l.Close()
	before := time.Now()
	for _, k := range []string{"c", "a", "b", "gone"} {
		l.Put(key(k), []byte(k))
	}
	l.Delete(key("gone"))
	var got [][32]byte
	err := l.Range(func(k [32]byte, mod time.Time) bool {
		if mod.Before(before) || mod.After(time.Now()) {
			t.Errorf("mod time %v outside the test", mod)
		}
		got = append(got, k)
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("got %d keys, want 3", len(got))
	}
	for i := 1; i < len(got); i++ {
		if string(got[i-1][:]) >= string(got[i][:]) {
			t.Errorf("keys out of order at %d", i)
		}
	}
	n := 0
	l.Range(func([32]byte, time.Time) bool { n++; return false })
	if n != 1 {
		t.Errorf("Range went on after false: %d calls", n)
	}
}

// TestRecordLogConcurrentPuts: Puts from many goroutines share fdatasyncs
// and every acknowledged record is there after reopening.
func TestRecordLogConcurrentPuts(t *testing.T) {
	dir := t.TempDir()
	l := reopenLog(t, dir, "r")
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 25 {
				k := fmt.Sprint(g, "/", i)
				if err := l.Put(key(k), []byte(k)); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	l.Close()
	l2 := reopenLog(t, dir, "r")
	for g := range 8 {
		for i := range 25 {
			k := fmt.Sprint(g, "/", i)
			mustGet(t, l2, key(k), k)
		}
	}
}

func BenchmarkRecordLogPut(b *testing.B) {
	l := openTest(b).RecordLog("requests")
	defer l.Close()
	benchmarkPut(b, l)
}

func BenchmarkRecordLogGet(b *testing.B) {
	l := openTest(b).RecordLog("requests")
	defer l.Close()
	l.Put(key("k"), randomBytes(b, 4<<10))
	for b.Loop() {
		if _, ok, err := l.Get(key("k")); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

// TestRecordLogListingShortcut: once the log directory is old, a miss
// stats it instead of listing it, and still sees new segments and appends.
func TestRecordLogListingShortcut(t *testing.T) {
	dir := t.TempDir()
	a := reopenLog(t, dir, "r")
	a.Put(key("x"), []byte("x"))
	logDir := filepath.Join(dir, "records", "r", "log")
	past := time.Now().Add(-time.Hour)
	if err := os.Chtimes(logDir, past, past); err != nil {
		t.Fatal(err)
	}
	b := reopenLog(t, dir, "r")
	mustMiss(t, b, key("y"))
	if !b.dirMod.Equal(past) {
		t.Fatalf("dirMod: got %v, want %v", b.dirMod, past)
	}
	a.Put(key("z"), []byte("z")) // appended to a segment b knows
	mustGet(t, b, key("z"), "z")
	c := reopenLog(t, dir, "r")
	c.Put(key("y"), []byte("y")) // a new segment: the directory changes
	mustGet(t, b, key("y"), "y")
}

// TestRecordLogReadsPerFileRecords: records written by Records stay
// readable after switching the namespace to RecordLog.
func TestRecordLogReadsPerFileRecords(t *testing.T) {
	s := openTest(t)
	files := s.Records("r")
	files.Put(key("old"), []byte("from a file"))
	files.Put(key("both"), []byte("file version"))
	l := s.RecordLog("r")
	defer l.Close()
	mustGet(t, l, key("old"), "from a file")
	l.Put(key("both"), []byte("log version"))
	mustGet(t, l, key("both"), "log version")
	l.Put(key("new"), []byte("n"))

	n := 0
	l.Range(func(k [32]byte, _ time.Time) bool {
		n++
		return true
	})
	if n != 3 {
		t.Errorf("Range: got %d keys, want 3 (old, both, new)", n)
	}
	if err := l.Delete(key("old")); err != nil {
		t.Fatal(err)
	}
	mustMiss(t, l, key("old"))
	if _, ok, _ := files.Get(key("old")); ok {
		t.Error("Delete left the per-file record")
	}
}

// logSegments lists the segment files of namespace ns in dir.
func logSegments(t *testing.T, dir, ns string) []string {
	t.Helper()
	segs, err := filepath.Glob(filepath.Join(dir, "records", ns, "log", "*"+logSuffix))
	if err != nil {
		t.Fatal(err)
	}
	return segs
}

func gcLog(t *testing.T, dir string, opts GCOptions) GCStats {
	t.Helper()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	opts.Namespace = "r"
	st, err := s.GC(nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestRecordLogSealedSegments: a segment whose writer is alive is growing
// (read again on a miss); once its writer has closed it, it is sealed.
func TestRecordLogSealedSegments(t *testing.T) {
	dir := t.TempDir()
	a, b := reopenLog(t, dir, "r"), reopenLog(t, dir, "r")
	a.Put(key("x"), []byte("x"))
	mustGet(t, b, key("x"), "x")
	if seg := b.segs[a.active.name]; seg == nil || seg.sealed {
		t.Fatalf("a's segment as b sees it while a lives: %+v, want growing", seg)
	}
	name := a.active.name
	a.Close()
	c := reopenLog(t, dir, "r")
	mustGet(t, c, key("x"), "x")
	if seg := c.segs[name]; seg == nil || !seg.sealed {
		t.Fatalf("a's segment after a closed: %+v, want sealed", seg)
	}
	if tmps, _ := filepath.Glob(filepath.Join(dir, "records", "r", "log", TempPrefix+"*")); len(tmps) != 0 {
		t.Errorf("temp files left: %v", tmps)
	}
}

// TestRecordLogGCCompacts: GC rewrites sealed segments without replaced,
// deleted and pruned entries, leaves a live writer's segment alone, and
// every reader sees the same records as before, minus the pruned ones.
func TestRecordLogGCCompacts(t *testing.T) {
	dir := t.TempDir()
	a := reopenLog(t, dir, "r")
	for _, k := range []string{"a", "b", "c", "d"} {
		a.Put(key(k), []byte("ok "+k))
	}
	a.Put(key("a"), []byte("ok a again"))
	a.Delete(key("b"))
	a.Put(key("f"), []byte("failed f"))
	fi0, err := os.Stat(filepath.Join(dir, "records", "r", "log", a.active.name))
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	live := reopenLog(t, dir, "r")
	live.Put(key("h"), []byte("ok h"))
	liveSeg := filepath.Join(dir, "records", "r", "log", live.active.name)

	dry := gcLog(t, dir, GCOptions{DryRun: true, PruneRecordIf: func(d []byte) bool { return strings.HasPrefix(string(d), "failed") }})
	if dry.Records != 1 || len(logSegments(t, dir, "r")) != 2 {
		t.Fatalf("dry run: %d records, %d segments; want 1 and nothing changed", dry.Records, len(logSegments(t, dir, "r")))
	}
	st := gcLog(t, dir, GCOptions{PruneRecordIf: func(d []byte) bool { return strings.HasPrefix(string(d), "failed") }})
	if st.Records != 1 {
		t.Errorf("pruned %d records, want 1 (f)", st.Records)
	}
	after := logSegments(t, dir, "r")
	if len(after) != 2 || !slices.Contains(after, liveSeg) {
		t.Fatalf("segments after GC: %v, want the live one and one compacted", after)
	}
	for _, p := range after {
		if p != liveSeg {
			if fi, _ := os.Stat(p); fi.Size() >= fi0.Size() || st.Bytes <= 0 {
				t.Errorf("compacted segment %d bytes (was %d), reclaimed %d", fi.Size(), fi0.Size(), st.Bytes)
			}
		}
	}
	fresh := reopenLog(t, dir, "r")
	for _, l := range []*RecordLog{fresh, live} {
		mustGet(t, l, key("a"), "ok a again")
		mustGet(t, l, key("c"), "ok c")
		mustGet(t, l, key("d"), "ok d")
		mustGet(t, l, key("h"), "ok h")
		mustMiss(t, l, key("b"))
	}
	mustMiss(t, fresh, key("f"))
	live.Put(key("i"), []byte("ok i")) // the live writer goes on
	mustGet(t, reopenLog(t, dir, "r"), key("i"), "ok i")

	// A second GC finds nothing to reclaim and rewrites nothing.
	st = gcLog(t, dir, GCOptions{})
	if again := logSegments(t, dir, "r"); st.Records != 0 || !slices.Equal(again, after) {
		t.Errorf("second GC: %d records, segments %v, want none and %v", st.Records, again, after)
	}
}

// TestRecordLogGCPrunedStaysPruned: pruning the latest entry of a key
// whose older entry sits in a live writer's segment leaves a deletion, so
// the older entry does not come back.
func TestRecordLogGCPrunedStaysPruned(t *testing.T) {
	dir := t.TempDir()
	live := reopenLog(t, dir, "r")
	live.Put(key("k"), []byte("older"))
	a := reopenLog(t, dir, "r")
	a.Put(key("k"), []byte("newer"))
	a.Put(key("m"), []byte("m"))
	a.Close()
	st := gcLog(t, dir, GCOptions{PruneRecords: true}) // every sealed record
	if st.Records != 2 {
		t.Errorf("pruned %d records, want 2", st.Records)
	}
	fresh := reopenLog(t, dir, "r")
	mustMiss(t, fresh, key("k"))
	mustMiss(t, fresh, key("m"))
	live.Close()
	// Once the writer is gone its segment is compacted too, and the
	// deletion with it.
	gcLog(t, dir, GCOptions{PruneRecords: true})
	if segs := logSegments(t, dir, "r"); len(segs) != 0 {
		t.Errorf("segments left after pruning everything: %v", segs)
	}
}

// TestRecordLogGCAfterCrash: a GC killed after writing the compacted
// segment, before removing the old ones, leaves every entry twice; readers
// take them for one, and the next GC removes the duplicates.
func TestRecordLogGCAfterCrash(t *testing.T) {
	dir := t.TempDir()
	a := reopenLog(t, dir, "r")
	a.Put(key("x"), []byte("x"))
	a.Put(key("y"), []byte("y"))
	a.Close()
	seg := logSegments(t, dir, "r")[0]
	data, err := os.ReadFile(seg)
	if err != nil {
		t.Fatal(err)
	}
	dup := filepath.Join(filepath.Dir(seg), "copy"+logSuffix)
	if err := os.WriteFile(dup, data, 0o644); err != nil {
		t.Fatal(err)
	}
	l := reopenLog(t, dir, "r")
	mustGet(t, l, key("x"), "x")
	mustGet(t, l, key("y"), "y")
	gcLog(t, dir, GCOptions{})
	segs := logSegments(t, dir, "r")
	if len(segs) != 1 {
		t.Fatalf("segments after GC: %v, want one", segs)
	}
	if fi, _ := os.Stat(segs[0]); fi.Size() != int64(len(data)) {
		t.Errorf("compacted segment: %d bytes, want %d (each entry once)", fi.Size(), len(data))
	}
	mustGet(t, reopenLog(t, dir, "r"), key("y"), "y")
}

// BenchmarkRecordLogOpen measures what a new process pays on its first
// miss: listing the log and indexing every entry of 20,000 4 KiB records
// (about 80 MB, from the page cache).
func BenchmarkRecordLogOpen(b *testing.B) {
	dir := b.TempDir()
	s, err := Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	// One sealed segment, written directly (20,000 flushed Puts would
	// take the benchmark's whole budget).
	logDir := filepath.Join(dir, "records", "requests", "log")
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		b.Fatal(err)
	}
	data := randomBytes(b, 4<<10)
	var seg []byte
	for i := range 20000 {
		var k [32]byte
		binary.LittleEndian.PutUint64(k[:], uint64(i))
		seg = append(seg, frameLogEntry(k, logOpPut, int64(i), data)...)
	}
	if err := os.WriteFile(filepath.Join(logDir, "bench"+logSuffix), seg, 0o644); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(seg)))
	for b.Loop() {
		l := s.RecordLog("requests")
		if _, ok, err := l.Get(key("absent")); ok || err != nil {
			b.Fatal(ok, err)
		}
		if len(l.index) != 20000 {
			b.Fatalf("indexed %d entries, want 20000", len(l.index))
		}
		l.Close()
	}
}
