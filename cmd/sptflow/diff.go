package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/rs/zerolog"
	"gopkg.in/yaml.v3"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/engine/lockyaml"
	"github.com/sptflow/sptflow/engine/pipeline"
	"github.com/sptflow/sptflow/engine/store"
	"github.com/sptflow/sptflow/regfile"
	"github.com/sptflow/sptflow/steps/compare"
)

// cmdDiff compares two pipelines (an experiment and its base) or two lock
// files (two git revisions, REV:path): which partitions differ and why,
// and what their sealed outputs hold. It runs nothing.
func cmdDiff(ctx context.Context, e *env, args []string) error {
	fs := e.flagSet("diff")
	asJSON := fs.Bool("json", false, "print the comparison as JSON")
	htmlPath := fs.String("html", "", "also write the comparison as a self-contained HTML page to `FILE`")
	names := fs.String("pipeline", "", "compare the lock files' entries of pipeline `NAME` (or A_NAME,B_NAME)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return fmt.Errorf("%w: sptflow diff A B: want two pipeline files or two lock files, got %d arguments", errUsage, len(pos))
	}
	if _, err := e.logger(nil); err != nil {
		return err
	}
	la, lb := isLockArg(pos[0]), isLockArg(pos[1])
	var d *compare.Diff
	switch {
	case la != lb:
		return fmt.Errorf("%w: sptflow diff: %s and %s: compare two pipelines or two lock files, not one of each", errUsage, pos[0], pos[1])
	case la:
		d, err = diffLocks(pos[0], pos[1], *names)
	case *names != "":
		return fmt.Errorf("%w: sptflow diff: --pipeline picks pipelines of lock files; %s and %s are pipeline files", errUsage, pos[0], pos[1])
	default:
		d, err = diffPipelines(ctx, e, pos[0], pos[1])
	}
	if err != nil {
		return err
	}
	return writeDiff(e, d, *asJSON, *htmlPath)
}

func writeDiff(e *env, d *compare.Diff, asJSON bool, htmlPath string) error {
	if asJSON {
		b, err := json.MarshalIndent(d, "", "  ")
		if err != nil {
			return fmt.Errorf("encode diff: %w", err)
		}
		fmt.Fprintf(e.stdout, "%s\n", b)
	} else {
		d.WriteText(e.stdout)
	}
	if htmlPath == "" {
		return nil
	}
	if err := store.WriteFileAtomic(htmlPath, d.Document().HTML(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", htmlPath, err)
	}
	fmt.Fprintf(e.stderr, "wrote %s\n", htmlPath)
	return nil
}

// diffPipelines compares two pipelines as they are now: each partition's
// current node key, and the output sealed for it, if any.
func diffPipelines(ctx context.Context, e *env, a, b string) (*compare.Diff, error) {
	pa, err := e.open(a, engine.RunOptions{}, zerolog.Nop())
	if err != nil {
		return nil, err
	}
	defer pa.close()
	pb, err := e.open(b, engine.RunOptions{}, zerolog.Nop())
	if err != nil {
		return nil, err
	}
	defer pb.close()
	sa, err := pa.eng.Sides(ctx)
	if err != nil {
		return nil, err
	}
	sb, err := pb.eng.Sides(ctx)
	if err != nil {
		return nil, err
	}
	d := &compare.Diff{A: fmt.Sprintf("%s (pipeline %s)", a, pa.p.Name), B: fmt.Sprintf("%s (pipeline %s)", b, pb.p.Name),
		Partitions: engine.DiffSides(sa, sb)}
	d.Data, err = compare.Compare(dataSide(pa.st, "A", sa), dataSide(pb.st, "B", sb))
	return d, err
}

// dataSide hands the sealed outputs of a side's partitions to the data
// comparison; partitions without one are listed as unread, with why.
func dataSide(st *store.Store, name string, sides []engine.Side) compare.Side {
	out := compare.Side{Name: name}
	for i := range sides {
		s := &sides[i]
		if s.Manifest == nil {
			why := orDefault(s.Note, "no sealed output")
			if s.Output != "" {
				why = fmt.Sprintf("output %.12s is not in the store", s.Output)
			}
			out.Unread = append(out.Unread, fmt.Sprintf("%s: %s", s.ID, why))
			continue
		}
		p := compare.Partition{ID: string(s.ID), Kind: s.Kind, Usage: s.Usage}
		for _, f := range engine.SideFiles(st, s) {
			p.Files = append(p.Files, compare.File{Path: f.Path, Digest: f.Digest.String(), Open: f.Open})
		}
		out.Partitions = append(out.Partitions, p)
	}
	return out
}

// isLockArg reports whether a diff argument names a lock file: REV:path
// (not an existing file), a *.lock file (existing or not: readLockArg
// says it is missing), or YAML with `pipelines` and no `nodes`.
func isLockArg(arg string) bool {
	if _, err := os.Stat(arg); err != nil {
		return strings.Contains(arg, ":") || strings.HasSuffix(arg, ".lock")
	}
	if strings.HasSuffix(arg, ".lock") {
		return true
	}
	b, err := regfile.Read(arg, regfile.MaxLock) // a FIFO must not block
	if err != nil {
		return false
	}
	var top map[string]any
	if yaml.Unmarshal(b, &top) != nil {
		return false
	}
	_, hasPipelines := top["pipelines"]
	_, hasNodes := top["nodes"]
	return hasPipelines && !hasNodes
}

// readLockArg reads a lock file named by a path or by REV:path (through
// `git show`, in the working directory), and returns it with the project
// root whose store holds its entries: the lock file's own project when it
// has a store, else the working directory's (a lock file copied aside, to
// /tmp/old.lock say, names outputs of the project it was copied from).
func readLockArg(arg string) (*store.LockFile, string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return nil, "", err
	}
	_, err = os.Stat(arg)
	if err == nil {
		abs, err := filepath.Abs(arg)
		if err != nil {
			return nil, "", err
		}
		lf, err := store.ReadLockFile(abs, lockyaml.Codec{})
		root := pipeline.FindProjectRoot(filepath.Dir(abs))
		if fi, serr := os.Stat(storeDir(root)); serr != nil || !fi.IsDir() {
			root = pipeline.FindProjectRoot(wd)
		}
		return lf, root, err
	}
	if !strings.Contains(arg, ":") {
		if errors.Is(err, os.ErrNotExist) {
			return nil, "", fmt.Errorf("%w: lock file %s does not exist", errUsage, arg)
		}
		return nil, "", fmt.Errorf("%w: lock file %s: %v", errUsage, arg, err)
	}
	var out, errOut bytes.Buffer
	cmd := exec.Command("git", "show", arg)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return nil, "", fmt.Errorf("%w: read lock file %s: not a file, and git show %s: %v: %s", errUsage, arg, arg, err, strings.TrimSpace(errOut.String()))
	}
	lf, err := store.ParseLockFile(arg, out.Bytes(), lockyaml.Codec{})
	if err != nil {
		return nil, "", err // a *store.LockDamage, which names arg
	}
	return lf, pipeline.FindProjectRoot(wd), nil
}

// diffLocks compares the entries of two lock files, pipeline by pipeline
// (see lockPairs), reading key components and outputs from the store.
func diffLocks(a, b, names string) (*compare.Diff, error) {
	la, err := readLockArgs(a, b)
	if err != nil {
		return nil, err
	}
	pairs, notes, err := lockPairs(la.lf[0], la.lf[1], names)
	if err != nil {
		return nil, err
	}
	return lockDiff(a, b, la.st, la.lf, pairs, notes)
}

// lockArgs are two lock-file arguments read, with the store and the root of
// the project each belongs to.
type lockArgs struct {
	lf   [2]*store.LockFile
	st   [2]*store.Store
	root [2]string
}

// readLockArgs reads two lock-file arguments (paths or REV:path) and opens
// the store of each one's project, once when they share it.
func readLockArgs(a, b string) (*lockArgs, error) {
	la := &lockArgs{}
	for i, arg := range [2]string{a, b} {
		lf, root, err := readLockArg(arg)
		if err != nil {
			return nil, err
		}
		la.lf[i], la.root[i] = lf, root
	}
	st, err := store.Open(storeDir(la.root[0]))
	if err != nil {
		return nil, err
	}
	la.st = [2]*store.Store{st, st}
	if storeDir(la.root[1]) != storeDir(la.root[0]) {
		if la.st[1], err = store.Open(storeDir(la.root[1])); err != nil {
			return nil, err
		}
	}
	return la, nil
}

// lockDiff compares the lock entries of each pair of pipelines, and the
// data of one pair: the only one, or the only one whose partitions differ.
func lockDiff(a, b string, st [2]*store.Store, lf [2]*store.LockFile, pairs [][2]string, notes []string) (*compare.Diff, error) {
	d := &compare.Diff{A: a, B: b}
	var data [][2][]engine.Side
	for _, p := range pairs {
		sa, sb := engine.LockSides(st[0], lf[0].Pipelines[p[0]]), engine.LockSides(st[1], lf[1].Pipelines[p[1]])
		parts := engine.DiffSides(sa, sb)
		if len(pairs) > 1 {
			parts = engine.DiffSides(prefix(sa, p[0]), prefix(sb, p[1]))
		}
		d.Partitions = append(d.Partitions, parts...)
		if len(pairs) == 1 || slices.ContainsFunc(parts, func(x engine.PartitionDiff) bool { return x.State != engine.DiffSame }) {
			data = append(data, [2][]engine.Side{sa, sb})
			d.A, d.B = fmt.Sprintf("%s (pipeline %s)", a, p[0]), fmt.Sprintf("%s (pipeline %s)", b, p[1])
			if len(pairs) > 1 {
				d.A, d.B = fmt.Sprintf("%s (%d pipelines; the data of %s, the only one that differs)", a, len(pairs), p[0]), b
			}
		}
	}
	if len(data) != 1 {
		d.A, d.B = a, b
		if len(data) > 1 {
			notes = append(notes, "several pipelines differ; the data is compared for one at a time: add --pipeline NAME")
		}
		d.Notes = notes
		return d, nil
	}
	r, err := compare.Compare(dataSide(st[0], "A", data[0][0]), dataSide(st[1], "B", data[0][1]))
	if err != nil {
		return nil, err
	}
	r.Notes = append(notes, r.Notes...)
	d.Data = r
	return d, nil
}

// prefix returns a copy of sides with IDs "<pipeline>:<partition>".
func prefix(sides []engine.Side, name string) []engine.Side {
	out := slices.Clone(sides)
	for i := range out {
		out[i].ID = engine.PartitionID(name + ":" + string(out[i].ID))
	}
	return out
}

// lockPairs chooses which pipelines of the two lock files to compare: the
// --pipeline NAME (or A_NAME,B_NAME); else every pipeline both have; else,
// when each has exactly one, those two.
func lockPairs(a, b *store.LockFile, names string) ([][2]string, []string, error) {
	if names != "" {
		na, nb, ok := strings.Cut(names, ",")
		if !ok {
			nb = na
		}
		for _, c := range []struct {
			lf   *store.LockFile
			name string
		}{{a, na}, {b, nb}} {
			if _, ok := c.lf.Pipelines[c.name]; !ok {
				return nil, nil, fmt.Errorf("%w: --pipeline %s: the lock file has no pipeline %q (it has: %s)", errUsage, names, c.name, strings.Join(pipelineNames(c.lf), ", "))
			}
		}
		return [][2]string{{na, nb}}, nil, nil
	}
	var pairs [][2]string
	var notes []string
	for _, n := range pipelineNames(a) {
		if _, ok := b.Pipelines[n]; ok {
			pairs = append(pairs, [2]string{n, n})
		} else {
			notes = append(notes, fmt.Sprintf("pipeline %s is only in A", n))
		}
	}
	for _, n := range pipelineNames(b) {
		if _, ok := a.Pipelines[n]; !ok {
			notes = append(notes, fmt.Sprintf("pipeline %s is only in B", n))
		}
	}
	if len(pairs) == 0 && len(a.Pipelines) == 1 && len(b.Pipelines) == 1 {
		return [][2]string{{pipelineNames(a)[0], pipelineNames(b)[0]}}, nil, nil
	}
	return pairs, notes, nil
}

func pipelineNames(lf *store.LockFile) []string {
	var ns []string
	for n := range lf.Pipelines {
		ns = append(ns, n)
	}
	slices.Sort(ns)
	return ns
}
