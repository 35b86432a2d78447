package store

import (
	"strings"
	"testing"
	"time"
)

// testLinks reads the test payloads: "object" is an object, "ref:NAME"
// names the entry key(NAME).
func testLinks(data []byte) ([][32]byte, bool) {
	s := string(data)
	if s == "object" {
		return nil, true
	}
	if name, ok := strings.CutPrefix(s, "ref:"); ok {
		return [][32]byte{key(name)}, false
	}
	return nil, false
}

// TestGCKeepsNamedObjects: an object lives while a record GC keeps (or a
// record of a growing segment) names it, whatever its age; an object no
// staying record names goes, whatever its age.
func TestGCKeepsNamedObjects(t *testing.T) {
	old := time.Now().Add(-48 * time.Hour).UnixNano()
	young := time.Now().UnixNano()
	var seg []byte
	put := func(name, val string, t int64) {
		seg = append(seg, frameLogEntry(key(name), logOpPut, t, []byte(val))...)
	}
	put("o-pruned", "object", old) // named only by a pruned record
	put("r-old", "ref:o-pruned", old)
	put("o-kept", "object", old) // named by a young record
	put("r-young", "ref:o-kept", young)
	put("o-orphan", "object", old)  // named by nothing
	put("o-grace", "object", young) // named by nothing, young
	put("o-growing", "object", old) // named by a record of a growing segment
	put("o-failed", "object", old)  // named by a record pruned by content
	put("r-failed", "ref:o-failed", young)
	d := newDamageStore(t)
	d.reset(seg)
	growing := d.s.RecordLog("r") // its writer stays alive: a growing segment
	defer growing.Close()
	if err := growing.Put(key("r-growing"), []byte("ref:o-growing")); err != nil {
		t.Fatal(err)
	}
	st, _ := d.gc(GCOptions{PruneRecords: true, RecordsOlderThan: 24 * time.Hour, RecordLinks: testLinks,
		PruneRecordIf: func(b []byte) bool { return string(b) == "ref:o-failed" }})
	if st.Objects != 4 || st.Records != 2 {
		t.Errorf("gc removed %d objects and %d records, want 4 objects (o-pruned, o-orphan, o-young, o-failed) and 2 records", st.Objects, st.Records)
	}
	l := d.s.RecordLog("r")
	defer l.Close()
	for name, want := range map[string]bool{"o-pruned": false, "r-old": false, "o-kept": true, "r-young": true,
		"o-orphan": false, "o-young": false, "o-growing": true, "o-failed": false, "r-failed": false, "r-growing": true} {
		if _, ok, err := l.Get(key(name)); err != nil || ok != want {
			t.Errorf("%s after gc: present %v (err %v), want %v", name, ok, err, want)
		}
	}
}

// TestRecordLogPutMany: records put together read back and survive a
// reopen; a shared record the segment holds is not written again, and is
// written again in another process's segment.
func TestRecordLogPutMany(t *testing.T) {
	dir := t.TempDir()
	l := reopenLog(t, dir, "r")
	shared := []bool{true, false}
	if err := l.PutMany([][32]byte{key("obj"), key("a")}, [][]byte{[]byte("object"), []byte("first")}, shared); err != nil {
		t.Fatal(err)
	}
	size := l.active.size.Load()
	if err := l.PutMany([][32]byte{key("obj"), key("b")}, [][]byte{[]byte("object"), []byte("second")}, shared); err != nil {
		t.Fatal(err)
	}
	if grew, want := l.active.size.Load()-size, int64(logHeaderSize+len("second")); grew != want {
		t.Errorf("second PutMany wrote %d bytes, want %d (the record alone)", grew, want)
	}
	mustGet(t, l, key("obj"), "object")
	mustGet(t, l, key("a"), "first")
	mustGet(t, l, key("b"), "second")
	if err := l.PutMany([][32]byte{key("a")}, nil, nil); err == nil {
		t.Error("PutMany with fewer records than keys: no error")
	}
	l.Close()
	l = reopenLog(t, dir, "r")
	mustGet(t, l, key("a"), "first")
	mustGet(t, l, key("b"), "second")
	if err := l.PutMany([][32]byte{key("obj"), key("c")}, [][]byte{[]byte("object"), []byte("third")}, shared); err != nil {
		t.Fatal(err)
	}
	if n := l.active.size.Load(); n != int64(2*logHeaderSize+len("object")+len("third")) {
		t.Errorf("a new segment holds %d bytes, want the shared record and the new one", n)
	}
}
