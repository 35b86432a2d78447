package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/sptflow/sptflow/regfile"
)

// TempPrefix starts the name of every temporary file sptflow writes:
// ".sptflow-tmp-<pid>-<random>". The pid names the writer, so that the
// next run, `status` and `gc` tell a killed writer's leftover from a file
// a live process is writing. Temp files live in the directory of the file
// they replace (data directories, the project root) or in the store's
// tmp/ and record-log directories.
const TempPrefix = ".sptflow-tmp-"

// legacyTempPrefix named temp files before TempPrefix, without a pid.
const legacyTempPrefix = ".tmp-"

// TempGrace is how long a temp file whose writer's pid is alive (or, for
// older names, any temp file) is left alone: a pid may have been reused,
// but no single write takes that long.
const TempGrace = time.Hour

// legacyTempGrace protects temp files of older sptflow versions, which do
// not name their writer.
const legacyTempGrace = 10 * time.Minute

// IsTemp reports whether a file name is a temp file's (of any version).
func IsTemp(name string) bool {
	return strings.HasPrefix(name, TempPrefix) || strings.HasPrefix(name, legacyTempPrefix)
}

func isTemp(name string) bool { return IsTemp(name) }

// tempName returns a new temp file name for this process, ending in suffix.
func tempName(suffix string) string {
	return TempPrefix + strconv.Itoa(os.Getpid()) + "-" + randomName() + suffix
}

// createTemp creates a new temp file in dir. It holds an exclusive flock
// on the file while open (where flock exists), which tells cleaners that
// a live process owns it.
func createTemp(dir string) (*os.File, error) {
	for range 10 {
		f, err := os.OpenFile(filepath.Join(dir, tempName("")), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		_, _ = tryLock(f)
		return f, nil
	}
	return nil, fmt.Errorf("create temp file in %s: names taken", dir)
}

// tempPid returns the writer pid a temp file name records.
func tempPid(name string) (int, bool) {
	rest, ok := strings.CutPrefix(name, TempPrefix)
	if !ok {
		return 0, false
	}
	digits, _, ok := strings.Cut(rest, "-")
	pid, err := strconv.Atoi(digits)
	return pid, ok && err == nil && pid > 0
}

// leftover reports whether the temp file p is a leftover of a writer that
// is gone: no process holds its flock, and its writer's pid is not alive
// (or it is older than TempGrace; for older names, legacyTempGrace).
func leftover(p string, fi fs.FileInfo, now time.Time) bool {
	if !fi.Mode().IsRegular() {
		return false
	}
	age := now.Sub(fi.ModTime())
	pid, named := tempPid(fi.Name())
	switch {
	case !named && age < legacyTempGrace:
		return false
	case named && pid == os.Getpid() && age < TempGrace:
		return false // ours, being written
	case named && pidAlive(pid) && age < TempGrace:
		return false
	}
	f, _, err := regfile.Open(p, 0) // never blocks on a FIFO swapped in since fi
	if err != nil {
		return false
	}
	defer f.Close()
	if ok, err := tryLockShared(f); err == nil && !ok {
		return false // a live process holds it
	}
	return sameFile(f, p)
}

// TempStats counts leftover temp files.
type TempStats struct {
	Files int
	Bytes int64
}

// Add adds o to t.
func (t *TempStats) Add(o TempStats) { t.Files += o.Files; t.Bytes += o.Bytes }

// TempScan says where RemoveLeftovers looks.
type TempScan struct {
	Dir       string
	Recursive bool
	// Skip lists directories not to descend into (the store, .git).
	Skip []string
	// DryRun counts leftovers without removing them.
	DryRun bool
}

// RemoveLeftovers removes the temp files that killed writers left in
// sc.Dir (and below, when recursive), and returns what it removed (or
// would remove). A missing directory has none.
func RemoveLeftovers(sc TempScan) TempStats {
	var st TempStats
	now := time.Now()
	visit := func(p string, e fs.DirEntry) {
		if e.IsDir() || !IsTemp(e.Name()) {
			return
		}
		fi, err := e.Info()
		if err != nil || !leftover(p, fi, now) {
			return
		}
		if !sc.DryRun {
			if cur, err := os.Lstat(p); err != nil || !os.SameFile(cur, fi) || os.Remove(p) != nil {
				return
			}
		}
		st.Files++
		st.Bytes += fi.Size()
	}
	if !sc.Recursive {
		ents, _ := os.ReadDir(sc.Dir)
		for _, e := range ents {
			visit(filepath.Join(sc.Dir, e.Name()), e)
		}
		return st
	}
	_ = filepath.WalkDir(sc.Dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return nil // entries vanish under concurrent use
		}
		if e.IsDir() && p != sc.Dir && (e.Name() == ".git" || skipped(p, sc.Skip)) {
			return filepath.SkipDir
		}
		visit(p, e)
		return nil
	})
	return st
}

func skipped(p string, skip []string) bool {
	for _, s := range skip {
		if p == s {
			return true
		}
	}
	return false
}

// RemoveLeftovers removes the temp files killed writers left in the
// store's own temp directories: tmp/, the root, the batch ledger and the
// record logs (see GC for a scan of the whole store).
func (s *Store) RemoveLeftovers(dryRun bool) TempStats {
	dirs := []string{s.TempDir(), s.dir, filepath.Join(s.dir, BatchesDir)}
	logs, _ := filepath.Glob(filepath.Join(s.dir, "records", "*", "log"))
	var st TempStats
	for _, d := range append(dirs, logs...) {
		st.Add(RemoveLeftovers(TempScan{Dir: d, DryRun: dryRun}))
	}
	return st
}
