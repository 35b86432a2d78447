package remote

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sptflow/sptflow/engine/store"
	"github.com/sptflow/sptflow/regfile"
)

// fileBucket is a bucket in a directory, local or on a network file
// system shared by several machines (file:///path).
//
// Create-only writes are exclusive across processes and machines: the
// object is written to a temp file, fsync'd, then hard-linked to its name;
// link(2) fails if the name exists, atomically, on local file systems and
// on NFS alike. (gocloud.dev's fileblob is not used: its IfNotExist is a
// mutex of the writing process around a stat and a rename, which a second
// process or machine can interleave, and the rename then clobbers.)
type fileBucket struct{ root string }

// tempDir holds the temp files of writes in progress (and those of killed
// writers); listing skips it.
const tempDir = ".tmp"

func openFileBucket(dir string) (*fileBucket, error) {
	if !filepath.IsAbs(dir) {
		return nil, fmt.Errorf("open remote store file://%s: want an absolute path", dir)
	}
	if err := os.MkdirAll(filepath.Join(dir, tempDir), 0o755); err != nil {
		return nil, fmt.Errorf("open remote store file://%s: %w", dir, err)
	}
	return &fileBucket{root: filepath.Clean(dir)}, nil
}

func (b *fileBucket) path(key string) (string, error) {
	if key == "" || path.Clean(key) != key || path.IsAbs(key) || key == ".." ||
		strings.HasPrefix(key, "../") || strings.HasPrefix(key, tempDir) {
		return "", fmt.Errorf("invalid remote key %q", key)
	}
	return filepath.Join(b.root, filepath.FromSlash(key)), nil
}

func (b *fileBucket) create(ctx context.Context, key string, data []byte) error {
	p, err := b.path(key)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Join(b.root, tempDir), "w-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := store.WriteSyncClose(f, data, 0o444); err != nil {
		return err
	}
	if err := os.Link(tmp, p); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return ErrExist
		}
		return err
	}
	return store.SyncDir(filepath.Dir(p))
}

func (b *fileBucket) read(ctx context.Context, key string) ([]byte, error) {
	p, err := b.path(key)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	data, err := regfile.Read(p, 0) // a named pipe in the bucket is an error, never a wait
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	}
	return data, err
}

// list walks the deepest directory that prefix names and sorts the keys it
// finds.
func (b *fileBucket) list(ctx context.Context, prefix string, fn func(Entry) bool) error {
	dir := path.Dir(prefix + "x")
	start := b.root
	if dir != "." {
		start = filepath.Join(b.root, filepath.FromSlash(dir))
	}
	var ents []Entry
	err := filepath.WalkDir(start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		rel, _ := filepath.Rel(b.root, p)
		key := filepath.ToSlash(rel)
		if d.IsDir() {
			if key == tempDir {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasPrefix(key, prefix) {
			fi, err := d.Info()
			if errors.Is(err, fs.ErrNotExist) {
				return nil // removed meanwhile
			}
			if err != nil {
				return err
			}
			ents = append(ents, Entry{Key: key, Size: fi.Size(), ModTime: fi.ModTime()})
		}
		return nil
	})
	if err != nil {
		return err
	}
	slices.SortFunc(ents, func(a, b Entry) int { return strings.Compare(a.Key, b.Key) })
	for _, e := range ents {
		if !fn(e) {
			break
		}
	}
	return nil
}

func (b *fileBucket) remove(ctx context.Context, key string) error {
	p, err := b.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

func (b *fileBucket) close() error { return nil }
