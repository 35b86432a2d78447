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
// the file's stat signature (size, mtime, inode, ctime) differs at the end
// of the read from when it was opened (someone wrote to it meanwhile).
type knownInputReader struct {
	f       *os.File
	fi      os.FileInfo
	changed error
	err     error
}

func (r *knownInputReader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	n, err := r.f.Read(p)
	if err == io.EOF {
		if fi, serr := r.f.Stat(); serr != nil || !store.SameSig(fi, r.fi) {
			err = r.changed
		}
	}
	if err != nil {
		r.err = err
	}
	return n, err
}

func (r *knownInputReader) Close() error { return r.f.Close() }
