package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/sptflow/sptflow/regfile"
)

// createdFile, inside a run directory, records when NewRunDir made it.
const createdFile = ".created"

var runIDRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.:+-]*$`) })

// NewRunDir creates the directory of run id under runs/ and returns its
// path. It fails if the run already exists.
func (s *Store) NewRunDir(id string) (string, error) {
	if !runIDRE().MatchString(id) {
		return "", fmt.Errorf("new run %q: invalid id: want letters, digits and _.:+-", id)
	}
	dir := filepath.Join(s.dir, "runs", id)
	if err := os.Mkdir(dir, 0o755); err != nil {
		return "", fmt.Errorf("new run %s: %w", id, err)
	}
	now := time.Now().UTC().Format(time.RFC3339Nano)
	if err := writeAtomicVia(s.TempDir(), filepath.Join(dir, createdFile), []byte(now+"\n"), 0o644); err != nil {
		return "", fmt.Errorf("new run %s: %w", id, err)
	}
	return dir, SyncDir(filepath.Dir(dir))
}

// RunDirs returns the run directories, oldest first (by creation time,
// then id).
func (s *Store) RunDirs() ([]string, error) {
	root := filepath.Join(s.dir, "runs")
	ents, err := os.ReadDir(root)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	type run struct {
		dir     string
		created time.Time
	}
	var runs []run
	for _, e := range ents {
		if e.IsDir() && !isTemp(e.Name()) {
			dir := filepath.Join(root, e.Name())
			runs = append(runs, run{dir, runCreated(dir)})
		}
	}
	sort.SliceStable(runs, func(i, j int) bool {
		if !runs[i].created.Equal(runs[j].created) {
			return runs[i].created.Before(runs[j].created)
		}
		return runs[i].dir < runs[j].dir
	})
	dirs := make([]string, len(runs))
	for i, r := range runs {
		dirs[i] = r.dir
	}
	return dirs, nil
}

// maxCreatedFile bounds a run's creation-time file (one timestamp).
const maxCreatedFile = 4 << 10

// runCreated reads a run's creation time, falling back to the directory's
// modification time.
// RunCreated is when the run directory dir was created (its .created
// file, else its mtime), for a run whose journal cannot say.
func RunCreated(dir string) time.Time { return runCreated(dir) }

func runCreated(dir string) time.Time {
	if b, err := regfile.Read(filepath.Join(dir, createdFile), maxCreatedFile); err == nil {
		if t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(string(b))); err == nil {
			return t
		}
	}
	if fi, err := os.Stat(dir); err == nil {
		return fi.ModTime()
	}
	return time.Time{}
}
