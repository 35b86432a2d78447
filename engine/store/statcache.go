package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/sptflow/sptflow/internal/mapped"
	"github.com/sptflow/sptflow/regfile"
)

// statCacheVersion is written into statcache.json; another version is ignored.
const statCacheVersion = 1

// fileSig identifies a file version without reading it. A content change
// that keeps all of size, mtime, inode and ctime is not detected; the
// "racy" rule (settled, racy.go) covers changes within the timestamp
// granularity.
type fileSig struct {
	Size  int64  `json:"size"`
	Mtime int64  `json:"mtime"` // UnixNano
	Ino   uint64 `json:"ino,omitempty"`
	Ctime int64  `json:"ctime,omitempty"` // UnixNano
}

type statEntry struct {
	fileSig
	Digest Digest `json:"digest"`
}

type statCacheFile struct {
	Version int                  `json:"version"`
	Files   map[string]statEntry `json:"files"`
}

// statCache is the in-memory stat cache, loaded lazily.
type statCache struct {
	once  sync.Once
	mu    sync.Mutex
	files map[string]statEntry
	used  map[string]bool // paths looked up by this process
	dirty bool
	// fresh are files this process wrote with a digest it computed from
	// the bytes it wrote (objects, see written.go): trusted while their
	// stat signature holds, by this process only; never saved.
	fresh map[string]statEntry
}

func (s *Store) statCachePath() string { return filepath.Join(s.dir, "statcache.json") }

// statCacheMagic starts statcache.json, followed by the SHA-256 (hex) of
// the JSON after the newline that ends the line, so that a flipped bit in
// a digest is not taken for a file's digest. Files without it (written
// before) are read if they are valid JSON.
const statCacheMagic = "sptflow-statcache "

// loadStatCache reads statcache.json once; a missing file is an empty
// cache, and so is one that cannot be read (a named pipe or a directory in
// its place, which is never waited on) or is damaged, with a warning (see
// Warnings).
func (s *Store) loadStatCache() {
	s.stat.once.Do(func() {
		s.stat.files = map[string]statEntry{}
		s.stat.used = map[string]bool{}
		s.stat.fresh = map[string]statEntry{}
		b, err := regfile.Read(s.statCachePath(), 0)
		if errors.Is(err, os.ErrNotExist) {
			return
		}
		if err != nil {
			s.warn(fmt.Sprintf("%s cannot be read (%v); ignored (the next save rewrites it)", s.statCachePath(), cause(err)))
			removeNotRegular(s.statCachePath()) // so that the save can take its place
			s.stat.dirty = true
			return
		}
		body, ok := unframeStatCache(b)
		f, fast := decodeStatCache(body)
		if ok && !fast {
			f = statCacheFile{}
			ok = json.Unmarshal(body, &f) == nil
		}
		if ok && f.Version == statCacheVersion && f.Files != nil {
			s.stat.files = f.Files
			return
		}
		s.warn(fmt.Sprintf("%s is damaged; ignored (the next save rewrites it)", s.statCachePath()))
		s.stat.dirty = true
	})
}

func frameStatCache(body []byte) []byte {
	return append([]byte(statCacheMagic+DigestOf(body).String()+"\n"), body...)
}

func unframeStatCache(b []byte) ([]byte, bool) {
	rest, ok := bytes.CutPrefix(b, []byte(statCacheMagic))
	if !ok {
		return b, json.Valid(b) // the older format
	}
	hexSum, body, ok := bytes.Cut(rest, []byte("\n"))
	if !ok {
		return nil, false
	}
	sum, err := ParseDigest(string(hexSum))
	return body, err == nil && DigestOf(body) == sum
}

// DigestFile returns the SHA-256 and size of the file at path. Files whose
// (path, size, mtime, inode, ctime) match the stat cache are not read. A
// file modified just before it was read is hashed but not cached, since a
// further same-size write in the same timestamp tick would be invisible
// (the racy rule, see settled in racy.go).
// Safe for concurrent use; SaveStatCache persists the cache.
func (s *Store) DigestFile(path string) (Digest, int64, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return Digest{}, 0, fmt.Errorf("digest %s: %w", path, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return Digest{}, 0, fmt.Errorf("digest %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return Digest{}, 0, fmt.Errorf("digest %s: not a regular file", path)
	}
	return s.digestStat(path, abs, fi)
}

// digestStat is DigestFile of the regular file at the absolute path abs
// whose os.Stat (or, for a regular file, os.Lstat) is fi.
func (s *Store) digestStat(path, abs string, fi os.FileInfo) (Digest, int64, error) {
	d, n, _, err := s.digestStatObserved(path, abs, fi, nil)
	return d, n, err
}

// digestStatObserved is digestStat that hands the bytes it hashes to o
// (may be nil; see Observer); observed says o saw the bytes digested.
func (s *Store) digestStatObserved(path, abs string, fi os.FileInfo, o Observer) (Digest, int64, bool, error) {
	sig := sigOf(fi)
	if d, ok := s.cachedDigest(abs, sig); ok {
		return d, sig.Size, false, nil
	}
	d, sig, start, observed, err := s.hashStable(abs, o)
	if err != nil {
		return Digest{}, 0, false, fmt.Errorf("digest %s: %w", path, err)
	}
	s.record(abs, sig, d, start)
	return d, sig.Size, observed, nil
}

// cachedDigest returns the digest the stat cache (or this process's
// hashing) knows for the file at abs with signature sig, and marks the
// path used (pruneStatCache need not check that it still exists).
func (s *Store) cachedDigest(abs string, sig fileSig) (Digest, bool) {
	s.loadStatCache()
	s.stat.mu.Lock()
	defer s.stat.mu.Unlock()
	e, ok := s.stat.files[abs]
	if !ok || e.fileSig != sig {
		e, ok = s.stat.fresh[abs]
	}
	s.stat.used[abs] = true
	return e.Digest, ok && e.fileSig == sig
}

// record enters (sig, d) for the file at abs into the stat cache, to be
// saved, when sig is settled at the time at (before the file was read or
// statted for sig); a racy signature is not entered (see settled).
func (s *Store) record(abs string, sig fileSig, d Digest, at time.Time) {
	if s.settled(sig, at) {
		s.enter(abs, sig, d)
	}
}

// enter enters (sig, d) for the file at abs into the stat cache, to be
// saved; the caller knows sig to be settled.
func (s *Store) enter(abs string, sig fileSig, d Digest) {
	s.loadStatCache()
	s.stat.mu.Lock()
	if e, ok := s.stat.files[abs]; !ok || e.fileSig != sig || e.Digest != d {
		s.stat.files[abs] = statEntry{fileSig: sig, Digest: d}
		s.stat.dirty = true
	}
	s.stat.mu.Unlock()
}

// hashStable hashes the file, retrying if it changes while being read. It
// returns the time the successful read started, for settled.
func (s *Store) hashStable(abs string, o Observer) (d Digest, sig fileSig, start time.Time, observed bool, err error) {
	for range 3 {
		start = time.Now()
		var before fileSig
		d, before, sig, observed, err = s.hashOnce(abs, o)
		var shrank *mapped.FaultError
		if errors.As(err, &shrank) {
			continue // it changed while being read, as when before != after
		}
		if err != nil || before == sig {
			return d, sig, start, observed, err
		}
	}
	return Digest{}, fileSig{}, time.Time{}, false, fmt.Errorf("file keeps changing while being read")
}

func (s *Store) hashOnce(abs string, o Observer) (d Digest, before, after fileSig, observed bool, err error) {
	f, fi, err := regfile.Open(abs, 0) // never blocks on a FIFO swapped in after the Stat
	if err != nil {
		return d, before, after, false, err
	}
	defer f.Close()
	d, _, observed, err = sumFile(f, fi.Size(), o)
	if err != nil {
		return d, before, after, false, err
	}
	s.hashes.Add(1)
	fi2, err := f.Stat()
	if err != nil {
		return d, before, after, false, err
	}
	return d, sigOf(fi), sigOf(fi2), observed, nil
}

// SaveStatCache writes the stat cache to statcache.json atomically, if it
// changed, dropping entries of files that no longer exist. The files this
// process wrote enter it first (promoteWritten, written.go). Entries another
// process saved meanwhile are overwritten.
func (s *Store) SaveStatCache() error {
	s.promoteWritten()
	s.stat.mu.Lock()
	if !s.stat.dirty {
		s.stat.mu.Unlock()
		return nil
	}
	s.pruneStatCache()
	b, err := json.Marshal(statCacheFile{Version: statCacheVersion, Files: s.stat.files})
	s.stat.dirty = false
	s.stat.mu.Unlock()
	if err == nil {
		err = WriteFileAtomic(s.statCachePath(), frameStatCache(b), 0o644)
	}
	if err != nil {
		s.stat.mu.Lock()
		s.stat.dirty = true
		s.stat.mu.Unlock()
		return fmt.Errorf("save stat cache: %w", err)
	}
	return nil
}

// pruneStatCache drops entries, not used by this process, of files that are
// gone. The caller holds s.stat.mu.
func (s *Store) pruneStatCache() {
	for p := range s.stat.files {
		if s.stat.used[p] {
			continue
		}
		if _, err := os.Lstat(p); errors.Is(err, os.ErrNotExist) {
			delete(s.stat.files, p)
		}
	}
}
