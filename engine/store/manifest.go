package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"
)

// ManifestFile is one file of a sealed partition output.
type ManifestFile struct {
	Path   string `json:"path"` // slash-separated, relative to the data directory
	Digest Digest `json:"digest"`
	Size   int64  `json:"size"`
	// External names a referenced input file that is not copied into the
	// store, portably (never an absolute path): its path relative to the
	// project root, or "external#<i>/<path>" for a file outside it. Readers
	// resolve it against the current project's matched inputs and verify it
	// by Digest, so a second clone sharing the store reads its own files.
	External string `json:"external,omitempty"`
}

// Manifest describes a sealed partition output.
type Manifest struct {
	Partition string         `json:"partition"`
	Files     []ManifestFile `json:"files"` // sorted by Path
	Produced  time.Time      `json:"produced"`
	Meta      map[string]any `json:"meta,omitempty"` // usage, served models, step notes
}

// manifestPointer is the entry stored under manifests/: the node key it
// belongs to and the digest of the manifest object. Both are checked on
// read, so any damage to the pointer is a miss.
type manifestPointer struct {
	Version  int    `json:"version"`
	Key      string `json:"key"`
	Manifest Digest `json:"manifest"`
}

const pointerVersion = 1

// canonical returns the manifest's canonical bytes: files sorted by path,
// time in UTC, indented JSON with sorted map keys. It validates the paths.
func (m *Manifest) canonical() ([]byte, error) {
	c := *m
	c.Files = append([]ManifestFile{}, m.Files...) // never nil: [] and nil hash alike
	slices.SortFunc(c.Files, func(a, b ManifestFile) int { return strings.Compare(a.Path, b.Path) })
	for i, f := range c.Files {
		if err := checkManifestPath(f.Path); err != nil {
			return nil, err
		}
		if i > 0 && c.Files[i-1].Path == f.Path {
			return nil, fmt.Errorf("duplicate file %q", f.Path)
		}
	}
	c.Produced = m.Produced.UTC()
	return json.MarshalIndent(&c, "", "  ")
}

// checkManifestPath accepts clean, relative, slash-separated paths that do
// not leave their root.
func checkManifestPath(p string) error {
	if p == "" || path.IsAbs(p) || path.Clean(p) != p || p == ".." || strings.HasPrefix(p, "../") || strings.Contains(p, "\\") {
		return fmt.Errorf("invalid manifest path %q: want a clean relative slash-separated path", p)
	}
	return nil
}

// ManifestDigest returns the digest PutManifest would give m: that of its
// canonical bytes.
func ManifestDigest(m *Manifest) (Digest, error) {
	b, err := m.canonical()
	if err != nil {
		return Digest{}, fmt.Errorf("manifest of %s: %w", m.Partition, err)
	}
	return DigestOf(b), nil
}

// PutManifest seals m as the output of node key and returns the digest of
// its canonical bytes. Every file that is not External must already be in
// the store. m is not modified.
func (s *Store) PutManifest(key [32]byte, m *Manifest) (Digest, error) {
	keyHex := Digest(key).Short()
	b, err := m.canonical()
	if err != nil {
		return Digest{}, fmt.Errorf("put manifest %s for %s: %w", keyHex, m.Partition, err)
	}
	for _, f := range m.Files {
		if f.External == "" && !s.HasObject(f.Digest) {
			return Digest{}, fmt.Errorf("put manifest %s for %s: file %s: object %s: %w", keyHex, m.Partition, f.Path, f.Digest.Short(), ErrNotFound)
		}
	}
	d, err := s.PutObject(b)
	if err != nil {
		return d, fmt.Errorf("put manifest %s for %s: %w", keyHex, m.Partition, err)
	}
	ptr, _ := json.Marshal(manifestPointer{Version: pointerVersion, Key: Digest(key).String(), Manifest: d})
	if err := s.writeEntry(s.manifestPath(key), append(ptr, '\n')); err != nil {
		return d, fmt.Errorf("put manifest %s for %s: %w", keyHex, m.Partition, err)
	}
	return d, nil
}

// GetManifest returns the manifest sealed for node key and its digest. A
// missing or damaged entry, or one whose manifest or stored files are
// missing or damaged (see CheckObject), is ErrNotFound; damaged files are
// removed, so sealing the output again replaces them. External files are
// not checked.
func (s *Store) GetManifest(key [32]byte) (*Manifest, Digest, error) {
	if m, d, ok := s.memoManifest(key); ok {
		return m, d, nil
	}
	sig, sigOK := s.pointerSig(key)
	d, err := s.readPointer(key)
	if err != nil {
		return nil, d, fmt.Errorf("get manifest %s: %w", Digest(key).Short(), err)
	}
	m, err := s.readManifest(d)
	if err != nil {
		return nil, d, fmt.Errorf("get manifest %s: %w", Digest(key).Short(), err)
	}
	for _, f := range m.Files {
		if f.External != "" {
			continue
		}
		if err := s.CheckObject(f.Digest); err != nil {
			return nil, d, fmt.Errorf("get manifest %s: file %s: %w", Digest(key).Short(), f.Path, err)
		}
	}
	if sigOK {
		s.rememberManifest(key, sig, m, d)
	}
	return m, d, nil
}

// readPointer returns the manifest digest recorded for key; a damaged
// pointer is removed and reported as ErrNotFound.
func (s *Store) readPointer(key [32]byte) (Digest, error) {
	p := s.manifestPath(key)
	f, fi, err := openEntry(p)
	if err != nil {
		return Digest{}, err
	}
	defer f.Close()
	var ptr manifestPointer
	dec := json.NewDecoder(f)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ptr); err != nil || ptr.Version != pointerVersion || ptr.Key != Digest(key).String() || dec.More() {
		removeIfSame(p, fi)
		return Digest{}, fmt.Errorf("corrupt manifest entry: %w", ErrNotFound)
	}
	return ptr.Manifest, nil
}

// readManifest reads and decodes a manifest object.
func (s *Store) readManifest(d Digest) (*Manifest, error) {
	b, err := s.ReadObject(d)
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("decode manifest %s: %v: %w", d.Short(), err, ErrNotFound)
	}
	return &m, nil
}

// keyInfoMagic starts a key-info file, followed by the SHA-256 of the
// info (hex) and a newline, then the info. Files without it (written
// before) are read if they hold valid JSON.
const keyInfoMagic = "sptflow-keyinfo 1 "

func frameKeyInfo(info []byte) []byte {
	sum := DigestOf(info)
	return append([]byte(keyInfoMagic+sum.String()+"\n"), info...)
}

// PutKeyInfo stores the components of node key (opaque bytes, JSON by
// convention) so that `status --why` can name what changed.
func (s *Store) PutKeyInfo(key [32]byte, info []byte) error {
	if err := s.writeEntry(s.keyInfoPath(key), frameKeyInfo(info)); err != nil {
		return fmt.Errorf("put key info %s: %w", Digest(key).Short(), err)
	}
	return nil
}

// EnsureKeyInfo stores info for key unless exactly that is stored: it
// replaces a missing, damaged or older-format entry at the cost of one
// small read when the entry is intact.
func (s *Store) EnsureKeyInfo(key [32]byte, info []byte) error {
	if b, _, err := readEntry(s.keyInfoPath(key)); err == nil && isFramedKeyInfo(b, info) {
		return nil
	}
	return s.PutKeyInfo(key, info)
}

// isFramedKeyInfo reports whether b is frameKeyInfo(info), without building
// that copy (a no-op run checks every partition's key info).
func isFramedKeyInfo(b, info []byte) bool {
	rest, ok := bytes.CutPrefix(b, []byte(keyInfoMagic))
	hexSum, body, found := bytes.Cut(rest, []byte("\n"))
	return ok && found && bytes.Equal(body, info) && string(hexSum) == DigestOf(info).String()
}

// GetKeyInfo returns what PutKeyInfo stored for key, or ErrNotFound. A
// damaged entry is ErrNotFound too, and removed.
func (s *Store) GetKeyInfo(key [32]byte) ([]byte, error) {
	p := s.keyInfoPath(key)
	b, fi, err := readEntry(p)
	if err != nil {
		return nil, fmt.Errorf("get key info %s: %w", Digest(key).Short(), err)
	}
	info, ok := unframeKeyInfo(b)
	if !ok {
		removeIfSame(p, fi)
		return nil, fmt.Errorf("get key info %s: corrupt: %w", Digest(key).Short(), ErrNotFound)
	}
	return info, nil
}

// unframeKeyInfo returns the info of a key-info file that checks.
func unframeKeyInfo(b []byte) ([]byte, bool) {
	rest, ok := bytes.CutPrefix(b, []byte(keyInfoMagic))
	if !ok {
		return b, json.Valid(b) // the older format, unframed
	}
	hexSum, info, ok := bytes.Cut(rest, []byte("\n"))
	if !ok {
		return nil, false
	}
	sum, err := ParseDigest(string(hexSum))
	return info, err == nil && DigestOf(info) == sum
}
