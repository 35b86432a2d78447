package store

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sptflow/sptflow/regfile"
)

// UpdateFile replaces the file at path with what fn returns for its current
// content (nil when it does not exist), atomically and under an exclusive
// flock on the file's directory, so concurrent updates from several
// processes all land. Content fn returns unchanged is not rewritten.
func UpdateFile(path string, fn func(old []byte) ([]byte, error)) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("update %s: %w", path, err)
	}
	unlockDir, err := lockDir(dir)
	if err != nil {
		return fmt.Errorf("update %s: %w", path, err)
	}
	defer unlockDir()
	old, err := regfile.Read(path, regfile.MaxLock)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("update %s: %w", path, err)
	}
	b, err := fn(old)
	if err != nil {
		return err
	}
	if bytes.Equal(b, old) {
		return nil
	}
	return WriteFileAtomic(path, b, 0o644)
}
