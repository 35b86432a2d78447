// Package load implements the `load` node kind: a source node that exposes
// an existing data directory in the original layout (<dir>/<topic>/
// batch_*.json) as one partition per topic. Files are referenced, not
// copied: the engine digests them (with a stat cache, so unchanged large
// files are not re-hashed) and they are never materialized.
package load

import (
	"context"
	"fmt"
	"path"
	"path/filepath"
	"strings"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/engine/with"
)

// Kind is the node kind implemented by Step.
const Kind = "load"

// Version is folded into node keys.
const Version = "1"

// DefaultPattern selects the batch files of a topic directory.
const DefaultPattern = "batch_*.json"

// Step is the `load` node kind (an engine.Kind). It needs a `topic`
// foreach key. Outputs are <output dir>/<file name>, with output dir
// "source/<topic>" unless the node sets `output:`.
type Step struct{}

var _ engine.Kind[params] = (*Step)(nil)

// New returns the load step.
func New() engine.Step { return engine.Adapt[params](&Step{}) }

// Params are load's `with:` parameters.
var Params = []engine.Param{
	{Name: "dir", Type: engine.TypePath, Required: true,
		Doc: "the data directory in the original layout (<dir>/<topic>/batch_*.json), relative to the project root; typically ${source}"},
	{Name: "pattern", Type: engine.TypeString, Default: DefaultPattern,
		Doc: "which files of <dir>/<topic> to load (path.Match syntax on names)"},
}

// Info implements engine.Kind.
func (*Step) Info() engine.KindInfo {
	return engine.KindInfo{Name: Kind, Version: Version, Foreach: "topic", Params: Params,
		Summary: "a source node: an existing data directory in the original layout, one partition per topic, referenced in place (never copied or materialized)",
		Outputs: "source/<topic>/<file> (store only)"}
}

// params is the canonical parameter set hashed into the node key.
type params struct {
	Dir     string `json:"-"` // named by the inputs (portably), not keyed as written
	Pattern string `json:"pattern"`
	Topic   string `json:"topic"`
	Output  string `json:"output"`
}

// Resolve implements engine.Kind.
func (*Step) Resolve(spec *engine.PartitionSpec) (params, *engine.Plan, error) {
	w := with.New(spec, Params)
	p := params{Dir: w.Str("dir"), Pattern: w.Str("pattern"), Topic: spec.Value("topic")}
	if _, err := path.Match(p.Pattern, ""); err != nil {
		w.Errorf("pattern", "%q: %w", p.Pattern, err)
	}
	switch {
	case p.Topic == "":
		w.NodeErrorf("load needs a foreach key \"topic\"")
	case strings.ContainsAny(p.Topic, `/\`) || p.Topic == "." || p.Topic == "..":
		w.NodeErrorf("topic %q is not a directory name", p.Topic)
	}
	if err := w.Err(); err != nil {
		return params{}, nil, err
	}
	p.Output = spec.Output
	if p.Output == "" {
		p.Output = path.Join("source", p.Topic)
	}
	return p, &engine.Plan{
		Inputs:        []engine.InputSpec{{Path: filepath.Join(p.Dir, p.Topic), Pattern: p.Pattern}},
		OutputDir:     p.Output,
		NoMaterialize: true,
	}, nil
}

// Run implements engine.Kind: it references every matched file under the
// output directory by its name.
func (*Step) Run(_ context.Context, p params, t *engine.Task) error {
	var files []engine.InputFile
	for _, f := range t.Inputs {
		if f.Spec == 0 {
			files = append(files, f)
		}
	}
	if len(files) == 0 {
		return fmt.Errorf("load: no %s files in %s", p.Pattern, filepath.Join(p.Dir, p.Topic))
	}
	t.Progress.SetTotal(len(files))
	for _, f := range files {
		if err := t.Out.Reference(path.Join(p.Output, f.Rel), f); err != nil {
			return fmt.Errorf("reference %s: %w", f.Rel, err)
		}
		t.Progress.Done(1, 0, 0)
	}
	return nil
}
