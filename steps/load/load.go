// Package load implements the `load` node kind: a source node that exposes
// an existing data directory in the original layout (<dir>/<topic>/
// batch_*.json) as one partition per topic. Files are referenced, not
// copied: the engine digests them (with a stat cache, so unchanged large
// files are not re-hashed) and they are never materialized.
package load

import (
	"context"
	"fmt"
	"maps"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sptflow/sptflow/engine"
)

// Kind is the node kind implemented by Step.
const Kind = "load"

// Version is folded into node keys.
const Version = "1"

// DefaultPattern selects the batch files of a topic directory.
const DefaultPattern = "batch_*.json"

// Step is the `load` node kind. Parameters: `dir` (required; relative to
// the project root, typically ${source}) and `pattern` (default
// "batch_*.json", path.Match syntax on names inside dir/<topic>). It needs a
// `topic` foreach key. Outputs are <output dir>/<file name>, with output dir
// "source/<topic>" unless the node sets `output:`.
type Step struct{}

var _ engine.Step = (*Step)(nil)

// New returns the load step.
func New() *Step { return &Step{} }

// Kind implements engine.Step.
func (*Step) Kind() string { return Kind }

// Version implements engine.Step.
func (*Step) Version() string { return Version }

// params is the canonical parameter set hashed into the node key.
type params struct {
	Dir     string `json:"-"` // named by the inputs (portably), not keyed as written
	Pattern string `json:"pattern"`
	Topic   string `json:"topic"`
	Output  string `json:"output"`
}

// Resolve implements engine.Step.
func (*Step) Resolve(spec *engine.PartitionSpec) (*engine.Plan, error) {
	p := params{Pattern: DefaultPattern, Topic: spec.Value("topic")}
	if err := decodeWith(spec, &p); err != nil {
		return nil, err
	}
	if p.Topic == "" {
		return nil, fmt.Errorf("%s: node %q: load needs a foreach key \"topic\"", spec.NodePos, spec.Node)
	}
	if strings.ContainsAny(p.Topic, `/\`) || p.Topic == "." || p.Topic == ".." {
		return nil, fmt.Errorf("%s: node %q: topic %q is not a directory name", spec.NodePos, spec.Node, p.Topic)
	}
	p.Output = spec.Output
	if p.Output == "" {
		p.Output = path.Join("source", p.Topic)
	}
	return &engine.Plan{
		Params:        p,
		Inputs:        []engine.InputSpec{{Path: filepath.Join(p.Dir, p.Topic), Pattern: p.Pattern}},
		OutputDir:     p.Output,
		NoMaterialize: true,
	}, nil
}

// decodeWith validates the `with` block into p: dir is a required string,
// pattern an optional valid path.Match pattern; other keys are errors.
func decodeWith(spec *engine.PartitionSpec, p *params) error {
	for _, k := range slices.Sorted(maps.Keys(spec.With)) {
		v := spec.With[k]
		s, ok := v.(string)
		switch {
		case k != "dir" && k != "pattern":
			return spec.WithErrorf(k, "unknown load parameter (want dir, pattern)")
		case !ok || s == "":
			return spec.WithErrorf(k, "want a non-empty string, got %v", v)
		case k == "dir":
			p.Dir = s
		default:
			if _, err := path.Match(s, ""); err != nil {
				return spec.WithErrorf(k, "pattern %q: %w", s, err)
			}
			p.Pattern = s
		}
	}
	if p.Dir == "" {
		return fmt.Errorf("%s: node %q: load needs `with: {dir: PATH}`", spec.NodePos, spec.Node)
	}
	return nil
}

// Run implements engine.Step: it references every matched file under the
// output directory by its name.
func (*Step) Run(_ context.Context, t *engine.Task) error {
	p, ok := t.Params.(params)
	if !ok {
		return fmt.Errorf("load %s: unexpected params %T", t.ID(), t.Params)
	}
	var files []engine.InputFile
	for _, f := range t.Inputs {
		if f.Spec == 0 {
			files = append(files, f)
		}
	}
	if len(files) == 0 {
		return fmt.Errorf("load %s: no %s files in %s", t.ID(), p.Pattern, filepath.Join(p.Dir, p.Topic))
	}
	t.Progress.SetTotal(len(files))
	for _, f := range files {
		if err := t.Out.Reference(path.Join(p.Output, f.Rel), f); err != nil {
			return fmt.Errorf("load %s: %w", t.ID(), err)
		}
		t.Progress.Done(1, 0, 0)
	}
	return nil
}
