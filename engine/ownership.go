package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/sptflow/sptflow/engine/store"
	"github.com/sptflow/sptflow/regfile"
)

// OwnershipFile is the record, kept in a data directory, of which pipeline
// materializes which outputs there. run writes its pipeline's entry before
// executing anything; validate and run refuse a pipeline whose outputs
// overlap another pipeline's entry, so pipelines sharing a data directory
// cannot overwrite each other, and status names files another pipeline
// owns as foreign.
const OwnershipFile = ".sptflow-outputs.json"

// ownership is the content of OwnershipFile.
type ownership struct {
	Version   int                   `json:"version"`
	Pipelines map[string]ownerEntry `json:"pipelines"`
}

// ownerEntry is one pipeline's entry: its file (relative to the project root)
// and the output paths its partitions declare (sorted).
type ownerEntry struct {
	File    string   `json:"file"`
	Outputs []string `json:"outputs"`
}

const ownershipVersion = 1

// dataDir is the pipeline's data directory ("" without partitions).
func (e *Engine) dataDir() string {
	if len(e.g.Partitions) == 0 {
		return ""
	}
	return e.g.Partitions[0].DataDir
}

// ownEntry is this pipeline's entry: every materialized partition's claims.
func (e *Engine) ownEntry() ownerEntry {
	ent := ownerEntry{File: e.g.Path, Outputs: []string{}}
	if p := e.g.Partitions; len(p) > 0 {
		if abs, err := filepath.Abs(e.g.Path); err == nil {
			if rel, err := filepath.Rel(p[0].ProjectRoot, abs); err == nil {
				ent.File = filepath.ToSlash(rel)
			}
		}
	}
	for _, id := range e.order {
		ent.Outputs = append(ent.Outputs, e.nodes[id].claims()...)
	}
	slices.Sort(ent.Outputs)
	ent.Outputs = slices.Compact(ent.Outputs)
	return ent
}

// readOwnership reads the data directory's record; a missing file is empty.
// A record that does not decode (a truncation, a bit flip, garbage) is
// damaged: it comes back empty with damaged set, and the caller warns and
// rebuilds it, as for a damaged lock file; the other pipelines sharing the
// directory record their entries again when they next run. A record of
// another version is an error: a newer sptflow wrote it, and this one must
// not rewrite it.
func readOwnership(b []byte, path string) (o *ownership, damaged, err error) {
	o = &ownership{Version: ownershipVersion, Pipelines: map[string]ownerEntry{}}
	if b == nil {
		return o, nil, nil
	}
	var got ownership
	if err := json.Unmarshal(b, &got); err != nil {
		return o, fmt.Errorf("%s is damaged (%v); rebuilding it with this pipeline's outputs (other pipelines writing to %s record theirs again when they next run)", path, err, filepath.Dir(path)), nil
	}
	if got.Version != ownershipVersion {
		return nil, nil, fmt.Errorf("read %s: version %d, this sptflow understands %d", path, got.Version, ownershipVersion)
	}
	if got.Pipelines != nil {
		o.Pipelines = got.Pipelines
	}
	return o, nil, nil
}

// conflicts lists, per partition of this pipeline, the overlaps of its
// claims with other pipelines' entries in o.
func (e *Engine) conflicts(o *ownership, path string) []error {
	var errs []error
	names := make([]string, 0, len(o.Pipelines))
	for name := range o.Pipelines {
		if name != e.g.Name {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	for _, id := range e.order {
		n := e.nodes[id]
		for _, c := range n.claims() {
			for _, name := range names {
				other := o.Pipelines[name]
				for _, oc := range other.Outputs {
					if overlaps(c, oc) {
						errs = append(errs, fmt.Errorf("%s: %s of pipeline %q writes %s, which overlaps %s of pipeline %q (%s) in the same data directory %s; give one of them its own data: (or remove %q from %s if it no longer writes there)",
							n.spec.NodePos, id, e.g.Name, show(c), show(oc), name, other.File, filepath.Dir(path), name, path))
						break
					}
				}
			}
		}
	}
	return errs
}

// CheckOwnership refuses (with an error matching ErrInvalid) a pipeline
// whose outputs overlap those another pipeline recorded in the same data
// directory. It writes nothing.
func (e *Engine) CheckOwnership() error {
	dir := e.dataDir()
	if dir == "" {
		return nil
	}
	path := filepath.Join(dir, OwnershipFile)
	b, err := regfile.Read(path, regfile.MaxLock)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("check output ownership: %w", err)
	}
	o, damaged, err := readOwnership(b, path)
	if err != nil {
		return err
	}
	if damaged != nil {
		e.opt.Log.Warn().Msg(damaged.Error())
	}
	if errs := e.conflicts(o, path); len(errs) > 0 {
		return invalid(errs...)
	}
	return nil
}

// claimOutputs checks ownership and records this pipeline's entry, under
// the data directory's lock, so two pipelines started at once cannot both
// claim the same paths. An unchanged entry is not rewritten.
func (e *Engine) claimOutputs() error {
	dir := e.dataDir()
	if dir == "" {
		return nil
	}
	path := filepath.Join(dir, OwnershipFile)
	var errs []error
	err := store.UpdateFile(path, func(old []byte) ([]byte, error) {
		o, damaged, err := readOwnership(old, path)
		if err != nil {
			return nil, err
		}
		if damaged != nil {
			e.opt.Log.Warn().Msg(damaged.Error())
		}
		if errs = e.conflicts(o, path); len(errs) > 0 {
			return old, nil
		}
		ent := e.ownEntry()
		if cur, ok := o.Pipelines[e.g.Name]; ok && damaged == nil && slices.Equal(cur.Outputs, ent.Outputs) && cur.File == ent.File {
			return old, nil
		}
		o.Pipelines[e.g.Name] = ent
		b, err := json.MarshalIndent(o, "", "  ")
		return append(b, '\n'), err
	})
	if err != nil {
		return fmt.Errorf("record output ownership: %w", err)
	}
	if len(errs) > 0 {
		return invalid(errs...)
	}
	return nil
}

// owner returns, from a data directory's record, which other pipeline
// claims path (slash-separated, relative to the data directory), or "".
func (o *ownership) owner(path, self string) string {
	if o == nil {
		return ""
	}
	names := make([]string, 0, len(o.Pipelines))
	for name := range o.Pipelines {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if outs := o.Pipelines[name].Outputs; name != self && len(outs) > 0 && within(path, outs) {
			return name
		}
	}
	return ""
}
