package store

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sptflow/sptflow/regfile"
)

// RecordLog is a durable key-value namespace kept in append-only segment
// files: the same contract as Records (it implements llm.RecordStore), for
// callers that put many small records and cannot afford a new file per
// record. Creating, fsyncing and renaming a file per record cost ~0.7 ms
// of CPU per LLM request here (bench/llm), most of the client's budget; an
// append costs one fdatasync, shared by the Puts that arrive while it runs
// (group commit).
//
// Each process appends to a segment of its own, created on its first Put
// and exclusively flock'ed while the process lives, so writers never
// interleave and anyone can tell a sealed segment (no live writer: it
// never changes again) from a growing one. Reads verify a checksum: a torn
// or damaged entry is a miss, and the entries after it are still read
// (damage costs only the damaged entries). Records other processes append become
// visible on the next miss (Get reads the new tails of growing segments
// and any new segment); a key that another process replaces may still be
// read at its previous value, which suits content-addressed records such
// as the LLM request store. Within a process, Get sees the latest Put.
// Safe for concurrent use by goroutines and processes.
//
// A segment that cannot be read (its permissions, an I/O error, a named
// pipe or a directory in its place) is reported once per process through
// Store.Warnings, and while it stays so a Get that finds its key nowhere
// else fails with an *UnreadableSegmentError instead of missing: the record
// may be in it (records_log_unreadable.go). A segment removed meanwhile
// (by GC) is no error.
//
// Store.GC compacts the sealed segments: it drops replaced, deleted,
// damaged and pruned entries (GCOptions.PruneRecords, PruneRecordIf) and
// rewrites the rest into one segment.
//
// Layout: records/<ns>/log/<random>.seg, beside the per-file Records of
// the same namespace, which ignore it. RecordLog reads those files too (a
// miss in the log falls back to them), so a namespace written by Records
// keeps its records when its users switch to RecordLog; Delete and Range
// cover both.
type RecordLog struct {
	ns, dir string
	err     error    // invalid namespace
	files   *Records // the per-file records of the namespace
	st      *Store   // for warnings

	filesOnce sync.Once
	hasFiles  bool // files held records when first asked

	mu     sync.Mutex
	index  map[[32]byte]logLoc
	segs   map[string]*logSeg
	active *logSeg // this process's segment; nil before the first Put
	// unreadable holds the segments (by name) the last refresh could not
	// open or read, and why.
	unreadable map[string]error
	// dirMod is the log directory's mtime at the last listing that
	// happened well after it (see listingCurrent).
	dirMod time.Time
}

// logSeg is one segment file, open for reading (and, when it is this
// process's, for appending).
type logSeg struct {
	name    string
	f       *os.File
	scanned int64        // entries before this offset are indexed (under RecordLog.mu)
	sealed  bool         // no live writer: scanned to the end, it never grows (under RecordLog.mu)
	size    atomic.Int64 // bytes written (own segment only)

	syncMu sync.Mutex // held while an fdatasync runs
	synced int64      // bytes known durable (under syncMu)
}

// logLoc is where the latest entry of a key lives.
type logLoc struct {
	seg     *logSeg
	off     int64 // of the entry header
	n       int   // payload length
	modTime int64 // unix nanoseconds
	deleted bool  // a tombstone
	v1      bool  // a format 1 entry
}

// Entry framing, format 2: magic (its last byte is the format version),
// op, payload length, time, key, the SHA-256 of all of that followed by
// the payload, a CRC-32C of everything before it, then the payload. The
// header CRC lets a scan trust the length without reading the payload and
// lets a reader that meets a damaged entry resynchronise on the next magic
// whose header checks (records_log_walk.go), so damage costs only the
// damaged entries. Format 1 entries (written before; no header CRC) are
// still read: their length is trusted once their SHA-256 checks. New
// entries, and entries GC rewrites, are format 2.
var (
	logMagic   = [4]byte{'s', 'p', 'l', 2}
	logMagicV1 = [4]byte{'s', 'p', 'l', 1}
	// castagnoli is made at the first use, not at init: building the
	// SSE4.2 tables costs every process, most of which never touch a log.
	castagnoli = sync.OnceValue(func() *crc32.Table { return crc32.MakeTable(crc32.Castagnoli) })
)

const (
	logOpPut        = 1
	logOpDelete     = 2
	logHeadSize     = 4 + 1 + 4 + 8 + 32 // what the SHA-256 covers before the payload
	logHeaderSizeV1 = logHeadSize + sha256.Size
	logHeaderSize   = logHeaderSizeV1 + 4
	logMaxPayload   = 1 << 30
	logSegmentSize  = 64 << 20 // start a new segment past this size
	logSuffix       = ".seg"
)

// RecordLog returns the log-structured record namespace ns (same naming
// rules as Records). Close it to release its files.
func (s *Store) RecordLog(namespace string) *RecordLog {
	l := &RecordLog{ns: namespace, dir: filepath.Join(s.dir, "records", namespace, "log"), st: s,
		files: s.Records(namespace), index: map[[32]byte]logLoc{}, segs: map[string]*logSeg{}}
	if !ValidNamespace(namespace) {
		l.err = fmt.Errorf("record log namespace %q: want letters, digits, '_', '.', '-'", namespace)
	}
	return l
}

// Get returns the record stored under key. A missing, deleted or damaged
// record is reported as ok == false; a record found nowhere while a
// segment cannot be read is an error wrapping *UnreadableSegmentError.
func (l *RecordLog) Get(key [32]byte) ([]byte, bool, error) {
	if l.err != nil {
		return nil, false, l.err
	}
	data, ok, deleted, err := l.getLog(key)
	if ok || err != nil {
		return data, ok, err
	}
	if !deleted {
		if data, ok, err = l.filesGet(key); ok || err != nil {
			return data, ok, err
		}
	}
	if err := l.unreadableErr(); err != nil {
		return nil, false, fmt.Errorf("get record %s/%s: %w", l.ns, Digest(key).Short(), err)
	}
	return nil, false, nil
}

// filesGet reads key from the namespace's per-file records if it had any
// when first asked. Since sptflow has the log it writes only the log, so a
// namespace without record files (the usual case) costs no file lookup per
// miss.
func (l *RecordLog) filesGet(key [32]byte) ([]byte, bool, error) {
	l.filesOnce.Do(func() { l.hasFiles = l.files.exist() })
	if !l.hasFiles {
		return nil, false, nil
	}
	return l.files.Get(key)
}

// getLog looks key up in the log; deleted reports a tombstone.
func (l *RecordLog) getLog(key [32]byte) (data []byte, ok, deleted bool, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	loc, ok := l.index[key]
	if !ok || loc.deleted {
		if err := l.refreshLocked(); err != nil {
			return nil, false, false, fmt.Errorf("get record %s/%s: %w", l.ns, Digest(key).Short(), err)
		}
		if loc, ok = l.index[key]; !ok || loc.deleted {
			return nil, false, ok, nil
		}
	}
	data, ok = readLogEntry(loc, key)
	if !ok {
		delete(l.index, key) // damaged: a miss, as if never written
	}
	return data, ok, false, nil
}

// Put appends data under key, replacing any previous record. The record is
// durable (fdatasync'd) when Put returns.
func (l *RecordLog) Put(key [32]byte, data []byte) error {
	if err := l.append(key, logOpPut, data); err != nil {
		return fmt.Errorf("put record %s/%s: %w", l.ns, Digest(key).Short(), err)
	}
	return nil
}

// Delete removes the record under key (durably), from the log and the
// per-file records; a missing record is not an error.
func (l *RecordLog) Delete(key [32]byte) error {
	if err := l.append(key, logOpDelete, nil); err != nil {
		return fmt.Errorf("delete record %s/%s: %w", l.ns, Digest(key).Short(), err)
	}
	return l.files.Delete(key)
}

// Range calls fn for every live record key with the time it was put, in
// key order, until fn returns false. A key both in the log and in the
// per-file records is reported once, with the log's time. The keys of a
// segment that cannot be read are left out (it is reported through
// Store.Warnings).
func (l *RecordLog) Range(fn func(key [32]byte, modTime time.Time) bool) error {
	if l.err != nil {
		return l.err
	}
	all, err := l.logKeys()
	if err != nil {
		return err
	}
	err = l.files.Range(func(k [32]byte, mod time.Time) bool {
		if _, inLog := all[k]; !inLog {
			all[k] = logTime{t: mod.UnixNano()}
		}
		return true
	})
	if err != nil {
		return err
	}
	keys := slices.SortedFunc(maps.Keys(all), func(a, b [32]byte) int { return bytes.Compare(a[:], b[:]) })
	for _, k := range keys {
		if e := all[k]; !e.deleted && !fn(k, time.Unix(0, e.t)) {
			break
		}
	}
	return nil
}

// logTime is the time of a key's latest log entry.
type logTime struct {
	t       int64
	deleted bool
}

// logKeys returns every key of the log, tombstones included.
func (l *RecordLog) logKeys() (map[[32]byte]logTime, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.refreshLocked(); err != nil {
		return nil, fmt.Errorf("range records %s: %w", l.ns, err)
	}
	all := make(map[[32]byte]logTime, len(l.index))
	for k, loc := range l.index {
		all[k] = logTime{t: loc.modTime, deleted: loc.deleted}
	}
	return all, nil
}

// Close closes the segment files. The log must not be used afterwards.
func (l *RecordLog) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	var errs []error
	for _, s := range l.segs {
		errs = append(errs, s.f.Close())
	}
	l.segs, l.index, l.active = map[string]*logSeg{}, map[[32]byte]logLoc{}, nil
	return errors.Join(errs...)
}

// append writes one entry to this process's segment and waits until it is
// durable.
func (l *RecordLog) append(key [32]byte, op byte, data []byte) error {
	if l.err != nil {
		return l.err
	}
	if len(data) > logMaxPayload {
		return fmt.Errorf("record of %d bytes: larger than %d", len(data), logMaxPayload)
	}
	now := time.Now().UnixNano()
	entry := frameLogEntry(key, op, now, data)
	l.mu.Lock()
	seg, err := l.activeLocked()
	if err != nil {
		l.mu.Unlock()
		return err
	}
	off := seg.size.Load()
	if _, err := seg.f.WriteAt(entry, off); err != nil {
		l.mu.Unlock()
		return err
	}
	end := off + int64(len(entry))
	seg.size.Store(end)
	seg.scanned = end
	l.applyLocked(key, op, logLoc{seg: seg, off: off, n: len(data), modTime: now})
	l.mu.Unlock()
	return seg.syncThrough(end)
}

// syncThrough returns once the segment is durable up to end: one
// fdatasync covers every append written before it started (group commit).
func (s *logSeg) syncThrough(end int64) error {
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	if s.synced >= end {
		return nil
	}
	upTo := s.size.Load()
	if err := fdatasync(s.f); err != nil {
		return fmt.Errorf("sync %s: %w", s.name, err)
	}
	s.synced = upTo
	return nil
}

// applyLocked indexes one entry unless a newer entry of key is indexed
// already (entries of several processes are indexed in any order, so a
// delete is kept as a tombstone).
func (l *RecordLog) applyLocked(key [32]byte, op byte, loc logLoc) {
	if old, ok := l.index[key]; ok && old.modTime > loc.modTime {
		return
	}
	loc.deleted = op == logOpDelete
	l.index[key] = loc
}

// activeLocked returns this process's segment, starting a new one on
// first use and when the current one is full. A new segment is created
// under a temp name, locked and fsync'd before it is renamed into place,
// so every visible segment is either locked by its live writer or sealed.
// The full segment is unlocked (sealed) and stays open for reads.
func (l *RecordLog) activeLocked() (*logSeg, error) {
	if l.active != nil && l.active.size.Load() < logSegmentSize {
		return l.active, nil
	}
	if err := l.files.ensureDirs(l.dir); err != nil { // records/<ns>, then its log/
		return nil, err
	}
	seg, err := createSegment(l.dir)
	if err != nil {
		return nil, err
	}
	if old := l.active; old != nil {
		_ = unlock(old.f)
		old.sealed = true // scanned to its end by our own appends
	}
	l.segs[seg.name] = seg
	l.active = seg
	return seg, nil
}

// createSegment creates, locks and publishes a new empty segment in dir.
func createSegment(dir string) (*logSeg, error) {
	name := randomName() + logSuffix
	tmp := filepath.Join(dir, tempName("-"+name))
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, err
	}
	publish := func() error {
		if ok, err := tryLock(f); !ok {
			return fmt.Errorf("lock new segment %s: %w", name, errors.Join(err, errors.New("not acquired")))
		}
		if err := f.Sync(); err != nil {
			return err
		}
		if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
			return err
		}
		return SyncDir(dir)
	}
	if err := publish(); err != nil {
		f.Close()
		os.Remove(tmp)
		return nil, err
	}
	return &logSeg{name: name, f: f}, nil
}

func randomName() string {
	var rnd [12]byte
	_, _ = rand.Read(rnd[:])
	return hex.EncodeToString(rnd[:])
}

// refreshLocked indexes the entries other processes appended since the
// last refresh: new segments, and the unread tails of known ones. The
// directory is listed again while any segment is unreadable, so that one
// made readable (or moved away) is noticed.
func (l *RecordLog) refreshLocked() error {
	if len(l.unreadable) == 0 && l.listingCurrent() {
		l.scanForeignLocked()
		return nil
	}
	fi, err := os.Stat(l.dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	listedAt := time.Now()
	ents, err := os.ReadDir(l.dir)
	if err != nil {
		return err
	}
	l.dirMod = time.Time{}
	if listedAt.Sub(fi.ModTime()) > time.Second {
		l.dirMod = fi.ModTime() // no segment created since, as far as mtime tells
	}
	l.unreadable = nil
	for _, e := range ents {
		name := e.Name()
		if !strings.HasSuffix(name, logSuffix) || isTemp(name) || (l.active != nil && name == l.active.name) {
			continue
		}
		if err := l.refreshSegmentLocked(name); err != nil {
			l.unreadableLocked(name, err)
		}
	}
	return nil
}

// refreshSegmentLocked indexes segment name, opening it the first time.
// A segment removed meanwhile (by GC) is no error.
func (l *RecordLog) refreshSegmentLocked(name string) error {
	seg, ok := l.segs[name]
	if !ok {
		var err error
		seg, err = openForeignSegment(l.dir, name)
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		l.segs[name] = seg
	}
	return l.scanLocked(seg)
}

// listingCurrent reports whether no segment can have been created since
// the last listing: the directory's mtime is the one recorded then, which
// was more than a second older than the listing (mtimes are coarse). It
// costs one stat instead of a directory read on every miss.
func (l *RecordLog) listingCurrent() bool {
	if l.dirMod.IsZero() {
		return false
	}
	fi, err := os.Stat(l.dir)
	return err == nil && fi.ModTime().Equal(l.dirMod)
}

// scanForeignLocked indexes what other processes appended to the segments
// already known; one that fails to read is unreadable.
func (l *RecordLog) scanForeignLocked() {
	for name, seg := range l.segs {
		if seg == l.active || seg.sealed {
			continue
		}
		if err := l.scanLocked(seg); err != nil {
			l.unreadableLocked(name, err)
		}
	}
}

// openForeignSegment opens another writer's segment for reading, without
// blocking (a named pipe or a directory in its place is an error, as is a
// file that cannot be opened), and tells whether it is sealed: nobody
// holds the lock its writer keeps while alive. It is tested before the
// first scan, so a sealed segment is read to its end once and never
// looked at again.
func openForeignSegment(dir, name string) (*logSeg, error) {
	f, _, err := regfile.Open(filepath.Join(dir, name), 0)
	if err != nil {
		return nil, err
	}
	seg := &logSeg{name: name, f: f}
	if ok, err := tryLockShared(f); err == nil && ok {
		seg.sealed = true
		_ = unlock(f)
	}
	return seg, nil
}

// scanLocked indexes seg's entries from seg.scanned on, reading
// sequentially and skipping damaged ones. It stops at an incomplete entry
// at the end: the writer may still be appending it (it is read again next
// time), or it was torn by a crash. A sealed segment is not read again.
func (l *RecordLog) scanLocked(seg *logSeg) error {
	fi, err := seg.f.Stat()
	if err != nil {
		return err
	}
	size := fi.Size()
	if size <= seg.scanned {
		return nil
	}
	w := &segWalker{f: seg.f, size: size}
	end, err := w.walk(seg.scanned, func(off int64, h logHeader) {
		l.applyLocked(h.key, h.op, logLoc{seg: seg, off: off, n: h.n, modTime: h.time, v1: h.v1})
	}, nil)
	if err != nil {
		return err
	}
	seg.scanned = end
	if seg.sealed {
		seg.scanned = size
	}
	return nil
}

// logHeader is a parsed entry header.
type logHeader struct {
	op   byte
	n    int
	time int64
	key  [32]byte
	sum  [sha256.Size]byte
	v1   bool // format 1
}

// headerLen is the length of the entry's header.
func (h logHeader) headerLen() int {
	if h.v1 {
		return logHeaderSizeV1
	}
	return logHeaderSize
}

// size is the length of the whole entry.
func (h logHeader) size() int64 { return int64(h.headerLen() + h.n) }

// parseLogHeader parses the entry header at the start of b. need is the
// length of the header b starts with (0: no magic); ok is false unless b
// holds a whole header that checks (format 2) or is plausible (format 1,
// whose header only the payload's SHA-256 checks).
func parseLogHeader(b []byte) (h logHeader, need int, ok bool) {
	if len(b) < len(logMagic) {
		return h, len(logMagic), false
	}
	switch [4]byte(b[:4]) {
	case logMagic:
		need = logHeaderSize
	case logMagicV1:
		need, h.v1 = logHeaderSizeV1, true
	default:
		return h, 0, false
	}
	if len(b) < need {
		return h, need, false
	}
	if !h.v1 && crc32.Checksum(b[:logHeaderSizeV1], castagnoli()) != binary.BigEndian.Uint32(b[logHeaderSizeV1:]) {
		return h, need, false
	}
	h.op = b[4]
	n := binary.BigEndian.Uint32(b[5:9])
	if (h.op != logOpPut && h.op != logOpDelete) || n > logMaxPayload {
		return h, need, false
	}
	h.n = int(n)
	h.time = int64(binary.BigEndian.Uint64(b[9:17]))
	copy(h.key[:], b[17:logHeadSize])
	copy(h.sum[:], b[logHeadSize:logHeaderSizeV1])
	return h, need, true
}

// frameLogEntry returns the bytes of one entry (format 2): the format-1
// header and its SHA-256, then a CRC-32C over both.
func frameLogEntry(key [32]byte, op byte, t int64, data []byte) []byte {
	b := frameHeader(logMagic, logHeaderSize, key, op, t, data)
	binary.BigEndian.PutUint32(b[logHeaderSizeV1:], crc32.Checksum(b[:logHeaderSizeV1], castagnoli()))
	return append(b, data...)
}

// frameHeader returns a header of size bytes: magic, op, data length,
// time, key and the SHA-256 over them and data (the rest is left zero).
func frameHeader(magic [4]byte, size int, key [32]byte, op byte, t int64, data []byte) []byte {
	b := make([]byte, size, size+len(data))
	copy(b, magic[:])
	b[4] = op
	binary.BigEndian.PutUint32(b[5:9], uint32(len(data)))
	binary.BigEndian.PutUint64(b[9:17], uint64(t))
	copy(b[17:logHeadSize], key[:])
	sum := logSum(b[:logHeadSize], data)
	copy(b[logHeadSize:], sum[:])
	return b
}

func logSum(head, data []byte) [sha256.Size]byte {
	h := sha256.New()
	h.Write(head)
	h.Write(data)
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}

// readLogEntry reads and verifies the entry at loc; ok is false when it is
// unreadable, damaged or not key's.
func readLogEntry(loc logLoc, key [32]byte) ([]byte, bool) {
	hl := logHeaderSize
	if loc.v1 {
		hl = logHeaderSizeV1
	}
	b := make([]byte, hl+loc.n)
	if _, err := loc.seg.f.ReadAt(b, loc.off); err != nil {
		return nil, false
	}
	h, _, ok := parseLogHeader(b[:hl])
	if !ok || h.v1 != loc.v1 || h.op != logOpPut || h.n != loc.n || h.key != key {
		return nil, false
	}
	data := b[hl:]
	if logSum(b[:logHeadSize], data) != h.sum {
		return nil, false
	}
	return data, true
}
