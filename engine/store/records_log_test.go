package store

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
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
		}, false, false, true},
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
	data := randomBytes(b, 4<<10)
	b.SetBytes(int64(len(data)))
	i := 0
	for b.Loop() {
		var k [32]byte
		binary.LittleEndian.PutUint64(k[:], uint64(i))
		i++
		if err := l.Put(k, data); err != nil {
			b.Fatal(err)
		}
	}
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
