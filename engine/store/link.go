package store

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// LinkMethod is how MaterializeObject placed a stored object in the data
// directory.
type LinkMethod int

const (
	// LinkCopy writes a full copy (the fallback).
	LinkCopy LinkMethod = iota
	// LinkReflink clones the object's blocks copy-on-write (FICLONE): the
	// file is independent of the object and takes no space until edited.
	LinkReflink
	// LinkHard hard-links the object, which is made read-only (0444); the
	// data file is the same inode, so it is read-only too.
	LinkHard
)

func (m LinkMethod) String() string {
	switch m {
	case LinkReflink:
		return "reflink"
	case LinkHard:
		return "hardlink"
	}
	return "copy"
}

// MaterializeEnv names the environment variable that chooses how objects
// are materialized: "copy" always copies; "reflink" tries a reflink, then
// copies; "hardlink" tries a reflink, then a hard link, then copies;
// "auto" (the default, also any other value) is "hardlink" for a user
// that read-only permissions stop and "reflink" for root, whom they do not
// stop (see MaterializeObject).
const MaterializeEnv = "SPTFLOW_MATERIALIZE"

var materializeMode = sync.OnceValue(func() string {
	switch m := os.Getenv(MaterializeEnv); m {
	case "copy", "reflink", "hardlink":
		return m
	}
	if os.Geteuid() == 0 {
		return "reflink"
	}
	return "hardlink"
})

// MaterializeObject places object d at dst, replacing dst atomically (a
// temp name in dst's directory, renamed over it, the directory fsync'd),
// without a second copy of the data where the file system allows: a
// reflink, else a hard link, else a copy. dst's directory must exist.
//
// The object is verified first (through the stat cache), so a damaged one
// is never spread: a missing or damaged object is ErrNotFound and the
// damaged file is removed, as ReadObject does.
//
// A hard-linked object is made read-only (0444), and so is the data file,
// being the same inode: writing to it in place fails, and edits need a
// copy (editors that save by rename, like sed -i, replace the link and
// leave the object alone). Root ignores permissions, so by default root
// never hard-links (MaterializeEnv). Whoever writes to a hard-linked file
// anyway changes the object too; the store detects that on its next read
// or check of the object (its size, mtime or ctime differ from the stat
// cache, so it is hashed again) and treats it as damaged: readers fail
// with ErrNotFound and the engine re-runs the partition that produced it.
func (s *Store) MaterializeObject(d Digest, dst string) (LinkMethod, error) {
	p := s.objectPath(d)
	fi, err := os.Lstat(p)
	if errors.Is(err, os.ErrNotExist) {
		return LinkCopy, fmt.Errorf("materialize object %s: %w", d.Short(), ErrNotFound)
	}
	if err != nil {
		return LinkCopy, fmt.Errorf("materialize object %s: %w", d.Short(), err)
	}
	mode := materializeMode()
	if known, ok := s.knownDigest(p, fi); ok && known == d && mode == "copy" {
		// Known intact without reading it (this process wrote it, or the
		// stat cache vouches for it): copy it without hashing it again.
		return LinkCopy, s.copyKnown(p, d, dst)
	}
	if got, _, err := s.DigestFile(p); err != nil || got != d {
		if errors.Is(err, os.ErrNotExist) {
			return LinkCopy, fmt.Errorf("materialize object %s: %w", d.Short(), ErrNotFound)
		}
		if err != nil && fi.Mode().IsRegular() {
			return LinkCopy, fmt.Errorf("materialize object %s: %w", d.Short(), err)
		}
		removeIfSame(p, fi)
		return LinkCopy, fmt.Errorf("materialize object %s: corrupt: %w", d.Short(), ErrNotFound)
	}
	if mode != "copy" && s.mayReflink(dst) {
		err := linkInto(p, dst, reflink)
		if err == nil {
			s.rememberPlaced(p, dst, d, fi)
			return LinkReflink, nil
		}
		s.reflinkFailed(dst, err)
	}
	if mode != "copy" && mode != "reflink" {
		if err := linkInto(p, dst, hardLink); err == nil {
			s.rememberPlaced(p, dst, d, fi)
			return LinkHard, nil
		}
	}
	// Just verified (through the stat cache, or by hashing it): copy it
	// without hashing it a second time.
	return LinkCopy, s.copyKnown(p, d, dst)
}

// copyKnown writes a copy of the object at p, just found to hold d, to dst
// atomically (a temp file in dst's directory, fsync'd, renamed over dst, the
// directory fsync'd), streaming: the kernel copies the bytes
// (copy_file_range) without holding the object in memory. They are hashed
// while copied only when the object's stat signature is not one the stat
// cache or this process's writes vouch for (it was hashed while too recent
// to cache); a mismatch is ErrNotFound and removes the object, as
// ReadObject does. An object whose signature changes during the copy
// (someone wrote to it) is ErrNotFound too.
func (s *Store) copyKnown(p string, d Digest, dst string) error {
	src, fi, err := openEntry(p)
	if err != nil {
		return fmt.Errorf("materialize object %s: %w", d.Short(), err)
	}
	defer src.Close()
	known, trusted := s.knownDigest(p, fi)
	trusted = trusted && known == d
	tmp, err := createTemp(filepath.Dir(dst))
	if err != nil {
		return fmt.Errorf("materialize object %s: %w", d.Short(), err)
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	if trusted {
		_, err = tmp.ReadFrom(src)
	} else {
		_, err = copyBuffered(io.MultiWriter(tmp, h), src)
	}
	if err != nil {
		return fmt.Errorf("materialize object %s: %w", d.Short(), err)
	}
	if after, err := src.Stat(); err != nil || sigOf(after) != sigOf(fi) {
		return fmt.Errorf("materialize object %s: changed while copied: %w", d.Short(), ErrNotFound)
	}
	if !trusted {
		var got Digest
		if h.Sum(got[:0]); got != d {
			removeIfSame(p, fi)
			return fmt.Errorf("materialize object %s: corrupt: %w", d.Short(), ErrNotFound)
		}
	}
	if err := WriteSyncClose(tmp, nil, 0o644); err != nil {
		return fmt.Errorf("materialize object %s: %w", d.Short(), err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return fmt.Errorf("materialize object %s: %w", d.Short(), err)
	}
	ok = true
	if abs, err := filepath.Abs(dst); err == nil {
		s.rememberWritten(abs, d)
	}
	return SyncDir(filepath.Dir(dst))
}

// mayReflink reports whether a reflink into dst's directory is worth
// trying: not when FICLONE was refused as unsupported on its file system
// before (reflinkFailed), which spares each later file a temp file created
// and removed for nothing.
func (s *Store) mayReflink(dst string) bool {
	dev, ok := dirDev(dst)
	if !ok {
		return true
	}
	_, refused := s.noReflink.Load(dev)
	return !refused
}

// reflinkFailed remembers dst's file system when err says it cannot clone
// files from the store.
func (s *Store) reflinkFailed(dst string, err error) {
	if !reflinkUnsupported(err) {
		return
	}
	if dev, ok := dirDev(dst); ok {
		s.noReflink.Store(dev, true)
	}
}

// dirDev returns the device of dst's directory.
func dirDev(dst string) (uint64, bool) {
	fi, err := os.Stat(filepath.Dir(dst))
	if err != nil {
		return 0, false
	}
	return devOf(fi)
}

// linkInto makes a temp name in dst's directory with place, then renames
// it over dst and fsyncs the directory.
func linkInto(obj, dst string, place func(obj, tmp string) error) error {
	tmp := filepath.Join(filepath.Dir(dst), tempName(""))
	if err := place(obj, tmp); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, dst); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	// Renaming a link over another link to the same inode does nothing and
	// leaves the temp name behind.
	if _, err := os.Lstat(tmp); err == nil {
		_ = os.Remove(tmp)
	}
	return SyncDir(filepath.Dir(dst))
}

// hardLink makes the object read-only and links it at tmp.
func hardLink(obj, tmp string) error {
	if err := os.Chmod(obj, 0o444); err != nil {
		return err
	}
	return os.Link(obj, tmp)
}
