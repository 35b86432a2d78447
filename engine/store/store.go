package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sptflow/sptflow/regfile"
)

// ErrNotFound reports a missing entry. A corrupt or truncated entry is also
// reported as ErrNotFound (and removed): a damaged cache is a miss, never
// wrong data.
var ErrNotFound = errors.New("not found")

// layoutVersion is the on-disk layout written to the "layout" file.
const layoutVersion = 1

// defaultGrace protects recently written entries from GC and temp-file
// cleanup: a concurrent run may have put objects whose manifest is not
// sealed yet.
const defaultGrace = time.Hour

// Store is a local, directory-backed store. Several goroutines and several
// processes may use the same directory at once: every write is an atomic
// rename of a fully written, fsync'd temp file, and cross-process exclusion
// (leases, the lock file) uses flock, which the OS releases when a holder
// dies.
//
// Layout below Dir (kept behind the *Path helpers so that a remote
// object-store backend can replace it):
//
//	layout                      layout version
//	objects/ab/<hex>            content-addressed objects
//	manifests/ab/<hex>.json     node key -> manifest digest pointer
//	keys/ab/<hex>.json          node key components (for status --why)
//	records/<ns>/ab/<hex>       durable records (the LLM request store)
//	records/<ns>/log/<id>.seg   record-log segments (RecordLog)
//	records/<ns>/damaged/       damaged record-log bytes GC moved out of the log
//	leases/<sha of name>.lock   lease files
//	runs/<id>/                  per-run journal and log
//	tmp/                        scratch space for streaming writes
//	statcache.json              file digest cache
type Store struct {
	dir string

	dirs      sync.Map // shard directories known to exist
	manifests sync.Map // [32]byte node key -> manifestMemo (manifest_memo.go)

	stat       statCache
	noReflink  sync.Map // devices where FICLONE is refused (link.go)
	warnMu     sync.Mutex
	warnings   []string      // damage repaired or ignored, see Warnings
	warned     sync.Map      // subjects warnOnce warned about
	racyWindow time.Duration // see settled (racy.go)
	hashes     atomic.Int64  // files hashed by DigestFile (tests, benchmarks)
}

// Open opens or creates a store rooted at dir. It is safe for several
// processes to open the same directory at once.
func Open(dir string) (*Store, error) {
	if dir == "" {
		return nil, errors.New("open store: empty directory name")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", dir, err)
	}
	s := &Store{dir: abs, racyWindow: defaultRacyWindow}
	for _, sub := range []string{"objects", "manifests", "keys", "records", "leases", "runs", "tmp"} {
		if err := os.MkdirAll(filepath.Join(abs, sub), 0o755); err != nil {
			return nil, fmt.Errorf("open store %s: %w", dir, err)
		}
	}
	if err := s.checkLayout(); err != nil {
		return nil, fmt.Errorf("open store %s: %w", dir, err)
	}
	return s, nil
}

// checkLayout writes the layout file on first use and refuses a store
// written by a newer, incompatible layout.
func (s *Store) checkLayout() error {
	p := filepath.Join(s.dir, "layout")
	want := fmt.Sprintf("sptflow-store %d\n", layoutVersion)
	b, err := regfile.Read(p, maxLayoutFile)
	if errors.Is(err, os.ErrNotExist) {
		return WriteFileAtomic(p, []byte(want), 0o644)
	}
	if notAFile(err) {
		// A named pipe or a directory in its place is never waited on.
		s.warn(fmt.Sprintf("layout file %s is damaged (%v); rewritten", p, cause(err)))
		removeNotRegular(p)
		return WriteFileAtomic(p, []byte(want), 0o644)
	}
	if err != nil {
		return err
	}
	var v int
	if _, err := fmt.Sscanf(string(b), "sptflow-store %d", &v); err != nil || v < 1 {
		// Damaged: every layout this sptflow knows of was written that way.
		s.warn(fmt.Sprintf("layout file %s is damaged (%q); rewritten", p, strings.TrimSpace(string(b))))
		return WriteFileAtomic(p, []byte(want), 0o644)
	}
	if v != layoutVersion {
		return fmt.Errorf("store layout version %d, this sptflow understands %d", v, layoutVersion)
	}
	return nil
}

// maxLayoutFile bounds the layout file, which holds one short line.
const maxLayoutFile = 4 << 10

// notAFile reports whether err, from regfile, refuses a store file for what
// it is rather than for failing to read it: not a regular file (a named
// pipe, a device or a directory put in its place) or over its size limit.
// Such a file is damage.
func notAFile(err error) bool {
	var tl *regfile.TooLargeError
	return errors.Is(err, regfile.ErrNotRegular) || errors.As(err, &tl)
}

// cause is err without the *fs.PathError wrapping that names the file, for
// messages that name it already.
func cause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Warnings returns (and forgets) what the store found damaged and repaired
// or ignored since the last call: a layout file, the stat cache, a record-log
// segment it cannot read.
func (s *Store) Warnings() []string {
	s.warnMu.Lock()
	defer s.warnMu.Unlock()
	w := s.warnings
	s.warnings = nil
	return w
}

func (s *Store) warn(msg string) {
	s.warnMu.Lock()
	s.warnings = append(s.warnings, msg)
	s.warnMu.Unlock()
}

// warnOnce is warn, once per process for each subject (a file's path).
func (s *Store) warnOnce(subject, msg string) {
	if _, dup := s.warned.LoadOrStore(subject, true); !dup {
		s.warn(msg)
	}
}

// Dir returns the store's absolute root directory.
func (s *Store) Dir() string { return s.dir }

// TempDir returns the store's scratch directory (same file system as the
// store). Files in it older than the GC grace period are removed by GC.
func (s *Store) TempDir() string { return filepath.Join(s.dir, "tmp") }

func shardPath(root, hex, suffix string) string {
	return filepath.Join(root, hex[:2], hex+suffix)
}

func (s *Store) objectPath(d Digest) string {
	return shardPath(filepath.Join(s.dir, "objects"), d.String(), "")
}

func (s *Store) manifestPath(key [32]byte) string {
	return shardPath(filepath.Join(s.dir, "manifests"), Digest(key).String(), ".json")
}

func (s *Store) keyInfoPath(key [32]byte) string {
	return shardPath(filepath.Join(s.dir, "keys"), Digest(key).String(), ".json")
}

// ensureDir creates dir (whose parent must exist) once per process, and
// fsyncs the parent when it created it, so that entries renamed into dir
// survive a crash.
func (s *Store) ensureDir(dir string) error {
	if _, ok := s.dirs.Load(dir); ok {
		return nil
	}
	err := os.Mkdir(dir, 0o755)
	switch {
	case err == nil:
		if err := SyncDir(filepath.Dir(dir)); err != nil {
			return err
		}
	case errors.Is(err, os.ErrExist):
	case errors.Is(err, os.ErrNotExist):
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	default:
		return err
	}
	s.dirs.Store(dir, true)
	return nil
}

// writeEntry atomically writes data to path inside the store, creating its
// shard directory.
func (s *Store) writeEntry(path string, data []byte) error {
	if err := s.ensureDir(filepath.Dir(path)); err != nil {
		return err
	}
	return writeAtomicVia(s.TempDir(), path, data, 0o644)
}

// removeIfSame removes path only if it is still the file described by fi,
// so that a corrupt entry that another process has meanwhile replaced with a
// good one is not deleted.
func removeIfSame(path string, fi os.FileInfo) {
	cur, err := os.Lstat(path)
	if err == nil && os.SameFile(cur, fi) {
		_ = os.Remove(path)
	}
}
