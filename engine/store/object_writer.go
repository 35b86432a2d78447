package store

import (
	"bufio"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"os"
	"sync"
)

// objectWriterBuffer is how much an ObjectWriter gathers before it writes
// to its temp file.
const objectWriterBuffer = 256 << 10

// objectWriters keeps the buffers of finished ObjectWriters for the next
// ones: a step writing many files would otherwise fault in a fresh 256 KiB
// (64 pages) for each.
var objectWriters = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, objectWriterBuffer) }}

// ObjectWriter writes one object incrementally: what is written goes to a
// temp file in the store's tmp/ directory and through SHA-256 at once, so
// neither the content nor a second pass over it is needed to seal it.
// Commit makes it an object with PutObject's guarantees (fsync'd, renamed
// into place, the directory fsync'd; an intact existing object is kept);
// Abort drops it. Not safe for concurrent use.
type ObjectWriter struct {
	s    *Store
	f    *os.File
	w    *bufio.Writer
	h    hash.Hash
	n    int64
	err  error // the first write error; Commit returns it
	done bool
}

// CreateObject starts an object to be written with an ObjectWriter.
func (s *Store) CreateObject() (*ObjectWriter, error) {
	f, err := createTemp(s.TempDir())
	if err != nil {
		return nil, fmt.Errorf("create object: %w", err)
	}
	ow := &ObjectWriter{s: s, f: f, h: sha256.New()}
	ow.w = objectWriters.Get().(*bufio.Writer)
	ow.w.Reset(writerFunc(ow.flush))
	return ow, nil
}

// release gives the buffer back once nothing more is written.
func (ow *ObjectWriter) release() {
	ow.w.Reset(nil)
	objectWriters.Put(ow.w)
	ow.w = nil
}

// writerFunc adapts a function to io.Writer.
type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// flush writes a buffer's worth to the temp file and the hash.
func (ow *ObjectWriter) flush(p []byte) (int, error) {
	n, err := ow.f.Write(p)
	ow.h.Write(p[:n])
	return n, err
}

// Write appends p to the object.
func (ow *ObjectWriter) Write(p []byte) (int, error) {
	if ow.done {
		return 0, errors.New("write object: already committed or aborted")
	}
	if ow.err != nil {
		return 0, ow.err
	}
	n, err := ow.w.Write(p)
	ow.n += int64(n)
	if err != nil {
		ow.err = fmt.Errorf("write object: %w", err)
		return n, ow.err
	}
	return n, nil
}

// WriteString appends s to the object.
func (ow *ObjectWriter) WriteString(s string) (int, error) {
	if ow.done || ow.err != nil {
		return ow.Write([]byte(s))
	}
	n, err := ow.w.WriteString(s)
	ow.n += int64(n)
	if err != nil {
		ow.err = fmt.Errorf("write object: %w", err)
		return n, ow.err
	}
	return n, nil
}

// Size is the number of bytes written so far.
func (ow *ObjectWriter) Size() int64 { return ow.n }

// Commit seals the object and returns its digest and size. After an error
// the temp file is removed and nothing is stored.
func (ow *ObjectWriter) Commit() (Digest, int64, error) {
	if ow.done {
		return Digest{}, 0, errors.New("commit object: already committed or aborted")
	}
	ow.done = true
	tmp := ow.f.Name()
	err := ow.err
	if err == nil {
		err = ow.w.Flush()
	}
	ow.release()
	if err == nil {
		err = ow.f.Chmod(0o644)
	}
	if err == nil {
		err = ow.f.Sync()
	}
	if cerr := ow.f.Close(); err == nil {
		err = cerr
	}
	var d Digest
	ow.h.Sum(d[:0])
	if err != nil {
		_ = os.Remove(tmp)
		return d, ow.n, fmt.Errorf("put object: %w", err)
	}
	p := ow.s.objectPath(d)
	if ow.s.objectPresent(p, d) {
		_ = os.Remove(tmp)
		return d, ow.n, nil
	}
	if err := ow.s.renameIn(tmp, p); err != nil {
		_ = os.Remove(tmp)
		return d, ow.n, fmt.Errorf("put object %s: %w", d.Short(), err)
	}
	ow.s.rememberWritten(p, d) // hashed while written: materialize trusts it (written.go)
	return d, ow.n, nil
}

// Abort drops the object: the temp file is closed and removed. It does
// nothing after Commit or a previous Abort.
func (ow *ObjectWriter) Abort() {
	if ow.done {
		return
	}
	ow.done = true
	ow.release()
	_ = ow.f.Close()
	_ = os.Remove(ow.f.Name())
}
