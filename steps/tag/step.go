package tag

import (
	"context"
	"fmt"
	"io"
	"path"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/engine/with"
)

// Kind is the node kind implemented by Step.
const Kind = "tag"

// Version is the step version folded into node keys; bump it whenever the
// same inputs would produce different outputs. Version 2: numbers written
// as Python's json.dumps writes them (1e999 as Infinity), lone surrogates
// kept, wrong JSON types and invalid UTF-8 rejected.
const Version = "2"

// Step is the `tag` node kind (an engine.Kind). It takes every *.json file
// of its upstream outputs (by base name) and writes the tagged files to
// stage_3_tagged/<topic>/<name> (or the node's `output:` directory) and a
// summary to reports/<node>/<topic>.json. It accepts no `with` parameters
// and needs a `topic` foreach key.
type Step struct {
	// lim bounds the files tagged at once across all partitions this step
	// runs, whatever the engine's --jobs.
	lim Limiter
}

var _ engine.Kind[params] = (*Step)(nil)

// New returns the tag step; it tags at most GOMAXPROCS files at once across
// its partitions.
func New() engine.Step { return engine.Adapt[params](&Step{lim: NewLimiter(0)}) }

// Info implements engine.Kind.
func (*Step) Info() engine.KindInfo {
	return engine.KindInfo{Name: Kind, Version: Version, Foreach: "topic",
		Summary: "quality tags at every level (confidence, leakage, consensus, A/B separation, ...) on the upstream stage-3 files, with id_numeric and id_string",
		Outputs: "stage_3_tagged/<topic>/<file>, reports/<node>/<topic>.json",
		Reads:   "the stage-3 batch files it tags (an intervene or load node)"}
}

// params is the canonical parameter set hashed into the node key.
type params struct {
	Topic  string `json:"topic"`
	Output string `json:"output"`
	Report string `json:"report"`
}

// Resolve implements engine.Kind.
func (*Step) Resolve(spec *engine.PartitionSpec) (params, *engine.Plan, error) {
	w := with.New(spec, nil)
	topic := spec.Value("topic")
	if topic == "" {
		w.NodeErrorf("tag needs a foreach key \"topic\"")
	}
	if err := w.Err(); err != nil {
		return params{}, nil, err
	}
	out := spec.Output
	if out == "" {
		out = path.Join("stage_3_tagged", topic)
	}
	p := params{Topic: topic, Output: out, Report: path.Join("reports", spec.Node, topic+".json")}
	return p, &engine.Plan{OutputDir: out, Outputs: []string{out, p.Report}}, nil
}

// Run implements engine.Kind.
func (s *Step) Run(ctx context.Context, p params, t *engine.Task) error {
	sources := Sources(t.Upstream)
	if len(sources) == 0 {
		return fmt.Errorf("tag: no *.json files in the upstream outputs")
	}
	t.Progress.SetTotal(len(sources))
	sink := func(name string, encode func(io.Writer) error) error {
		rel := path.Join(p.Output, name)
		w, err := engine.CreateFile(t.Out, rel)
		if err != nil {
			return err
		}
		defer w.Abort()
		if err := encode(w); err != nil {
			return fmt.Errorf("write %s: %w", rel, err)
		}
		if err := w.Close(); err != nil {
			return err
		}
		t.Progress.Done(1, 0, 0)
		return nil
	}
	report, err := Partition(ctx, p.Topic, sources, s.lim, sink)
	if err != nil {
		return err
	}
	report.Log(t.Log)
	js, err := report.JSON()
	if err != nil {
		return fmt.Errorf("encode tag report: %w", err)
	}
	return t.Out.WriteFile(p.Report, js)
}

// Sources returns the *.json files of the upstream outputs, named by base
// name.
func Sources(ups []engine.Upstream) []Source {
	var srcs []Source
	for _, u := range ups {
		for _, f := range u.DataFiles(".json") {
			srcs = append(srcs, Source{Name: path.Base(f.Path), Path: f.Path, Size: f.Size, Read: f.ReadAll, ReadTo: readTo(f)})
		}
	}
	return srcs
}

// readTo reads f (verified against its digest by Open, at its end) into
// dst's storage, grown first to a multiple of readRound of plain pages (the
// engine would give a buffer this large huge pages, which cost tag more
// resident memory than the page faults they save).
func readTo(f engine.OutputFile) func(dst []byte) ([]byte, error) {
	return func(dst []byte) ([]byte, error) {
		if need := int(f.Size) + 512; cap(dst) < need {
			dst = make([]byte, 0, (need+readRound-1)/readRound*readRound)
		}
		b, err := f.ReadInto(dst)
		if err != nil {
			return b, fmt.Errorf("read %s: %w", f.Path, err)
		}
		return b, nil
	}
}

// readRound rounds read buffers up to a multiple of its size, so that a
// buffer read for one file usually fits the next one too instead of
// becoming garbage next to a new one (batch files differ by a few
// hundred KB).
const readRound = 1 << 20
