package remote

import (
	"context"
	"io/fs"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/sptflow/sptflow/engine/store"
)

// agingBackends opens one fresh remote store per backend with a function
// that makes everything written so far ten days old: file:// sets the
// files' times, S3 (gofakes3) writes on a clock that starts ten days back
// and is then moved to now.
func agingBackends(t *testing.T) map[string]func(t *testing.T) (*Store, func()) {
	t.Helper()
	const age = 10 * 24 * time.Hour
	return map[string]func(t *testing.T) (*Store, func()){
		"file": func(t *testing.T) (*Store, func()) {
			dir := t.TempDir()
			return mustOpen(t, "file://"+dir, Options{}), func() {
				old := time.Now().Add(-age)
				err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
					if err != nil || d.IsDir() {
						return err
					}
					return os.Chtimes(p, old, old)
				})
				if err != nil {
					t.Fatal(err)
				}
			}
		},
		"s3": func(t *testing.T) (*Store, func()) {
			ts := gofakes3.FixedTimeSource(time.Now().Add(-age))
			backend := s3mem.New(s3mem.WithTimeSource(ts))
			if err := backend.CreateBucket("team"); err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(gofakes3.New(backend, gofakes3.WithTimeSource(ts), gofakes3.WithTimeSkewLimit(0)).Server())
			t.Cleanup(srv.Close)
			fakeS3Env(t)
			url := "s3://team/gc?region=us-east-1&use_path_style=true&endpoint=" + srv.URL
			return mustOpen(t, url, Options{}), func() { ts.Advance(age) }
		},
	}
}

// fakeS3Env sets the dummy AWS environment an S3 client needs.
func fakeS3Env(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

// sealedOutput seals an output of node key key with the given files in st
// and returns its pin.
func sealedOutput(t *testing.T, st *store.Store, key byte, files ...string) Pin {
	t.Helper()
	m := &store.Manifest{Partition: "p", Produced: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	for i, data := range files {
		d, err := st.PutObject([]byte(data))
		if err != nil {
			t.Fatal(err)
		}
		m.Files = append(m.Files, store.ManifestFile{Path: "f" + string(rune('a'+i)), Digest: d, Size: int64(len(data))})
	}
	if err := st.PutKeyInfo([32]byte{key}, []byte(`{"node":"n"}`)); err != nil {
		t.Fatal(err)
	}
	d, err := st.PutManifest([32]byte{key}, m)
	if err != nil {
		t.Fatal(err)
	}
	return Pin{Name: "demo/" + string(rune('a'+key)), Key: [32]byte{key}, Manifest: d}
}

func keysOf(t *testing.T, rs *Store) []string {
	t.Helper()
	var keys []string
	if err := rs.List(context.Background(), "", func(k string) bool { keys = append(keys, k); return true }); err != nil {
		t.Fatal(err)
	}
	return keys
}

// TestGC: two pinned outputs (the locks of two refs) are kept, an
// unpinned old one is deleted (its pointer, manifest, key description and
// the file only it had), an unpinned fresh one is kept (the grace
// period), request records are all kept, an old released lease is
// collected and a live one kept; a dry run deletes nothing.
func TestGC(t *testing.T) {
	for name, open := range agingBackends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			rs, age := open(t)
			local := emptyStore(t)
			pinA := sealedOutput(t, local, 1, "shared", "only-a")
			pinB := sealedOutput(t, local, 2, "shared", "only-b")
			old := sealedOutput(t, local, 3, "shared", "only-old")
			if _, err := Push(ctx, local, rs, []Pin{pinA, pinB, old}); err != nil {
				t.Fatal(err)
			}
			if _, err := rs.PutRecord(ctx, "requests", [32]byte{9}, []byte("paid")); err != nil {
				t.Fatal(err)
			}
			cfg := LeaseConfig{TTL: time.Minute}
			done, err := rs.TryLease(ctx, "partition-old", cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := done.Release(ctx); err != nil {
				t.Fatal(err)
			}
			age()
			fresh := sealedOutput(t, local, 4, "shared", "only-fresh")
			if _, err := Push(ctx, local, rs, []Pin{fresh}); err != nil {
				t.Fatal(err)
			}
			live, err := rs.TryLease(ctx, "partition-live", cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer live.Release(ctx)

			before := keysOf(t, rs)
			opt := GCOptions{Pins: []Pin{pinA, pinB}, Cutoff: time.Now().Add(-7 * 24 * time.Hour), DryRun: true}
			dry, err := GC(ctx, rs, opt)
			if err != nil {
				t.Fatal(err)
			}
			if got := keysOf(t, rs); !slices.Equal(got, before) {
				t.Fatalf("dry run changed the store:\n got %v\nwant %v", got, before)
			}
			onlyOld := store.DigestOf([]byte("only-old"))
			want := []string{ManifestKey(old.Key), RecordKey(keyInfoNS, old.Key), ObjectKey(old.Manifest), ObjectKey(onlyOld)}
			slices.Sort(want[2:])
			var got []string
			var bytes int64
			for _, e := range dry.Deleted {
				if strings.HasPrefix(e.Key, leasesPrefix) {
					if !strings.HasPrefix(e.Key, leasePrefix("partition-old")) {
						t.Errorf("dry run would delete live lease %s", e.Key)
					}
					continue
				}
				got = append(got, e.Key)
				bytes += e.Size
			}
			if !slices.Equal(got, want) {
				t.Errorf("dry run would delete\n got %v\nwant %v", got, want)
			}
			if bytes <= 0 || dry.Bytes < bytes {
				t.Errorf("dry run bytes: got %d, want at least %d > 0", dry.Bytes, bytes)
			}
			if dry.KeptOutputs != 3 || dry.KeptRecords != 1 || len(dry.PinsAbsent) != 0 {
				t.Errorf("dry run kept %d outputs, %d records, absent %v; want 3, 1, none",
					dry.KeptOutputs, dry.KeptRecords, dry.PinsAbsent)
			}

			opt.DryRun = false
			st, err := GC(ctx, rs, opt)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.EqualFunc(st.Deleted, dry.Deleted, func(a, b Entry) bool { return a.Key == b.Key }) {
				t.Errorf("gc deleted %v, the dry run said %v", st.Deleted, dry.Deleted)
			}
			after := keysOf(t, rs)
			for _, e := range st.Deleted {
				if slices.Contains(after, e.Key) {
					t.Errorf("%s still there", e.Key)
				}
			}
			for _, k := range []string{leasePrefix("partition-old")} {
				if slices.ContainsFunc(after, func(s string) bool { return strings.HasPrefix(s, k) }) {
					t.Errorf("old released lease %s not collected: %v", k, after)
				}
			}
			if _, ok, err := rs.GetRecord(ctx, "requests", [32]byte{9}); err != nil || !ok {
				t.Errorf("request record: ok %v, err %v; want kept", ok, err)
			}
			// Every kept output pulls whole into an empty local store.
			for _, p := range []Pin{pinA, pinB, fresh} {
				pst, err := Pull(ctx, emptyStore(t), rs, []Pin{p})
				if err != nil || len(pst.Missing) > 0 {
					t.Errorf("pull %s after gc: missing %v, err %v", p.Name, pst.Missing, err)
				}
			}
			if pst, _ := Pull(ctx, emptyStore(t), rs, []Pin{old}); len(pst.Missing) != 1 {
				t.Errorf("pull of the collected output: missing %v, want it", pst.Missing)
			}
			if err := live.Heartbeat(ctx); err != nil {
				t.Fatal(err)
			}
			if h, ok, err := rs.LeaseHolder(ctx, "partition-live"); err != nil || !ok || h.Released {
				t.Errorf("live lease after gc: %+v ok %v err %v", h, ok, err)
			}
			again, err := GC(ctx, rs, opt)
			if err != nil || len(again.Deleted) != 0 {
				t.Errorf("second gc deleted %v (err %v), want nothing", again.Deleted, err)
			}
		})
	}
}

// TestGCPinAbsent: a pin the remote store lacks is reported, and keeps
// nothing else alive.
func TestGCPinAbsent(t *testing.T) {
	ctx := context.Background()
	rs := mustOpen(t, "file://"+t.TempDir(), Options{})
	pin := Pin{Name: "demo/never-pushed", Key: [32]byte{7}, Manifest: store.DigestOf([]byte("m"))}
	st, err := GC(ctx, rs, GCOptions{Pins: []Pin{pin}, Cutoff: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(st.PinsAbsent, []string{"demo/never-pushed"}) || len(st.Deleted) != 0 {
		t.Errorf("got absent %v deleted %v, want the pin absent and nothing deleted", st.PinsAbsent, st.Deleted)
	}
}

// TestPushRecords: records paid before the remote store was configured
// are pushed once; a second push finds them there.
func TestPushRecords(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			rs := open(t, Options{})
			local := emptyStore(t).RecordLog("requests")
			defer local.Close()
			for i := range 3 {
				if err := local.Put([32]byte{byte(i)}, []byte{'r', byte(i)}); err != nil {
					t.Fatal(err)
				}
			}
			st, err := PushRecords(ctx, local, rs, "requests")
			if err != nil || st != (RecordStats{Pushed: 3}) {
				t.Fatalf("first push: %+v, %v; want 3 pushed", st, err)
			}
			st, err = PushRecords(ctx, local, rs, "requests")
			if err != nil || st != (RecordStats{Present: 3}) {
				t.Fatalf("second push: %+v, %v; want 3 already there", st, err)
			}
			// Another machine finds each record before it sends.
			other := NewRecords(emptyStore(t).RecordLog("requests"), rs, "requests", nil)
			data, ok, err := other.Get([32]byte{2})
			if err != nil || !ok || string(data) != "r\x02" {
				t.Errorf("other machine: %q %v %v", data, ok, err)
			}
		})
	}
}
