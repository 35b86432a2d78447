package tag

import (
	"context"
	"fmt"
	"maps"
	"path"
	"slices"

	"github.com/sptflow/sptflow/engine"
)

// Kind is the node kind implemented by Step.
const Kind = "tag"

// Version is the step version folded into node keys; bump it whenever the
// same inputs would produce different outputs. Version 2: numbers written
// as Python's json.dumps writes them (1e999 as Infinity), lone surrogates
// kept, wrong JSON types and invalid UTF-8 rejected.
const Version = "2"

// Step is the `tag` node kind. It takes every *.json file of its upstream
// outputs (by base name) and writes the tagged files to
// stage_3_tagged/<topic>/<name> (or the node's `output:` directory) and a
// summary to reports/<node>/<topic>.json. It accepts no `with` parameters
// and needs a `topic` foreach key.
type Step struct {
	// lim bounds the files tagged at once across all partitions this step
	// runs, whatever the engine's --jobs.
	lim Limiter
}

var _ engine.Step = (*Step)(nil)

// New returns the tag step; it tags at most GOMAXPROCS files at once across
// its partitions.
func New() *Step { return &Step{lim: NewLimiter(0)} }

// Kind implements engine.Step.
func (*Step) Kind() string { return Kind }

// Version implements engine.Step.
func (*Step) Version() string { return Version }

// params is the canonical parameter set hashed into the node key.
type params struct {
	Topic  string `json:"topic"`
	Output string `json:"output"`
	Report string `json:"report"`
}

// Resolve implements engine.Step.
func (*Step) Resolve(spec *engine.PartitionSpec) (*engine.Plan, error) {
	if len(spec.With) > 0 {
		k := slices.Min(slices.Collect(maps.Keys(spec.With)))
		return nil, fmt.Errorf("%s: node %q: tag takes no parameters, got %q", spec.WithPos[k], spec.Node, k)
	}
	topic := spec.Value("topic")
	if topic == "" {
		return nil, fmt.Errorf("%s: node %q: tag needs a foreach key \"topic\"", spec.NodePos, spec.Node)
	}
	out := spec.Output
	if out == "" {
		out = path.Join("stage_3_tagged", topic)
	}
	p := params{Topic: topic, Output: out, Report: path.Join("reports", spec.Node, topic+".json")}
	return &engine.Plan{Params: p, OutputDir: out}, nil
}

// Run implements engine.Step.
func (s *Step) Run(ctx context.Context, t *engine.Task) error {
	p, ok := t.Params.(params)
	if !ok {
		return fmt.Errorf("tag %s: unexpected params %T", t.ID(), t.Params)
	}
	sources := Sources(t.Upstream)
	if len(sources) == 0 {
		return fmt.Errorf("tag %s: no *.json files in the upstream outputs", t.ID())
	}
	t.Progress.SetTotal(len(sources))
	sink := func(name string, data []byte) error {
		if err := t.Out.WriteFile(path.Join(p.Output, name), data); err != nil {
			return err
		}
		t.Progress.Done(1, 0, 0)
		return nil
	}
	report, err := Partition(ctx, p.Topic, sources, s.lim, sink)
	if err != nil {
		return fmt.Errorf("%s: %w", t.ID(), err)
	}
	report.Log(t.Log)
	js, err := report.JSON()
	if err != nil {
		return err
	}
	return t.Out.WriteFile(p.Report, js)
}

// Sources returns the *.json files of the upstream outputs, named by base
// name.
func Sources(ups []engine.Upstream) []Source {
	var srcs []Source
	for _, u := range ups {
		for _, f := range u.DataFiles(".json") {
			srcs = append(srcs, Source{Name: path.Base(f.Path), Path: f.Path, Read: f.ReadAll})
		}
	}
	return srcs
}
