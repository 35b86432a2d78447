package store

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// age sets the mtime of every file below dir an hour back.
func age(t *testing.T, dir string) {
	t.Helper()
	old := time.Now().Add(-time.Hour)
	filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			os.Chtimes(p, old, old)
		}
		return nil
	})
}

func TestGC(t *testing.T) {
	s := openTest(t)
	shared := putFiles(t, s, map[string]string{"shared.json": "shared"})
	keptOnly := putFiles(t, s, map[string]string{"kept.json": "kept"})
	droppedOnly := putFiles(t, s, map[string]string{"dropped.json": "dropped"})
	loose, _ := s.PutObject([]byte("referenced by nothing"))
	ext := ManifestFile{Path: "ext.json", Digest: DigestOf([]byte("external")), External: "/x/ext.json"}

	keptDigest, _ := s.PutManifest(key("kept"), &Manifest{Partition: "a", Files: append(append(shared, keptOnly...), ext)})
	droppedDigest, _ := s.PutManifest(key("dropped"), &Manifest{Partition: "b", Files: append(shared, droppedOnly...)})
	s.PutKeyInfo(key("kept"), []byte("{}"))
	s.PutKeyInfo(key("dropped"), []byte("{}"))
	recs := s.Records("requests")
	recs.Put(key("old request"), []byte("r"))
	os.WriteFile(filepath.Join(s.Dir(), "objects", legacyTempPrefix+"killed"), []byte("partial"), 0o644)
	os.WriteFile(filepath.Join(s.TempDir(), "scratch"), []byte("partial"), 0o644)
	lease, _, _ := s.TryLease("held")
	defer lease.Release()
	free, _, _ := s.TryLease("free")
	free.Release()
	age(t, s.Dir())

	// Written after aging: protected by the grace period.
	young, _ := s.PutObject([]byte("young, manifest not sealed yet"))
	s.PutManifest(key("young"), &Manifest{Partition: "c"})
	recs.Put(key("new request"), []byte("r"))
	os.WriteFile(filepath.Join(s.TempDir(), legacyTempPrefix+"in-flight"), nil, 0o644)
	// Named by pid: a dead writer's leftover goes at once, a live one's stays.
	os.WriteFile(filepath.Join(s.Dir(), "manifests", TempPrefix+strconv.Itoa(deadPid(t))+"-abc"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(s.TempDir(), tempName("")), nil, 0o644)

	dry, err := s.GC(map[[32]byte]bool{key("kept"): true}, GCOptions{Grace: time.Minute, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if !s.HasObject(loose) || !s.HasObject(droppedDigest) {
		t.Fatal("dry run removed objects")
	}
	st, err := s.GC(map[[32]byte]bool{key("kept"): true}, GCOptions{
		Grace: time.Minute, PruneRecords: true, Namespace: "requests", RecordsOlderThan: 30 * time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := GCStats{Manifests: 1, KeyInfos: 1, Objects: 3, Temps: 3, Records: 1, Leases: 1}
	st.Bytes, dry.Bytes = 0, 0
	if st != want {
		t.Errorf("GC stats: got %+v, want %+v", st, want)
	}
	want.Records = 0
	if dry != want {
		t.Errorf("dry-run stats: got %+v, want %+v", dry, want)
	}

	if _, _, err := s.GetManifest(key("kept")); err != nil {
		t.Errorf("kept manifest: %v", err)
	}
	for _, d := range []Digest{keptDigest, shared[0].Digest, keptOnly[0].Digest, young} {
		if !s.HasObject(d) {
			t.Errorf("object %s was removed", d.Short())
		}
	}
	if _, _, err := s.GetManifest(key("dropped")); !errors.Is(err, ErrNotFound) {
		t.Errorf("dropped manifest: got %v, want ErrNotFound", err)
	}
	for _, d := range []Digest{droppedDigest, droppedOnly[0].Digest, loose} {
		if s.HasObject(d) {
			t.Errorf("unreferenced object %s kept", d.Short())
		}
	}
	if _, _, err := s.GetManifest(key("young")); err != nil {
		t.Errorf("young manifest removed: %v", err)
	}
	if _, err := s.GetKeyInfo(key("dropped")); !errors.Is(err, ErrNotFound) {
		t.Error("dropped key info kept")
	}
	if _, err := s.GetKeyInfo(key("kept")); err != nil {
		t.Errorf("kept key info: %v", err)
	}
	if _, ok, _ := recs.Get(key("old request")); ok {
		t.Error("old record not pruned")
	}
	if _, ok, _ := recs.Get(key("new request")); !ok {
		t.Error("new record pruned")
	}
	if _, err := os.Stat(filepath.Join(s.TempDir(), legacyTempPrefix+"in-flight")); err != nil {
		t.Error("in-flight temp file removed")
	}
	if _, ok, _ := s.TryLease("held"); ok {
		t.Error("GC broke a held lease")
	}
	if _, err := os.Stat(s.leasePath("free")); !os.IsNotExist(err) {
		t.Errorf("free lease file kept: %v", err)
	}
	if l, ok, err := s.TryLease("free"); !ok || err != nil {
		t.Errorf("lease after its file was collected: ok=%v err=%v", ok, err)
	} else {
		l.Release()
	}
}

// An object that a run puts again is protected from GC, however old.
func TestGCKeepsRePutObject(t *testing.T) {
	s := openTest(t)
	data := []byte("old object put again by a running partition")
	d, _ := s.PutObject(data)
	age(t, s.Dir())
	if _, err := s.PutObject(data); err != nil {
		t.Fatal(err)
	}
	st, err := s.GC(nil, GCOptions{Grace: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	if !s.HasObject(d) || st.Objects != 0 {
		t.Fatalf("re-put object collected (stats %+v)", st)
	}
}

// TestGCRecords prunes request records by age, by content, or both; other
// namespaces and the dry run keep everything.
func TestGCRecords(t *testing.T) {
	failed := func(data []byte) bool { return strings.HasPrefix(string(data), "failed") }
	tests := []struct {
		name       string
		opts       GCOptions
		wantPruned []string
	}{
		{"by age", GCOptions{PruneRecords: true, RecordsOlderThan: 30 * time.Minute},
			[]string{"old ok", "old failed"}},
		{"older than zero is every record", GCOptions{PruneRecords: true},
			[]string{"old ok", "old failed", "new ok", "new failed"}},
		{"failures of any age", GCOptions{PruneRecordIf: failed},
			[]string{"old failed", "new failed"}},
		{"old or failed", GCOptions{PruneRecords: true, RecordsOlderThan: 30 * time.Minute, PruneRecordIf: failed},
			[]string{"old ok", "old failed", "new failed"}},
		{"records not asked for", GCOptions{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openTest(t)
			recs, other := s.Records("requests"), s.Records("other")
			put := func(name string) {
				data := []byte(strings.Fields(name)[1] + " " + name)
				if err := recs.Put(key(name), data); err != nil {
					t.Fatal(err)
				}
				if err := other.Put(key(name), data); err != nil {
					t.Fatal(err)
				}
			}
			put("old ok")
			put("old failed")
			age(t, s.Dir())
			put("new ok")
			put("new failed")

			opts := tt.opts
			opts.Namespace = "requests"
			opts.DryRun = true
			dry, err := s.GC(nil, opts)
			if err != nil {
				t.Fatal(err)
			}
			opts.DryRun = false
			st, err := s.GC(nil, opts)
			if err != nil {
				t.Fatal(err)
			}
			if dry.Records != len(tt.wantPruned) || st.Records != len(tt.wantPruned) {
				t.Errorf("records pruned: got %d (dry run %d), want %d", st.Records, dry.Records, len(tt.wantPruned))
			}
			for _, name := range []string{"old ok", "old failed", "new ok", "new failed"} {
				_, ok, _ := recs.Get(key(name))
				if want := !slices.Contains(tt.wantPruned, name); ok != want {
					t.Errorf("record %q kept: got %v, want %v", name, ok, want)
				}
				if _, ok, _ := other.Get(key(name)); !ok {
					t.Errorf("record %q of another namespace pruned", name)
				}
			}
		})
	}
}

// A record whose checksum does not match is pruned with the selected ones;
// the predicate sees only intact payloads.
func TestGCRecordsDamaged(t *testing.T) {
	s := openTest(t)
	recs := s.Records("requests")
	recs.Put(key("damaged"), []byte("ok but damaged"))
	recs.Put(key("intact"), []byte("ok"))
	p := recs.path(key("damaged"))
	b, _ := os.ReadFile(p)
	b[len(b)-1] ^= 1
	os.WriteFile(p, b, 0o644)
	var seen []string
	st, err := s.GC(nil, GCOptions{Namespace: "requests", PruneRecordIf: func(data []byte) bool {
		seen = append(seen, string(data))
		return false
	}})
	if err != nil {
		t.Fatal(err)
	}
	if st.Records != 1 || !slices.Equal(seen, []string{"ok"}) {
		t.Errorf("got %d pruned, predicate saw %q; want 1 pruned, predicate saw [\"ok\"]", st.Records, seen)
	}
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Errorf("damaged record kept: %v", err)
	}
}

// A record written again after GC looked at it is not removed.
func TestGCLeavesReplacedRecord(t *testing.T) {
	s := openTest(t)
	recs := s.Records("requests")
	recs.Put(key("a"), []byte("first"))
	p := recs.path(key("a"))
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	recs.Put(key("a"), []byte("written again"))
	g := &gc{s: s}
	g.remove(p, fi, &g.stats.Records)
	if got, ok, _ := recs.Get(key("a")); !ok || string(got) != "written again" || g.stats.Records != 0 {
		t.Errorf("got %q ok=%v removed=%d, want the new record kept", got, ok, g.stats.Records)
	}
}

func TestGCRecordsBadNamespace(t *testing.T) {
	s := openTest(t)
	if _, err := s.GC(nil, GCOptions{PruneRecords: true, Namespace: "../x"}); err == nil {
		t.Error("GC with an invalid namespace: got nil error")
	}
}
