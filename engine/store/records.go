package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Records is a durable key-value namespace of the store: one file per key,
// each framed with a checksum so that a damaged record is a miss. It
// implements llm.RecordStore. Safe for concurrent use by goroutines and
// processes.
type Records struct {
	s   *Store
	ns  string
	dir string
	err error // invalid namespace
}

// recordMagic starts every record file; the SHA-256 of the payload follows.
var recordMagic = []byte("sptr\x01")

const recordHeader = 5 + sha256.Size

// ValidNamespace reports whether ns may name a record namespace: letters,
// digits, '_', '.' and '-', not starting with '.' or '-'. The remote store
// applies the same rule, so every local namespace can be pushed.
func ValidNamespace(ns string) bool {
	if ns == "" || ns[0] == '.' || ns[0] == '-' {
		return false
	}
	for i := 0; i < len(ns); i++ {
		switch c := ns[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_', c == '.', c == '-':
		default:
			return false
		}
	}
	return true
}

// Records returns the record namespace ns. Names are letters, digits, '_',
// '.' and '-'; an invalid name makes every operation fail.
func (s *Store) Records(namespace string) *Records {
	r := &Records{s: s, ns: namespace, dir: filepath.Join(s.dir, "records", namespace)}
	if !ValidNamespace(namespace) {
		r.err = fmt.Errorf("records namespace %q: want letters, digits, '_', '.', '-'", namespace)
	}
	return r
}

// RecordNamespaces lists the record namespaces present in the store, sorted.
func (s *Store) RecordNamespaces() ([]string, error) {
	ents, err := os.ReadDir(filepath.Join(s.dir, "records"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("list record namespaces: %w", err)
	}
	var names []string
	for _, e := range ents {
		if e.IsDir() && ValidNamespace(e.Name()) {
			names = append(names, e.Name())
		}
	}
	return names, nil
}

func (r *Records) path(key [32]byte) string {
	return shardPath(r.dir, Digest(key).String(), "")
}

// Get returns the record stored under key. A missing record, or one whose
// checksum does not match (it is removed), is reported as ok == false.
func (r *Records) Get(key [32]byte) ([]byte, bool, error) {
	if r.err != nil {
		return nil, false, r.err
	}
	p := r.path(key)
	f, fi, err := openEntry(p)
	if errors.Is(err, ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("get record %s/%s: %w", r.ns, Digest(key).Short(), err)
	}
	defer f.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(f); err != nil {
		return nil, false, fmt.Errorf("get record %s/%s: %w", r.ns, Digest(key).Short(), err)
	}
	data, ok := unframe(buf.Bytes())
	if !ok {
		removeIfSame(p, fi)
		return nil, false, nil
	}
	return data, true, nil
}

// Put stores data under key, replacing any previous record atomically. The
// record is durable (fsync'd file and directory) when Put returns.
func (r *Records) Put(key [32]byte, data []byte) error {
	if r.err != nil {
		return r.err
	}
	p := r.path(key)
	if err := r.ensureDirs(filepath.Dir(p)); err != nil {
		return fmt.Errorf("put record %s/%s: %w", r.ns, Digest(key).Short(), err)
	}
	if err := writeAtomicVia(r.s.TempDir(), p, frame(data), 0o644); err != nil {
		return fmt.Errorf("put record %s/%s: %w", r.ns, Digest(key).Short(), err)
	}
	return nil
}

// ensureDirs creates the namespace and shard directories durably.
func (r *Records) ensureDirs(shard string) error {
	if err := r.s.ensureDir(r.dir); err != nil {
		return err
	}
	return r.s.ensureDir(shard)
}

// exist reports whether the namespace may hold any record file: it has a
// shard directory.
func (r *Records) exist() bool {
	ents, err := os.ReadDir(r.dir)
	if err != nil {
		return !errors.Is(err, os.ErrNotExist)
	}
	for _, e := range ents {
		if e.IsDir() && len(e.Name()) == 2 {
			return true
		}
	}
	return false
}

// Delete removes the record under key; a missing record is not an error.
func (r *Records) Delete(key [32]byte) error {
	if r.err != nil {
		return r.err
	}
	err := os.Remove(r.path(key))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("delete record %s/%s: %w", r.ns, Digest(key).Short(), err)
	}
	return nil
}

// Range calls fn for every record key with its modification time, in key
// order, until fn returns false. Records written during Range may or may
// not be seen.
func (r *Records) Range(fn func(key [32]byte, modTime time.Time) bool) error {
	if r.err != nil {
		return r.err
	}
	err := rangeShards(r.dir, "", func(key [32]byte, fi fs.FileInfo) bool {
		return fn(key, fi.ModTime())
	})
	if err != nil {
		return fmt.Errorf("range records %s: %w", r.ns, err)
	}
	return nil
}

// rangeShards walks root/ab/<hex><suffix> entries in order, skipping temp
// and foreign files. A missing root has no entries.
func rangeShards(root, suffix string, fn func(key [32]byte, fi fs.FileInfo) bool) error {
	shards, err := os.ReadDir(root)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, sh := range shards {
		if !sh.IsDir() || len(sh.Name()) != 2 {
			continue
		}
		more, err := rangeShard(filepath.Join(root, sh.Name()), suffix, fn)
		if err != nil || !more {
			return err
		}
	}
	return nil
}

func rangeShard(dir, suffix string, fn func(key [32]byte, fi fs.FileInfo) bool) (bool, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return false, err
	}
	for _, e := range ents {
		key, ok := parseEntryName(e.Name(), suffix)
		if !ok {
			continue
		}
		fi, err := e.Info()
		if errors.Is(err, os.ErrNotExist) {
			continue // removed meanwhile
		}
		if err != nil {
			return false, err
		}
		if !fn(key, fi) {
			return false, nil
		}
	}
	return true, nil
}

// parseEntryName parses "<64 hex><suffix>".
func parseEntryName(name, suffix string) ([32]byte, bool) {
	var key [32]byte
	if len(name) != 64+len(suffix) || name[64:] != suffix {
		return key, false
	}
	_, err := hex.Decode(key[:], []byte(name[:64]))
	return key, err == nil
}

func frame(data []byte) []byte {
	sum := sha256.Sum256(data)
	b := make([]byte, 0, recordHeader+len(data))
	b = append(b, recordMagic...)
	b = append(b, sum[:]...)
	return append(b, data...)
}

func unframe(b []byte) ([]byte, bool) {
	if len(b) < recordHeader || !bytes.Equal(b[:len(recordMagic)], recordMagic) {
		return nil, false
	}
	data := b[recordHeader:]
	sum := sha256.Sum256(data)
	return data, bytes.Equal(sum[:], b[len(recordMagic):recordHeader])
}
