package store

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// assertNoTemps fails if any temp file is left below dir.
func assertNoTemps(t *testing.T, dir string) {
	t.Helper()
	filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() && (isTemp(e.Name()) || filepath.Base(filepath.Dir(p)) == "tmp") {
			t.Errorf("leftover temp file %s", p)
		}
		return nil
	})
}

func key(s string) [32]byte { return DigestOf([]byte(s)) }

// statFile is os.Stat of p, failing the test on an error.
func statFile(t *testing.T, p string) os.FileInfo {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi
}
