package engine

import (
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
	"sync"

	"github.com/sptflow/sptflow/engine/store"
)

// storeOutput is the engine.Output of a running partition: written files go
// into the store as objects at once, so a partition's output is sealed by
// writing only its manifest.
type storeOutput struct {
	st     *store.Store
	claims []string // the paths the partition declared (nil: anywhere)
	mu     sync.Mutex
	files  map[string]store.ManifestFile
}

var _ Output = (*storeOutput)(nil)

func newStoreOutput(st *store.Store, claims []string) *storeOutput {
	return &storeOutput{st: st, claims: claims, files: map[string]store.ManifestFile{}}
}

// checkRel rejects output paths that are absolute or escape the data directory.
func checkRel(rel string) (string, error) {
	c := path.Clean(rel)
	if rel == "" || path.IsAbs(rel) || c == "." || c == ".." || strings.HasPrefix(c, "../") || strings.Contains(rel, "\\") {
		return "", fmt.Errorf("output path %q escapes the data directory", rel)
	}
	return c, nil
}

// WriteFile implements Output.
func (o *storeOutput) WriteFile(rel string, data []byte) error {
	c, err := checkRel(rel)
	if err != nil {
		return err
	}
	if !within(c, o.claims) {
		return fmt.Errorf("write %s: outside the outputs the partition declares (%s)", c, strings.Join(o.claims, ", "))
	}
	d, err := o.st.PutObject(data)
	if err != nil {
		return fmt.Errorf("write %s: %w", rel, err)
	}
	o.put(store.ManifestFile{Path: c, Digest: d, Size: int64(len(data))})
	return nil
}

// Reference implements Output.
func (o *storeOutput) Reference(rel string, f InputFile) error {
	c, err := checkRel(rel)
	if err != nil {
		return err
	}
	if f.Name == "" {
		return fmt.Errorf("reference %s: input file %s has no portable name (not matched by the engine)", rel, f.Abs)
	}
	o.put(store.ManifestFile{Path: c, Digest: f.Digest, Size: f.Size, External: f.Name})
	return nil
}

func (o *storeOutput) put(f store.ManifestFile) {
	o.mu.Lock()
	o.files[f.Path] = f
	o.mu.Unlock()
}

// manifest returns the sorted file list.
func (o *storeOutput) manifest() []store.ManifestFile {
	o.mu.Lock()
	defer o.mu.Unlock()
	fs := make([]store.ManifestFile, 0, len(o.files))
	for _, f := range o.files {
		fs = append(fs, f)
	}
	sort.Slice(fs, func(i, j int) bool { return fs[i].Path < fs[j].Path })
	return fs
}

// upstreamFiles exposes a sealed manifest to a downstream step. Store
// objects are verified by the store on read; external files are found by
// their portable name among inputs, the producing partition's inputs as
// matched in this project (so a clone never reads another clone's files),
// and verified here against their recorded digest.
func upstreamFiles(st *store.Store, m *store.Manifest, inputs []InputFile) []OutputFile {
	out := make([]OutputFile, 0, len(m.Files))
	for _, f := range m.Files {
		f := f
		of := OutputFile{Path: f.Path, Digest: f.Digest, Size: f.Size}
		if f.External == "" {
			of.Open = func() (io.ReadCloser, error) { return st.OpenObject(f.Digest) }
		} else {
			of.Open = func() (io.ReadCloser, error) { return openExternal(st, f, inputs) }
		}
		out = append(out, of)
	}
	return out
}

// openExternal opens a referenced input file, checking that it still has
// the content it was sealed with.
func openExternal(st *store.Store, f store.ManifestFile, inputs []InputFile) (io.ReadCloser, error) {
	abs := ""
	for _, in := range inputs {
		if in.Name == f.External {
			abs = in.Abs
			break
		}
	}
	if abs == "" {
		return nil, fmt.Errorf("open referenced input %s: not among the inputs of the partition that sealed %s; run again to pick up the change", f.External, f.Path)
	}
	return openSealedInputVia(st, abs, f)
}
