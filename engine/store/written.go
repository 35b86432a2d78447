package store

import (
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Each byte of an output is hashed once on its way to the data directory:
// when the object is put (its digest is its address). The store remembers
// the stat signature of each object it wrote together with that digest
// (statCache.fresh), so materializing the object right after neither reads
// it back to verify it nor hashes it again. When the stat cache is saved,
// the objects (and materialized files) this process wrote whose signature
// is still the one it saw after writing them, and is settled by then (see
// settled in racy.go), enter the saved cache: the next process reads them
// without hashing them, as it does inputs the cache knows. Objects whose
// signature changed since (someone wrote to them, chmod'ed them, put
// another file in their place, or restored their mtime with Chtimes, which
// sets the ctime), or that were too recent to record, are verified by
// hashing them as before.

// rememberWritten records that this process wrote the regular file at the
// absolute path abs with content digest d.
func (s *Store) rememberWritten(abs string, d Digest) {
	fi, err := os.Lstat(abs)
	if err != nil || !fi.Mode().IsRegular() {
		return
	}
	s.remember(abs, sigOf(fi), d)
}

// remember records that the regular file at abs, with signature sig, holds d.
func (s *Store) remember(abs string, sig fileSig, d Digest) {
	s.loadStatCache()
	s.stat.mu.Lock()
	s.stat.fresh[abs] = statEntry{fileSig: sig, Digest: d}
	s.stat.mu.Unlock()
}

// knownDigest returns the digest of the file at the absolute path abs,
// whose Lstat is fi, if the stat cache or this process's writes know it
// without reading the file.
func (s *Store) knownDigest(abs string, fi os.FileInfo) (Digest, bool) {
	if !fi.Mode().IsRegular() {
		return Digest{}, false
	}
	return s.cachedDigest(abs, sigOf(fi))
}

// rememberPlaced records that dst (made from object d) and the object
// itself hold d: placing it may have changed the object's ctime (a hard
// link, a chmod), which would otherwise make the next check read the
// object again. verified is the object's Lstat from before it was found to
// hold d. Placing changes nothing else of it, so if its inode, size or
// mtime differ now, someone wrote to it since (its owner, or root, writing
// to a hard-linked data file): then nothing is recorded, and the next check
// hashes both files. A same-size write within the mtime's tick is the one
// change this cannot see, as for every stat signature (racy.go).
func (s *Store) rememberPlaced(obj, dst string, d Digest, verified os.FileInfo) {
	fi, err := os.Lstat(obj)
	if err != nil || !fi.Mode().IsRegular() || !sameContentSig(sigOf(verified), sigOf(fi)) {
		return
	}
	s.remember(obj, sigOf(fi), d)
	if abs, err := filepath.Abs(dst); err == nil {
		s.rememberWritten(abs, d)
	}
}

// sameContentSig reports whether two signatures of one file differ at most
// in their ctime, which a link, a chmod or a touch of the times changes
// without changing the content.
func sameContentSig(a, b fileSig) bool {
	return a.Ino == b.Ino && a.Size == b.Size && a.Mtime == b.Mtime
}

// vouched reports whether the stat cache or this process's writes know
// the object at p, whose stat signature is fi, to hold d.
func (s *Store) vouched(p string, fi os.FileInfo, d Digest) bool {
	got, ok := s.knownDigest(p, fi)
	return ok && got == d
}

// promoteWritten enters into the stat cache, to be saved, the files this
// process wrote or placed whose signature is still the one it saw right
// after writing them and is settled now: by the store file system's clock
// for files on it, else by the wall clock (racy.go).
func (s *Store) promoteWritten() {
	s.loadStatCache()
	s.stat.mu.Lock()
	var todo []string
	for abs, e := range s.stat.fresh {
		if old, ok := s.stat.files[abs]; !ok || old != e {
			todo = append(todo, abs)
		}
	}
	s.stat.mu.Unlock()
	if len(todo) == 0 {
		return
	}
	at := time.Now()      // before the Lstats: what they see is at least this recent
	probe := s.stampNow() // likewise, on the file system's clock
	for _, abs := range todo {
		fi, err := os.Lstat(abs)
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		s.stat.mu.Lock()
		e, ok := s.stat.fresh[abs]
		s.stat.mu.Unlock()
		if !ok || e.fileSig != sigOf(fi) {
			continue
		}
		if probe.settledBy(e.fileSig, fi) || s.settled(e.fileSig, at) {
			s.enter(abs, e.fileSig, e.Digest)
		}
	}
}

// unchangedReader reads an object the stat cache or this process's writes
// vouch for (vouched) without hashing it; at the end it checks that the
// file's stat signature did not change while it was read (someone wrote to
// it), which is ErrNotFound. A change of the ctime alone (same inode, size
// and mtime) is what another process hard-linking the object into its data
// directory (or chmod'ing it) does while this one reads, as sharded runs
// sharing a store do: then the file is hashed once to tell that from a
// write whose mtime was put back, and a match ends the read as usual.
type unchangedReader struct {
	s    *Store
	f    *os.File
	fi   os.FileInfo
	path string
	want Digest
	err  error
}

func (r *unchangedReader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	n, err := r.f.Read(p)
	if err == io.EOF {
		err = r.checkUnchanged()
	}
	if err != nil {
		r.err = err
	}
	return n, err
}

// checkUnchanged returns io.EOF when the file still holds what the read
// was vouched for, else the error that says it changed.
func (r *unchangedReader) checkUnchanged() error {
	now, ok := StillHolds(r.f, r.fi, r.want)
	if !ok {
		return fmt.Errorf("read object %s: changed while read: %w", r.want.Short(), ErrNotFound)
	}
	if r.s != nil && sigOf(now) != sigOf(r.fi) {
		r.s.rememberWritten(r.path, r.want) // the new signature, verified
	}
	return io.EOF
}

// StillHolds reports whether the open file f, whose stat was was when a
// read of it that trusted it to hold want began, still holds want now that
// the read is done, and returns its stat. It does when its stat signature
// is unchanged. When only the ctime changed (same inode, size and mtime:
// a hard link or a chmod by another process, or a write whose mtime was
// put back), the file is hashed once to tell which, and a match holds.
func StillHolds(f *os.File, was os.FileInfo, want Digest) (os.FileInfo, bool) {
	fi, err := f.Stat()
	if err != nil {
		return nil, false
	}
	before, now := sigOf(was), sigOf(fi)
	if now == before {
		return fi, true
	}
	if now.Size != before.Size || now.Mtime != before.Mtime || now.Ino != before.Ino {
		return nil, false
	}
	h := sha256.New()
	if _, err := copyBuffered(h, io.NewSectionReader(f, 0, now.Size)); err != nil {
		return nil, false
	}
	after, err := f.Stat()
	if err != nil || sigOf(after) != now || Digest(h.Sum(nil)) != want {
		return nil, false
	}
	return after, true
}

func (r *unchangedReader) Close() error { return r.f.Close() }

// KnownDigest returns the digest of the regular file at the absolute path
// abs, whose os.Stat or Lstat is fi, when the stat cache (or this process's
// own writes) knows it for exactly that stat signature, without reading it.
func (s *Store) KnownDigest(abs string, fi os.FileInfo) (Digest, bool) {
	return s.knownDigest(abs, fi)
}

// DigestStat is DigestFile of the regular file at the absolute path abs
// whose os.Stat the caller already holds: it is not statted again.
func (s *Store) DigestStat(abs string, fi os.FileInfo) (Digest, int64, error) {
	d, n, _, err := s.DigestStatObserved(abs, fi, nil)
	return d, n, err
}

// DigestStatObserved is DigestStat that hands the bytes it hashes to o
// (may be nil; see Observer); observed says o saw the bytes digested, from
// a file that did not change while it was read. A file the stat cache
// knows is not read, so not observed.
func (s *Store) DigestStatObserved(abs string, fi os.FileInfo, o Observer) (d Digest, size int64, observed bool, err error) {
	if !filepath.IsAbs(abs) || !fi.Mode().IsRegular() {
		d, size, err = s.DigestFile(abs)
		return d, size, false, err
	}
	abs = filepath.Clean(abs) // as DigestFile keys the stat cache
	return s.digestStatObserved(abs, abs, fi, o)
}

// KnownDigestStat is DigestStat answered without reading the file: the
// digest the stat cache knows for abs with the signature fi, ok false when
// it knows none (DigestStat would hash the file). It does no I/O, so a
// caller can ask it inline and keep its workers for the files to hash.
func (s *Store) KnownDigestStat(abs string, fi os.FileInfo) (d Digest, size int64, ok bool) {
	if !filepath.IsAbs(abs) {
		return Digest{}, 0, false
	}
	d, ok = s.knownDigest(filepath.Clean(abs), fi) // keyed as DigestStat keys the stat cache
	return d, fi.Size(), ok
}

// DigestPlaced is DigestFile of the file at path, which was materialized
// from object d: when it is a hard link of that object (the same inode,
// so the same bytes) and the stat cache or this process vouches for the
// object, its digest is d without reading it. A hard-linked data file's
// signature changes with the object's (a GC touch of a re-put object sets
// its ctime), and this keeps such a file from being hashed again.
func (s *Store) DigestPlaced(path string, d Digest) (Digest, int64, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return s.DigestFile(path)
	}
	fi, err := os.Stat(abs)
	if err != nil || !fi.Mode().IsRegular() {
		return s.DigestFile(path)
	}
	return s.DigestPlacedStat(abs, fi, d)
}

// DigestPlacedStat is DigestPlaced for a file the caller has just statted
// (fi), saving the second stat; a relative path or a file that is not
// regular is left to DigestPlaced.
func (s *Store) DigestPlacedStat(abs string, fi fs.FileInfo, d Digest) (Digest, int64, error) {
	if !filepath.IsAbs(abs) || !fi.Mode().IsRegular() {
		return s.DigestPlaced(abs, d)
	}
	abs = filepath.Clean(abs) // as DigestFile keys the stat cache
	p := s.objectPath(d)
	if ofi, err := os.Lstat(p); err == nil && os.SameFile(fi, ofi) && s.vouched(p, ofi, d) {
		s.loadStatCache()
		s.stat.mu.Lock()
		s.stat.fresh[abs] = statEntry{fileSig: sigOf(fi), Digest: d}
		s.stat.used[abs] = true
		s.stat.mu.Unlock()
		return d, fi.Size(), nil
	}
	return s.digestStat(abs, abs, fi)
}
