package engine

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/sptflow/sptflow/engine/store"
)

// TestKeyHashingUnchanged checks KeyDesc.Key and ContentDigest against the
// straightforward implementations they replaced (fmt and io.WriteString):
// every existing key must stay the same.
func TestKeyHashingUnchanged(t *testing.T) {
	long := strings.Repeat("x€\x00", 700) // longer than Key's buffer, not a multiple of it
	paths := []string{"", "a.json", "topic/batch 1.json", `q"uote\back`, "tab\tnew\nline", "é/ünï/\u2028", "\x7f\xff\xfe", long}
	var files []store.ManifestFile
	var desc KeyDesc
	for i, p := range paths {
		f := store.ManifestFile{Path: p, Digest: store.DigestOf([]byte(p)), Size: int64(i)}
		if i%2 == 1 {
			f.External = "/ext/" + p
		}
		files = append(files, f)
		desc = append(desc, KeyComponent{Name: p, Value: strings.Repeat(p, i)})
		h := sha256.New()
		for _, f := range files {
			fmt.Fprintf(h, "%q %s %t\n", f.Path, f.Digest, f.External != "")
		}
		var want Digest
		h.Sum(want[:0])
		if got := ContentDigest(files); got != want {
			t.Errorf("ContentDigest of %d files = %s, want %s", len(files), got.Short(), want.Short())
		}
		h = sha256.New()
		var n [8]byte
		for _, c := range desc {
			for _, s := range [2]string{c.Name, c.Value} {
				binary.BigEndian.PutUint64(n[:], uint64(len(s)))
				h.Write(n[:])
				io.WriteString(h, s)
			}
		}
		var wantKey NodeKey
		h.Sum(wantKey[:0])
		if got := desc.Key(); got != wantKey {
			t.Errorf("Key of %d components = %s, want %s", len(desc), got.Short(), wantKey.Short())
		}
	}
}
