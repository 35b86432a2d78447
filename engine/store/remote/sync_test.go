package remote

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/sptflow/sptflow/engine/store"
)

// sealed seals a two-file output in a new local store and returns the
// store and the pin a lock file would hold for it.
func sealed(t *testing.T) (*store.Store, Pin) {
	t.Helper()
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	m := &store.Manifest{Partition: "tag@a", Produced: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Meta: map[string]any{"usage": map[string]any{"input_tokens": 1234, "cost_usd": 0.0123}}}
	for _, f := range []struct{ path, data string }{{"a/1.json", `{"x":1}`}, {"a/2.json", `{"x":2}`}} {
		d, err := st.PutObject([]byte(f.data))
		if err != nil {
			t.Fatal(err)
		}
		m.Files = append(m.Files, store.ManifestFile{Path: f.path, Digest: d, Size: int64(len(f.data))})
	}
	key := [32]byte{42}
	if err := st.PutKeyInfo(key, []byte(`{"node":"tag"}`)); err != nil {
		t.Fatal(err)
	}
	d, err := st.PutManifest(key, m)
	if err != nil {
		t.Fatal(err)
	}
	return st, Pin{Name: "demo/tag@a", Key: key, Manifest: d}
}

func emptyStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestPushPull(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			rs := open(t, Options{})
			a, pin := sealed(t)
			pins := []Pin{pin, {Name: "demo/never-run", Key: [32]byte{1}, Manifest: store.DigestOf([]byte("x"))}}
			st, err := Push(ctx, a, rs, pins)
			if err != nil {
				t.Fatal(err)
			}
			if st.Partitions != 1 || st.Objects != 3 || !slices.Equal(st.Missing, []string{"demo/never-run"}) {
				t.Errorf("push: got %+v, want 1 partition, 3 objects, demo/never-run missing", st)
			}
			if again, _ := Push(ctx, a, rs, pins[:1]); again.Objects != 0 {
				t.Errorf("second push copied %d objects, want 0", again.Objects)
			}

			b := emptyStore(t)
			st, err = Pull(ctx, b, rs, pins[:1])
			if err != nil || st.Partitions != 1 || st.Objects != 3 || len(st.Missing) != 0 {
				t.Fatalf("pull: got %+v, %v; want 1 partition, 3 objects", st, err)
			}
			m, d, err := b.GetManifest(pin.Key)
			if err != nil || d != pin.Manifest || len(m.Files) != 2 {
				t.Fatalf("pulled manifest: got %s, %v; want %s with 2 files", d.Short(), err, pin.Manifest.Short())
			}
			if info, err := b.GetKeyInfo(pin.Key); err != nil || string(info) != `{"node":"tag"}` {
				t.Errorf("pulled key info: got %q, %v", info, err)
			}
			if again, _ := Pull(ctx, b, rs, pins[:1]); again.Objects != 0 || again.Partitions != 1 {
				t.Errorf("second pull: got %+v, want nothing copied", again)
			}
		})
	}
}

func TestPullRefusesPoisonedFile(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			var damaged []string
			rs := open(t, Options{OnDamage: func(_ context.Context, key string, err error) { damaged = append(damaged, key) }})
			a, pin := sealed(t)
			if _, err := Push(ctx, a, rs, []Pin{pin}); err != nil {
				t.Fatal(err)
			}
			m, _, _ := a.GetManifest(pin.Key)
			bad := ObjectKey(m.Files[1].Digest)
			if err := rs.b.remove(ctx, bad); err != nil {
				t.Fatal(err)
			}
			if err := rs.b.create(ctx, bad, []byte(`{"x":666}`)); err != nil {
				t.Fatal(err)
			}
			b := emptyStore(t)
			st, err := Pull(ctx, b, rs, []Pin{pin})
			if err != nil || st.Partitions != 0 || len(st.Missing) != 0 || !slices.Equal(st.Damaged, []string{pin.Name}) {
				t.Fatalf("pull: got %+v, %v; want the pin damaged (not missing)", st, err)
			}
			if !slices.Equal(damaged, []string{bad}) {
				t.Errorf("reported: got %q, want %q", damaged, bad)
			}
			if _, _, err := b.GetManifest(pin.Key); err == nil {
				t.Error("a partition with a poisoned file was sealed locally")
			}
			if b.HasObject(m.Files[1].Digest) {
				t.Error("the poisoned file reached the local store")
			}
			// A push from a machine with the right bytes repairs the remote.
			if _, err := Push(ctx, a, rs, []Pin{pin}); err != nil {
				t.Fatal(err)
			}
			if st, err := Pull(ctx, b, rs, []Pin{pin}); err != nil || st.Partitions != 1 {
				t.Errorf("pull after the repair: got %+v, %v", st, err)
			}
		})
	}
}
