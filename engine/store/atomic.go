package store

import (
	"fmt"
	"os"
	"path/filepath"
)

// WriteFileAtomic writes data to path: a temp file in the same directory,
// fsync, close, rename over path, fsync the directory. Parent directories
// are created. Readers see either the old file or the complete new one,
// never a partial file, and the new content is durable when it returns.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := writeAtomic(path, data, perm); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// writeAtomic is WriteFileAtomic without directory creation.
func writeAtomic(path string, data []byte, perm os.FileMode) error {
	return writeAtomicVia(filepath.Dir(path), path, data, perm)
}

// writeAtomicVia is writeAtomic with the temp file in tmpDir, which must be
// on path's file system.
func writeAtomicVia(tmpDir, path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	f, err := createTemp(tmpDir)
	if err != nil {
		return err
	}
	tmp := f.Name()
	if err := WriteSyncClose(f, data, perm); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	return SyncDir(dir)
}

// WriteSyncClose writes data to f, sets its mode, fsyncs and closes it.
func WriteSyncClose(f *os.File, data []byte, perm os.FileMode) error {
	_, err := f.Write(data)
	if err == nil {
		err = f.Chmod(perm)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// SyncDir fsyncs a directory so that renames and creations in it are durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}
