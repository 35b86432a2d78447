package evalreport

import (
	"context"
	"fmt"
	"path"
	"runtime"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/engine/with"
)

// Kind is the node kind this package implements.
const Kind = "analyze_eval"

// version is bumped whenever the same inputs would give different outputs.
const version = "1"

// DefaultOutputDir is where outputs go when the node sets no `output:`.
const DefaultOutputDir = "evaluation_analysis"

// resultsPattern selects the quantitative result files below `dir`.
const resultsPattern = "quantitative/results_*.json"

// Step is the analyze_eval node kind (an engine.Kind).
type Step struct{}

var _ engine.Kind[*Params] = (*Step)(nil)

// New returns the analyze_eval step.
func New() engine.Step { return engine.Adapt[*Params](&Step{}) }

// WithParams are analyze_eval's `with:` parameters.
var WithParams = []engine.Param{
	{Name: "dir", Type: engine.TypePath, Required: true,
		Doc: "the evaluation_results directory (" + resultsPattern + " below it), relative to the project root"},
	{Name: "include_baselines", Type: engine.TypeBool, Default: false, Doc: "include the baseline runs in the tables"},
	{Name: "on_policy_only", Type: engine.TypeBool, Default: false, Doc: "only on-policy runs"},
	{Name: "off_policy_only", Type: engine.TypeBool, Default: false, Doc: "only off-policy runs"},
	{Name: "baselines_only", Type: engine.TypeBool, Default: false, Doc: "only the baseline runs"},
	{Name: "count_duplicates", Type: engine.TypeBool, Default: false,
		Doc: "count duplicate runs of the same configuration (by default they are reported, not double-counted)"},
}

// Info implements engine.Kind.
func (*Step) Info() engine.KindInfo {
	return engine.KindInfo{Name: Kind, Version: version, Params: WithParams,
		Summary: "accuracy tables from evaluation result files",
		Outputs: DefaultOutputDir + "/: evaluation_summary.json, report.md, report.html"}
}

// Params are the resolved parameters of an analyze_eval partition.
type Params struct {
	Dir              string `json:"-"` // named by the inputs (portably), not keyed as written
	IncludeBaselines bool   `json:"include_baselines"`
	OnPolicyOnly     bool   `json:"on_policy_only"`
	OffPolicyOnly    bool   `json:"off_policy_only"`
	BaselinesOnly    bool   `json:"baselines_only"`
	CountDuplicates  bool   `json:"count_duplicates"`
}

func (p *Params) options() Options {
	return Options{IncludeBaselines: p.IncludeBaselines, OnPolicyOnly: p.OnPolicyOnly, OffPolicyOnly: p.OffPolicyOnly,
		BaselinesOnly: p.BaselinesOnly, CountDuplicates: p.CountDuplicates}
}

// Resolve implements engine.Kind.
func (*Step) Resolve(spec *engine.PartitionSpec) (*Params, *engine.Plan, error) {
	w := with.New(spec, WithParams)
	p := &Params{Dir: w.Str("dir"), IncludeBaselines: w.Bool("include_baselines"), OnPolicyOnly: w.Bool("on_policy_only"),
		OffPolicyOnly: w.Bool("off_policy_only"), BaselinesOnly: w.Bool("baselines_only"), CountDuplicates: w.Bool("count_duplicates")}
	if err := w.Err(); err != nil {
		return nil, nil, err
	}
	out := spec.Output
	if out == "" {
		out = DefaultOutputDir
	}
	return p, &engine.Plan{OutputDir: out, Inputs: []engine.InputSpec{{Path: p.Dir, Pattern: resultsPattern}}, Observe: observeRun}, nil
}

// observedRun is a result file parsed in the read that digested it
// (engine.Plan.Observe): its counts, or why it could not be parsed.
type observedRun struct {
	run *Run
	err error
}

// observeRun parses a result file the engine reads to digest it, so that
// Run need not read it again: the first evaluation of new results reads
// each byte once.
func observeRun(in engine.InputFile, data []byte) any {
	name := path.Base(in.Rel)
	if r, ok := parseFast(name, data); ok {
		return observedRun{run: r}
	}
	r, err := parseScan(name, data)
	if err != nil {
		return observedRun{err: fmt.Errorf("parse result file %s: %w", in.Abs, err)} // as load words it
	}
	return observedRun{run: r}
}

// Run implements engine.Kind.
func (s *Step) Run(ctx context.Context, p *Params, t *engine.Task) error {
	runs, err := LoadRuns(ctx, t.Inputs, t.Progress)
	if err != nil {
		return err
	}
	a := Analyze(runs, p.options())
	t.Log.Info().Int("files", a.Header.Files).Int("working", a.Header.Working).
		Int("skipped", len(a.Header.Skipped)).Int("duplicates", len(a.Header.Duplicates)).Msg("evaluation analysed")
	if err := writeOutputs(t.Out, t.Plan.OutputDir, a); err != nil {
		return fmt.Errorf("write evaluation analysis: %w", err)
	}
	return nil
}

// LoadRuns parses the result files in parallel (one worker per CPU),
// returning them in the order given. Each file is streamed through the
// worker's window and scanned; only the counts are kept, so memory stays
// near one window per worker.
func LoadRuns(ctx context.Context, files []engine.InputFile, prog engine.Progress) ([]*Run, error) {
	runs := make([]*Run, len(files))
	if prog != nil {
		prog.SetTotal(len(files))
	}
	largest := int64(0)
	for _, f := range files {
		largest = max(largest, f.Size)
	}
	g, ctx := errgroup.WithContext(ctx)
	var next atomic.Int64
	for range min(runtime.GOMAXPROCS(0), len(files)) {
		g.Go(func() error {
			w := worker{whole: fileReader{max: largest}}
			for {
				i := int(next.Add(1) - 1)
				if i >= len(files) {
					return nil
				}
				if err := ctx.Err(); err != nil {
					return err
				}
				r, err := w.loadObserved(files[i])
				if err != nil {
					return err
				}
				runs[i] = r
				if prog != nil {
					prog.Done(1, 0, 0)
				}
			}
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return runs, nil
}
