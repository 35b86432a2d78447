package store

import (
	"os"
	"slices"
)

// manifestMemo is a manifest this process read and verified for a node
// key, with the stat signature its pointer file had before it was read.
// A status followed by a run asks for the same manifests again (so does
// every partition's dependents' key): the memo spares reading, hashing and
// decoding them a second time while still catching what changed on disk
// since. A repeated GetManifest checks, as the first did:
//
//   - the pointer file, by its stat signature (size, mtime, inode, ctime;
//     pointers are replaced by an atomic rename, which changes the inode):
//     any change, removal or replacement falls back to reading it;
//   - the manifest object, that it is still there (its content was hashed
//     when it was read; objects are content-addressed and never rewritten
//     in place, and a damaged one is caught when it is read again);
//   - every stored file, through CheckObject and the stat cache, as before.
type manifestMemo struct {
	ptr fileSig
	m   *Manifest
	d   Digest
}

// memoManifest returns the remembered manifest of key if its pointer file
// has not changed and its objects are still present and intact; the
// manifest is a copy the caller may change.
func (s *Store) memoManifest(key [32]byte) (*Manifest, Digest, bool) {
	v, ok := s.manifests.Load(key)
	if !ok {
		return nil, Digest{}, false
	}
	memo := v.(manifestMemo)
	fi, err := os.Stat(s.manifestPath(key))
	if err != nil || !fi.Mode().IsRegular() || sigOf(fi) != memo.ptr {
		s.manifests.Delete(key)
		return nil, Digest{}, false
	}
	if fi, err := os.Lstat(s.objectPath(memo.d)); err != nil || !fi.Mode().IsRegular() {
		s.manifests.Delete(key)
		return nil, Digest{}, false
	}
	for _, f := range memo.m.Files {
		if f.External == "" && s.CheckObject(f.Digest) != nil {
			s.manifests.Delete(key)
			return nil, Digest{}, false
		}
	}
	return copyManifest(memo.m), memo.d, true
}

// pointerSig is the stat signature of key's pointer file, taken before it
// is read; ok is false when it cannot be taken (nothing is remembered).
func (s *Store) pointerSig(key [32]byte) (fileSig, bool) {
	fi, err := os.Stat(s.manifestPath(key))
	if err != nil || !fi.Mode().IsRegular() {
		return fileSig{}, false
	}
	return sigOf(fi), true
}

// rememberManifest keeps m, read and verified for key through a pointer
// whose signature was sig before the read.
func (s *Store) rememberManifest(key [32]byte, sig fileSig, m *Manifest, d Digest) {
	s.manifests.Store(key, manifestMemo{ptr: sig, m: copyManifest(m), d: d})
}

func copyManifest(m *Manifest) *Manifest {
	c := *m
	c.Files = slices.Clone(m.Files)
	return &c
}
