package remote

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/sptflow/sptflow/engine/store"
)

// A pinned output whose file object is damaged in the local store is
// missing from a push, like one whose manifest is damaged: the push goes on
// with the other pins, and nothing of the damaged output reaches the
// remote.
func TestPushSkipsDamagedLocalFile(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			rs := open(t, Options{})
			a, pin := sealed(t)
			m, _, err := a.GetManifest(pin.Key)
			if err != nil {
				t.Fatal(err)
			}
			bad := m.Files[1].Digest
			hex := bad.String()
			p := filepath.Join(a.Dir(), "objects", hex[:2], hex)
			if err := os.WriteFile(p, []byte(`{"x":9}`), 0o644); err != nil { // same size
				t.Fatal(err)
			}
			other := Pin{Name: "demo/other", Key: [32]byte{7}, Manifest: store.DigestOf([]byte("y"))}
			st, err := Push(ctx, a, rs, []Pin{pin, other})
			if err != nil {
				t.Fatalf("push: %v, want the damaged output listed as missing", err)
			}
			if st.Partitions != 0 || !slices.Equal(st.Missing, []string{pin.Name, other.Name}) {
				t.Errorf("push: got %+v, want both pins missing", st)
			}
			if _, err := rs.GetObject(ctx, pin.Manifest); err == nil {
				t.Error("the manifest of an output with a damaged file reached the remote")
			}
		})
	}
}
