package engine

import (
	"io"
	"os"

	"github.com/sptflow/sptflow/engine/store"
)

// knownInputReader reads a referenced input whose stat signature the stat
// cache knows with the sealed digest, without hashing it: the node key was
// computed from that same cached digest, so hashing it again while reading
// would only repeat what the cache vouched for. It fails with changed if
// the file no longer holds want at the end of the read: its stat signature
// (size, mtime, inode, ctime) differs from when it was opened, unless only
// the ctime did and the file still hashes to want (store.StillHolds: a
// hard link or chmod of the input meanwhile is not a change).
type knownInputReader struct {
	f       *os.File
	fi      os.FileInfo
	want    store.Digest
	changed error
	err     error
}

func (r *knownInputReader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	n, err := r.f.Read(p)
	if err == io.EOF {
		if _, ok := store.StillHolds(r.f, r.fi, r.want); !ok {
			err = r.changed
		}
	}
	if err != nil {
		r.err = err
	}
	return n, err
}

func (r *knownInputReader) Close() error { return r.f.Close() }
