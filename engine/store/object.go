package store

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/sptflow/sptflow/regfile"
)

// touchAfter is how stale an existing object's mtime may be before a
// repeated Put refreshes it; GC's grace period is measured from the mtime
// and is never shorter than minGrace, so an object a run has just put again
// is never collected.
const (
	touchAfter = time.Minute
	minGrace   = 2 * touchAfter
)

// PutObject stores data and returns its digest. It is atomic, durable and
// idempotent: concurrent Puts of the same data from goroutines or processes
// leave one complete object. Putting an object that exists refreshes its
// modification time so a concurrent GC keeps it; an existing object whose
// content does not match its digest (damaged) is replaced.
func (s *Store) PutObject(data []byte) (Digest, error) {
	d := DigestOf(data)
	p := s.objectPath(d)
	if s.objectPresent(p, d) {
		return d, nil
	}
	if err := s.writeEntry(p, data); err != nil {
		return d, fmt.Errorf("put object %s: %w", d.Short(), err)
	}
	s.rememberWritten(p, d)
	return d, nil
}

// PutObjectReader streams r into the store and returns its digest and size,
// without holding the content in memory.
func (s *Store) PutObjectReader(r io.Reader) (Digest, int64, error) {
	f, err := createTemp(s.TempDir())
	if err != nil {
		return Digest{}, 0, fmt.Errorf("put object: %w", err)
	}
	d, n, err := copySync(f, r)
	if err != nil {
		_ = os.Remove(f.Name())
		return d, n, fmt.Errorf("put object: %w", err)
	}
	p := s.objectPath(d)
	if s.objectPresent(p, d) {
		_ = os.Remove(f.Name())
		return d, n, nil
	}
	if err := s.renameIn(f.Name(), p); err != nil {
		_ = os.Remove(f.Name())
		return d, n, fmt.Errorf("put object %s: %w", d.Short(), err)
	}
	s.rememberWritten(p, d)
	return d, n, nil
}

// copySync copies r into f while hashing, then fsyncs and closes f.
func copySync(f *os.File, r io.Reader) (Digest, int64, error) {
	h := sha256.New()
	n, err := copyBuffered(io.MultiWriter(f, h), r)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	var d Digest
	h.Sum(d[:0])
	return d, n, err
}

// renameIn moves a complete, fsync'd temp file to path and makes it durable.
func (s *Store) renameIn(tmp, path string) error {
	dir := filepath.Dir(path)
	if err := s.ensureDir(dir); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return SyncDir(dir)
}

// objectPresent reports whether the object at p exists with the content
// of digest d, refreshing a stale mtime. The content is checked through
// the stat cache (see DigestFile): an object hashed once is not read
// again while its size, mtime, inode and ctime stay the same.
func (s *Store) objectPresent(p string, d Digest) bool {
	fi, err := os.Stat(p)
	if err != nil || !fi.Mode().IsRegular() {
		return false
	}
	if got, _, err := s.DigestFile(p); err != nil || got != d {
		return false
	}
	if now := time.Now(); now.Sub(fi.ModTime()) > touchAfter {
		if os.Chtimes(p, now, now) == nil {
			s.rememberWritten(p, d) // just verified; the touch changed its signature, not its bytes
		}
	}
	return true
}

// HasObject reports whether an object is present. It does not verify the
// content; reading does, and so does CheckObject.
func (s *Store) HasObject(d Digest) bool {
	fi, err := os.Stat(s.objectPath(d))
	return err == nil && fi.Mode().IsRegular()
}

// CheckObject verifies that an object is present and intact, through the
// stat cache (an object hashed once is not read again while its stat
// signature stays the same). A missing object is ErrNotFound; so is a
// damaged one, which is removed.
func (s *Store) CheckObject(d Digest) error {
	p := s.objectPath(d)
	fi, err := os.Lstat(p)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("check object %s: %w", d.Short(), ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("check object %s: %w", d.Short(), err)
	}
	var got Digest
	if fi.Mode().IsRegular() {
		got, _, err = s.digestStat(p, p, fi) // p is absolute: no second stat
	} else {
		got, _, err = s.DigestFile(p)
	}
	if err == nil && got == d {
		return nil
	}
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("check object %s: %w", d.Short(), ErrNotFound)
	}
	if err == nil || !fi.Mode().IsRegular() {
		removeIfSame(p, fi)
		return fmt.Errorf("check object %s: corrupt: %w", d.Short(), ErrNotFound)
	}
	return fmt.Errorf("check object %s: %w", d.Short(), err)
}

// ReadObject returns an object's bytes, verifying its digest. A missing,
// corrupt or truncated object is ErrNotFound; the damaged file is removed.
func (s *Store) ReadObject(d Digest) ([]byte, error) {
	p := s.objectPath(d)
	f, fi, err := openEntry(p)
	if err != nil {
		return nil, fmt.Errorf("read object %s: %w", d.Short(), err)
	}
	defer f.Close()
	var buf bytes.Buffer
	// ReadFrom wants MinRead bytes free before each read, EOF's included:
	// without them it would grow the buffer to twice the object's size.
	buf.Grow(int(fi.Size()) + bytes.MinRead)
	if _, err := buf.ReadFrom(f); err != nil {
		return nil, fmt.Errorf("read object %s: %w", d.Short(), err)
	}
	if DigestOf(buf.Bytes()) != d {
		removeIfSame(p, fi)
		return nil, fmt.Errorf("read object %s: corrupt: %w", d.Short(), ErrNotFound)
	}
	return buf.Bytes(), nil
}

// OpenObject opens an object for streaming. The reader verifies the digest
// as it goes: on a mismatch the final Read returns an error wrapping
// ErrNotFound instead of io.EOF, and the damaged file is removed; a match
// enters the object into the stat cache (when settled, racy.go). An
// object the stat cache or this process's writes vouch for (written.go)
// is not hashed again: its reader checks instead that its stat signature
// is the same at the end of the read.
func (s *Store) OpenObject(d Digest) (io.ReadCloser, error) {
	p := s.objectPath(d)
	start := time.Now()
	f, fi, err := openEntry(p)
	if err != nil {
		return nil, fmt.Errorf("open object %s: %w", d.Short(), err)
	}
	if s.vouched(p, fi, d) {
		return &unchangedReader{s: s, f: f, fi: fi, path: p, want: d}, nil
	}
	return &verifyingReader{s: s, start: start, f: f, fi: fi, path: p, want: d, h: sha256.New()}, nil
}

// openEntry opens a store file for reading without ever blocking: a
// missing file is ErrNotFound, and so is one that is not a regular file (a
// named pipe, a device or a directory put in its place), which is removed
// as damaged entries are.
func openEntry(p string) (*os.File, os.FileInfo, error) {
	f, fi, err := regfile.Open(p, 0)
	switch {
	case err == nil:
		return f, fi, nil
	case errors.Is(err, os.ErrNotExist):
		return nil, nil, ErrNotFound
	case errors.Is(err, regfile.ErrNotRegular):
		removeNotRegular(p)
		return nil, nil, fmt.Errorf("%w: %w", err, ErrNotFound)
	}
	return nil, nil, err
}

// readEntry reads a whole store file as openEntry opens it.
func readEntry(p string) ([]byte, os.FileInfo, error) {
	f, fi, err := openEntry(p)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, nil, err
	}
	return b, fi, nil
}

// removeNotRegular removes p if it is not a regular file, so that the next
// write of the entry can take its place (a non-empty directory stays).
func removeNotRegular(p string) {
	if fi, err := os.Lstat(p); err == nil && !fi.Mode().IsRegular() {
		removeIfSame(p, fi)
	}
}

// verifyingReader hashes what it reads and checks the digest at EOF.
type verifyingReader struct {
	s     *Store
	start time.Time // before the file was opened
	f     *os.File
	fi    os.FileInfo
	path  string
	want  Digest
	h     hash.Hash
	err   error
}

func (r *verifyingReader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	n, err := r.f.Read(p)
	r.h.Write(p[:n])
	if err == io.EOF {
		var got Digest
		r.h.Sum(got[:0])
		if got != r.want {
			removeIfSame(r.path, r.fi)
			err = fmt.Errorf("read object %s: corrupt: %w", r.want.Short(), ErrNotFound)
		} else if fi, serr := r.f.Stat(); serr == nil && sigOf(fi) == sigOf(r.fi) {
			r.s.record(r.path, sigOf(fi), r.want, r.start) // read whole, unchanged: as DigestFile would
		}
	}
	if err != nil {
		r.err = err
	}
	return n, err
}

func (r *verifyingReader) Close() error { return r.f.Close() }
