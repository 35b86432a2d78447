package pipeline

import (
	"os"
	"path/filepath"
)

// rootMarkers are the entries whose presence makes a directory a project
// root, in the order they are tried.
var rootMarkers = []struct {
	name string
	dir  bool // must be a directory
}{
	{".sptflow", true},
	{"sptflow.lock", false},
	{".git", false},
	{"go.mod", false},
}

// FindProjectRoot returns the nearest directory, starting at dir and walking
// up, that contains `.sptflow/`, `sptflow.lock`, `.git` or `go.mod`, or dir
// itself when no ancestor does. dir must be absolute.
func FindProjectRoot(dir string) string {
	for d := dir; ; {
		if isRoot(d) {
			return d
		}
		parent := filepath.Dir(d)
		if parent == d {
			return dir
		}
		d = parent
	}
}

func isRoot(dir string) bool {
	for _, m := range rootMarkers {
		fi, err := os.Stat(filepath.Join(dir, m.name))
		if err == nil && (!m.dir || fi.IsDir()) {
			return true
		}
	}
	return false
}

// absUnder returns p made absolute against base (p itself when absolute).
func absUnder(base, p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(base, p)
}
