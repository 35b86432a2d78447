package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/engine/store"
	"github.com/sptflow/sptflow/steps/compare"
	"github.com/sptflow/sptflow/view"
)

// viewLockSources makes the two sides of `sptflow view A.lock B.lock`:
// the lock files (paths or REV:path, read as `sptflow diff` reads them),
// one pipeline's entries of each (--pipeline NAME or A_NAME,B_NAME; else
// the pipeline both have, or the only one whose partitions differ), and
// the sealed outputs those entries pin, read from the store through their
// manifests into a data directory in the original layout under
// .sptflow/view/locks/ (keyed by the files' digests, written once). The
// comparison's report reads the same outputs as `sptflow diff` does,
// with the usage the locks recorded.
func viewLockSources(e *env, a, b, names string) ([]view.Source, error) {
	la, err := readLockArgs(a, b)
	if err != nil {
		return nil, err
	}
	pair, err := viewLockPair(la.lf[0], la.lf[1], names, la.st)
	if err != nil {
		return nil, err
	}
	var srcs []view.Source
	for i, c := range []struct {
		arg, root, name string
		st              *store.Store
		lf              *store.LockFile
	}{{a, la.root[0], pair[0], la.st[0], la.lf[0]}, {b, la.root[1], pair[1], la.st[1], la.lf[1]}} {
		side := string(rune('A' + i))
		sides := engine.LockSides(c.st, c.lf.Pipelines[c.name])
		if len(sides) == 0 {
			return nil, fmt.Errorf("sptflow view %s: pipeline %s has no entries in the lock file", c.arg, c.name)
		}
		var missing []string
		for _, s := range sides {
			if s.Manifest == nil {
				missing = append(missing, fmt.Sprintf("%s (output %.12s)", s.ID, s.Output))
			}
		}
		if len(missing) > 0 {
			return nil, fmt.Errorf("sptflow view %s (pipeline %s): the store %s does not hold %d of the %d outputs the lock file pins: %s; "+
				"`sptflow store pull --lock FILE` fetches them from a remote store, or `sptflow run` at that revision seals them again",
				c.arg, c.name, storeDir(c.root), len(missing), len(sides), strings.Join(missing, ", "))
		}
		dir, err := lockDataDir(e, c.st, storeDir(c.root), sides)
		if err != nil {
			return nil, fmt.Errorf("sptflow view %s (pipeline %s): %w", c.arg, c.name, err)
		}
		st := c.st
		outputs := map[string]bool{}
		for _, s := range sides {
			outputs[s.Output] = true
		}
		srcs = append(srcs, view.Source{
			Name: fmt.Sprintf("%s (pipeline %s)", c.arg, c.name), Dir: dir, Store: storeDir(c.root), Pipeline: c.name,
			Run:     view.RunOf(storeDir(c.root), c.name, outputs),
			Compare: func() (compare.Side, error) { return dataSide(st, side, sides), nil },
		})
	}
	return srcs, nil
}

// viewLockPair picks the pipeline of each lock file to compare, as
// lockPairs does for `sptflow diff`; of several pipelines both have, the
// only one whose partitions differ.
func viewLockPair(a, b *store.LockFile, names string, st [2]*store.Store) ([2]string, error) {
	pairs, _, err := lockPairs(a, b, names)
	if err != nil {
		return [2]string{}, err
	}
	if len(pairs) == 0 {
		return [2]string{}, fmt.Errorf("%w: sptflow view: the lock files have no pipeline in common (A has: %s; B has: %s): add --pipeline A_NAME,B_NAME",
			errUsage, strings.Join(pipelineNames(a), ", "), strings.Join(pipelineNames(b), ", "))
	}
	if len(pairs) == 1 {
		return pairs[0], nil
	}
	var differ [][2]string
	for _, p := range pairs {
		parts := engine.DiffSides(engine.LockSides(st[0], a.Pipelines[p[0]]), engine.LockSides(st[1], b.Pipelines[p[1]]))
		if slices.ContainsFunc(parts, func(x engine.PartitionDiff) bool { return x.State != engine.DiffSame }) {
			differ = append(differ, p)
		}
	}
	if len(differ) == 1 {
		return differ[0], nil
	}
	var ns []string
	for _, p := range pairs {
		ns = append(ns, p[0])
	}
	which := "none differs"
	if len(differ) > 1 {
		which = fmt.Sprintf("%d differ", len(differ))
	}
	return [2]string{}, fmt.Errorf("%w: sptflow view: the lock files hold several pipelines (%s; %s): add --pipeline NAME (or A_NAME,B_NAME)",
		errUsage, strings.Join(ns, ", "), which)
}

// lockDataDir writes the files of the sides' sealed outputs, read from the
// store (verified against their digests), into a data directory in the
// original layout: .sptflow/view/locks/<digest of the files>/, reused when
// it exists. Referenced input files (of load nodes) are left out: a lock
// file knows no project's inputs.
func lockDataDir(e *env, st *store.Store, storeDir string, sides []engine.Side) (string, error) {
	type file struct {
		of       engine.OutputFile
		external bool
	}
	var files []file
	for i := range sides {
		ext := map[string]bool{}
		for _, f := range sides[i].Manifest.Files {
			if f.External != "" {
				ext[f.Path] = true
			}
		}
		for _, f := range engine.SideFiles(st, &sides[i]) {
			files = append(files, file{f, ext[f.Path]})
		}
	}
	slices.SortFunc(files, func(x, y file) int { return strings.Compare(x.of.Path, y.of.Path) })
	h := sha256.New()
	for _, f := range files {
		if !f.external {
			fmt.Fprintf(h, "%s\x00%s\x00", f.of.Path, f.of.Digest)
		}
	}
	dir := filepath.Join(storeDir, "view", "locks", hex.EncodeToString(h.Sum(nil))[:32])
	if isDir(dir) {
		return dir, nil
	}
	tmp := fmt.Sprintf("%s.tmp%d", dir, os.Getpid())
	os.RemoveAll(tmp)
	skipped := 0
	for _, f := range files {
		if f.external {
			skipped++
			continue
		}
		if err := copyOutputFile(f.of, filepath.Join(tmp, filepath.FromSlash(f.of.Path))); err != nil {
			os.RemoveAll(tmp)
			return "", err
		}
	}
	if skipped > 0 {
		fmt.Fprintf(e.stderr, "sptflow view: %d referenced input files of the pinned outputs are not in the store and are not shown\n", skipped)
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		os.RemoveAll(tmp)
		return "", err
	}
	if err := os.Rename(tmp, dir); err != nil {
		os.RemoveAll(tmp)
		if isDir(dir) { // another viewer wrote the same files first
			return dir, nil
		}
		return "", fmt.Errorf("write the pinned outputs to %s: %w", dir, err)
	}
	return dir, nil
}

func copyOutputFile(f engine.OutputFile, dst string) error {
	rc, err := f.Open()
	if err != nil {
		return fmt.Errorf("read %s from the store: %w", f.Path, err)
	}
	defer rc.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	w, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, rc); err != nil {
		w.Close()
		return fmt.Errorf("read %s from the store: %w", f.Path, err)
	}
	return w.Close()
}
