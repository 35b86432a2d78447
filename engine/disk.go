package engine

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/sptflow/sptflow/engine/store"
	"github.com/sptflow/sptflow/regfile"
)

// FileState is what the materialized copy of one output file is like,
// compared with the sealed output the lock file pins.
type FileState string

// File states other than up to date (which is not reported).
const (
	FileModified FileState = "modified" // its content differs from the sealed output
	FileMissing  FileState = "missing"  // it is not on disk
	FileForeign  FileState = "foreign"  // it holds what another pipeline sealed there
	// FileBlocked: a directory (or another non-file) stands where the file
	// belongs; run does not remove it (it may hold the user's files), so it
	// must be moved away before the file can be restored.
	FileBlocked FileState = "blocked"
)

// FileCheck is one materialized output file that does not match its
// partition's sealed output; run restores it.
type FileCheck struct {
	Path  string // slash-separated, relative to the data directory
	State FileState
	// Owner is the pipeline whose output the file holds (FileForeign).
	Owner string
}

// checkDisk compares the materialized files of every up-to-date partition
// with its sealed output and fills PartitionStatus.Disk. Files are compared
// through the store's stat cache: size first, then (size, mtime, inode,
// ctime), and their content only when those changed.
func (e *Engine) checkDisk(sts []PartitionStatus) {
	var fx *foreignIndex
	for i := range sts {
		st := &sts[i]
		n := e.nodes[st.ID]
		if st.State != UpToDate || n.plan.NoMaterialize || st.manifest == nil {
			continue
		}
		files := 0
		for _, f := range st.manifest.Files {
			if f.External != "" {
				continue
			}
			files++
			state, d := e.checkFile(n.spec.DataDir, f)
			if state == "" {
				continue
			}
			fc := FileCheck{Path: f.Path, State: state}
			if state == FileModified {
				if fx == nil {
					fx = e.newForeignIndex()
				}
				if owner := fx.owner(f.Path, d); owner != "" {
					fc.State, fc.Owner = FileForeign, owner
				}
			}
			st.Disk = append(st.Disk, fc)
		}
		st.Unwritten = files > 0 && len(st.Disk) == files && !slices.ContainsFunc(st.Disk, func(c FileCheck) bool { return c.State != FileMissing })
	}
	if err := e.opt.Store.SaveStatCache(); err != nil {
		e.opt.Log.Warn().Err(err).Msg("save stat cache")
	}
}

// logRestored says which files of a reused output a run wrote: one line
// for those that were absent ("materialized outputs from the store": a
// fresh clone, a deleted file) and one for those whose content differed
// ("restored modified outputs from the store").
func (e *Engine) logRestored(n *node, w writes) {
	e.logWritten(n, w.created, "materialized outputs from the store")
	e.logWritten(n, w.replaced, "restored modified outputs from the store")
}

func (e *Engine) logWritten(n *node, files []string, msg string) {
	if len(files) == 0 {
		return
	}
	const show = 10
	ev := e.opt.Log.Info().Str(FieldPartition, string(n.spec.ID)).Int("count", len(files))
	if len(files) > show {
		ev = ev.Strs("files", files[:show]).Int("more", len(files)-show)
	} else {
		ev = ev.Strs("files", files)
	}
	ev.Msg(msg)
}

// checkFile returns "" when the file on disk matches f, else its state and
// (when it was read) its digest.
func (e *Engine) checkFile(dataDir string, f store.ManifestFile) (FileState, Digest) {
	abs := filepath.Join(dataDir, filepath.FromSlash(f.Path))
	fi, err := os.Stat(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return FileMissing, Digest{}
	case err == nil && fi.IsDir():
		return FileBlocked, Digest{}
	case err != nil || !fi.Mode().IsRegular():
		return FileModified, Digest{}
	case fi.Size() != f.Size:
		d, _, _ := e.opt.Store.DigestStat(abs, fi)
		return FileModified, d
	}
	// The stat just taken serves the stat cache too: one stat per file, not two.
	d, _, err := e.opt.Store.DigestPlacedStat(abs, fi, f.Digest)
	if err != nil {
		return FileMissing, Digest{}
	}
	if d != f.Digest {
		return FileModified, d
	}
	return "", d
}

// foreignIndex tells which other pipeline a file belongs to: one that the
// data directory's ownership record says writes the path, or one whose
// sealed output (per the lock file) has exactly this path and content.
type foreignIndex struct {
	self  string
	own   *ownership
	byDig map[Digest]map[string]string // digest → path → pipeline
}

func (e *Engine) newForeignIndex() *foreignIndex {
	fx := &foreignIndex{self: e.g.Name, byDig: map[Digest]map[string]string{}}
	if dir := e.dataDir(); dir != "" {
		path := filepath.Join(dir, OwnershipFile)
		if b, err := regfile.Read(path, regfile.MaxLock); err == nil {
			fx.own, _, _ = readOwnership(b, path) // damaged: no owners known; run rebuilds it
		}
	}
	if e.opt.LockPath == "" {
		return fx
	}
	lf, _, err := e.loadLockFile()
	if err != nil {
		return fx
	}
	for name, parts := range lf.Pipelines {
		if name == e.g.Name {
			continue
		}
		for _, ent := range parts {
			k, err := ParseNodeKey(ent.Key)
			if err != nil {
				continue
			}
			m, _, err := e.opt.Store.GetManifest(k)
			if err != nil {
				continue
			}
			for _, f := range m.Files {
				if fx.byDig[f.Digest] == nil {
					fx.byDig[f.Digest] = map[string]string{}
				}
				fx.byDig[f.Digest][f.Path] = name
			}
		}
	}
	return fx
}

// owner returns the other pipeline that wrote path with digest d, or "".
func (fx *foreignIndex) owner(path string, d Digest) string {
	if name := fx.own.owner(path, fx.self); name != "" {
		return name
	}
	return fx.byDig[d][path]
}
