package store

import (
	"io"
	"os"
	"sync"
	"time"
)

// When a stat signature may vouch for a file's content.
//
// The stat cache (statcache.go) trusts a recorded (signature, digest) pair
// while a file's size, mtime, inode and ctime are unchanged. A write, a
// truncation, a chmod, a rename over it and os.Chtimes (which can restore
// the mtime but sets the ctime to now) all give the file a new ctime, so
// they are seen, with one exception: a change made within the same
// timestamp tick as the change that gave the file its recorded ctime
// leaves the ctime as it was. Linux stamps files with a coarse clock
// (ktime_get_coarse_real_ts64: the wall clock as of the last timer tick,
// 1 to 10 ms behind with HZ 1000 to 100; filesystems with one-second or
// two-second timestamps, such as ext4 with 128-byte inodes, vfat, HFS+, are
// coarser still).
//
// So a signature is entered into the cache only when it is settled at the
// time at which the reading (or the stat) that produced it started: both
// its mtime and its ctime lie more than a margin before that time. Any
// change after that moment gets a ctime from the coarse clock of that
// moment or later, which is more than one tick past the recorded ctime,
// and so differs from it. The rule is applied when the entry is recorded,
// with the time of recording, as git does with its index's mtime ("racy
// git"), not with the time of use; an entry that was racy is simply not
// recorded (the file is read again next time, and recorded then).
//
// The margin is racyWindow (100 ms by default: ten times the coarsest
// Linux tick) for timestamps with a sub-second part; timestamps without
// one (both mtime and ctime on whole seconds) come from a filesystem that
// keeps whole seconds, or an even coarser one, and get coarseRacyWindow.
// Clock skew between a network filesystem's server and this machine is
// not covered beyond the margin (the stat cache has always relied on it).
//
// The files a process wrote itself (objects, materialized files) are
// entered when the stat cache is saved, at the end of a run, and many of
// them were written (or hard-linked, which sets the ctime) in its last
// milliseconds. For those on the store's file system the reference is not
// the wall clock but the file system's own clock: the store creates a
// probe file in tmp/ first (stampNow) and a file whose mtime and ctime are
// both older than the probe's ctime is settled. The probe's ctime is the
// same coarse clock (or, on a network file system, the same server) that
// will stamp any later change, so a later change gets a ctime at least the
// probe's, never the recorded one; this holds at any timestamp granularity
// and needs no margin, and only a file changed in the very tick of the
// probe is left out.
//
// One window cannot be closed by stat alone, for any file: a same-size
// change within the same tick as the change the signature was taken
// after (a write racing the end of another write). Files an sptflow
// process wrote itself are recorded with the signature it saw right after
// renaming them into place (written.go); git's index has the same window
// for the files a checkout writes.
const (
	defaultRacyWindow = 100 * time.Millisecond
	coarseRacyWindow  = 2*time.Second + 100*time.Millisecond
)

// settled reports whether a signature taken after the time at may be
// recorded in the stat cache: its mtime and ctime are older than at by
// more than the racy margin (see above).
func (s *Store) settled(sig fileSig, at time.Time) bool {
	margin := s.racyWindow
	if sig.Mtime%1e9 == 0 && sig.Ctime%1e9 == 0 && margin > 0 {
		margin = max(margin, coarseRacyWindow)
	}
	limit := at.Add(-margin).UnixNano()
	return sig.Mtime < limit && sig.Ctime < limit
}

// stamp is a time on a file system's own clock (stampNow).
type stamp struct {
	at  int64 // the probe's ctime (mtime where there is none), UnixNano
	dev uint64
	ok  bool
}

// stampNow returns the time the store's file system gives a file created
// now: the ctime of a probe file created (and removed) in tmp/.
func (s *Store) stampNow() stamp {
	f, err := createTemp(s.TempDir())
	if err != nil {
		return stamp{}
	}
	fi, err := f.Stat()
	_ = f.Close()
	_ = os.Remove(f.Name())
	if err != nil {
		return stamp{}
	}
	dev, ok := devOf(fi)
	sig := sigOf(fi)
	return stamp{at: max(sig.Ctime, sig.Mtime), dev: dev, ok: ok}
}

// settledBy reports whether a signature of the file fi, taken after the
// probe st was stamped, may be recorded: it is on the probe's file system
// and both its times are older than the probe's.
func (st stamp) settledBy(sig fileSig, fi os.FileInfo) bool {
	dev, ok := devOf(fi)
	return st.ok && ok && dev == st.dev && sig.Mtime < st.at && sig.Ctime < st.at
}

// copyBufferSize is the read size for hashing and copying files: large
// enough that the system calls cost little next to SHA-256 (io.Copy reads
// 32 KiB at a time), small enough to stay in the CPU's cache.
const copyBufferSize = 256 << 10

var copyBuffers = sync.Pool{New: func() any { b := make([]byte, copyBufferSize); return &b }}

// copyBuffered copies src to dst through a pooled copyBufferSize buffer.
// It reads src only through Read: an *os.File's WriteTo would copy with
// io.Copy's 32 KiB buffer.
func copyBuffered(dst io.Writer, src io.Reader) (int64, error) {
	bp := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(bp)
	return io.CopyBuffer(dst, struct{ io.Reader }{src}, *bp)
}
