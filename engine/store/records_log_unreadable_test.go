//go:build unix

package store

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sptflow/sptflow/internal/fifotest"
)

// unreadableKinds are the ways a segment can be out of reach: the named
// pipe and directory of notFiles, and a file its reader may not open (a
// case root, who reads any file whatever its mode, cannot test).
var unreadableKinds = append(slices.Clone(notFiles), notFile{"permission denied", func(t *testing.T, p string) {
	t.Helper()
	if os.Geteuid() == 0 {
		t.Skip("running as root, which reads a file of mode 000: the named-pipe and directory cases cover unreadable segments")
	}
	if err := os.Chmod(p, 0); err != nil {
		t.Fatal(err)
	}
}})

// sealedSegment puts records into a new segment of namespace "r" in dir
// and seals it (its writer closes it); it returns the segment's path.
func sealedSegment(t *testing.T, dir string, recs map[string]string) string {
	t.Helper()
	before := logSegments(t, dir, "r")
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	l := s.RecordLog("r")
	for k, v := range recs {
		if err := l.Put(key(k), []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	for _, p := range logSegments(t, dir, "r") {
		if !slices.Contains(before, p) {
			return p
		}
	}
	t.Fatal("no new segment")
	return ""
}

// outOfReach makes the segment at p unreadable in the way kind names,
// returning its bytes so that the test can put them back.
func outOfReach(t *testing.T, p string, kind notFile) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	kind.make(t, p)
	return b
}

// TestRecordLogUnreadableSegment: a segment that cannot be read is never
// taken for a segment without records. A key found elsewhere is still
// served; a key found nowhere is an error naming the segment (it may be
// there), never a miss and never a hang; the segment is warned about once.
// Made readable again, its records are served; moved away, a key found
// nowhere is a miss again.
func TestRecordLogUnreadableSegment(t *testing.T) {
	for _, kind := range unreadableKinds {
		t.Run(kind.name, func(t *testing.T) {
			dir := t.TempDir()
			bad := sealedSegment(t, dir, map[string]string{"a": "in the bad segment"})
			sealedSegment(t, dir, map[string]string{"c": "in a good segment"})
			saved := outOfReach(t, bad, kind)
			s, err := Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			l := s.RecordLog("r")
			defer l.Close()
			for _, k := range []string{"a", "never put", "a"} {
				var err error
				fifotest.NoBlock(t, bad, func() { _, _, err = l.Get(key(k)) })
				var ue *UnreadableSegmentError
				if !errors.As(err, &ue) || ue.Path != bad || !strings.Contains(err.Error(), bad) {
					t.Fatalf("Get(%s) got: %v\nwant: an *UnreadableSegmentError naming %s", k, err, bad)
				}
			}
			mustGet(t, l, key("c"), "in a good segment")
			wantWarning(t, s, "segment "+bad+" cannot be read (", kind.name)
			if w := s.Warnings(); len(w) != 0 {
				t.Errorf("warnings after more lookups got: %q\nwant: none (once per process)", w)
			}

			if err := os.RemoveAll(bad); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(bad, saved, 0o644); err != nil {
				t.Fatal(err)
			}
			mustGet(t, l, key("a"), "in the bad segment")
			mustMiss(t, l, key("never put"))

			l2 := s.RecordLog("r")
			defer l2.Close()
			outOfReach(t, bad, kind)
			if err := os.Rename(bad, filepath.Join(dir, "moved-away")); err != nil {
				t.Fatal(err)
			}
			mustMiss(t, l2, key("a"))
		})
	}
}

// TestRecordLogGCUnreadableSegment: GC leaves a segment it cannot read in
// place, reports it (counted, and named by a warning) and compacts the
// others instead of failing.
func TestRecordLogGCUnreadableSegment(t *testing.T) {
	for _, kind := range unreadableKinds {
		t.Run(kind.name, func(t *testing.T) {
			dir := t.TempDir()
			bad := sealedSegment(t, dir, map[string]string{"a": "in the bad segment"})
			sealedSegment(t, dir, map[string]string{"b": "b", "c": "c"})
			sealedSegment(t, dir, map[string]string{"b": "b again", "d": "d"})
			saved := outOfReach(t, bad, kind)
			s, err := Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			var st GCStats
			fifotest.NoBlock(t, bad, func() { st, err = s.GC(nil, GCOptions{Namespace: "r"}) })
			if err != nil {
				t.Fatalf("gc got: %v\nwant: the readable segments compacted", err)
			}
			if st.Unreadable != 1 {
				t.Errorf("gc unreadable segments got: %d\nwant: 1", st.Unreadable)
			}
			wantWarning(t, s, "segment "+bad+" cannot be read (", kind.name)
			segs := logSegments(t, dir, "r")
			if len(segs) != 2 || !slices.Contains(segs, bad) {
				t.Errorf("segments after gc got: %q\nwant: %s and one compacted segment", segs, bad)
			}
			if err := os.RemoveAll(bad); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(bad, saved, 0o644); err != nil {
				t.Fatal(err)
			}
			l := reopenLog(t, dir, "r")
			for k, want := range map[string]string{"a": "in the bad segment", "b": "b again", "c": "c", "d": "d"} {
				mustGet(t, l, key(k), want)
			}
		})
	}
}

// TestRecordLogGCPruneBesideUnreadable: a record GC prunes while a segment
// it cannot read may hold an older entry of its key stays deleted once
// that segment reads again (GC writes a deletion in its place).
func TestRecordLogGCPruneBesideUnreadable(t *testing.T) {
	dir := t.TempDir()
	bad := sealedSegment(t, dir, map[string]string{"x": "old"})
	sealedSegment(t, dir, map[string]string{"x": "new", "y": "y"})
	saved := outOfReach(t, bad, notFiles[1]) // a directory
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	st, err := s.GC(nil, GCOptions{Namespace: "r", PruneRecords: true})
	if err != nil || st.Records != 2 || st.Unreadable != 1 {
		t.Fatalf("gc got: %+v, %v\nwant: 2 records pruned, 1 segment unreadable", st, err)
	}
	if err := os.RemoveAll(bad); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, saved, 0o644); err != nil {
		t.Fatal(err)
	}
	l := reopenLog(t, dir, "r")
	mustMiss(t, l, key("x"))
	mustMiss(t, l, key("y"))
}
