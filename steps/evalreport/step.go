package evalreport

import (
	"context"
	"fmt"
	"path"
	"runtime"
	"sort"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/sptflow/sptflow/engine"
)

// Kind is the node kind this package implements.
const Kind = "analyze_eval"

// version is bumped whenever the same inputs would give different outputs.
const version = "1"

// DefaultOutputDir is where outputs go when the node sets no `output:`.
const DefaultOutputDir = "evaluation_analysis"

// resultsPattern selects the quantitative result files below `dir`.
const resultsPattern = "quantitative/results_*.json"

// Step is the analyze_eval node kind.
type Step struct{}

var _ engine.Step = (*Step)(nil)

// New returns the analyze_eval step.
func New() *Step { return &Step{} }

// Kind implements engine.Step.
func (*Step) Kind() string { return Kind }

// Version implements engine.Step.
func (*Step) Version() string { return version }

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

// Resolve implements engine.Step.
func (*Step) Resolve(spec *engine.PartitionSpec) (*engine.Plan, error) {
	p := &Params{}
	var errs []string
	for k, v := range spec.With {
		if err := p.set(k, v); err != nil {
			errs = append(errs, spec.WithErrorf(k, "%v", err).Error())
		}
	}
	if p.Dir == "" {
		errs = append(errs, fmt.Sprintf("%s: node %q: with.dir is required (the evaluation_results directory)", spec.NodePos, spec.Node))
	}
	if len(errs) > 0 {
		sort.Strings(errs)
		return nil, fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	out := spec.Output
	if out == "" {
		out = DefaultOutputDir
	}
	return &engine.Plan{Params: p, OutputDir: out,
		Inputs: []engine.InputSpec{{Path: p.Dir, Pattern: resultsPattern}}}, nil
}

func (p *Params) set(key string, v any) error {
	if key == "dir" {
		s, ok := v.(string)
		if !ok || s == "" {
			return fmt.Errorf("want a non-empty path, got %v", v)
		}
		p.Dir = s
		return nil
	}
	flags := map[string]*bool{"include_baselines": &p.IncludeBaselines, "on_policy_only": &p.OnPolicyOnly,
		"off_policy_only": &p.OffPolicyOnly, "baselines_only": &p.BaselinesOnly, "count_duplicates": &p.CountDuplicates}
	dst, ok := flags[key]
	if !ok {
		return fmt.Errorf("unknown key (want dir, include_baselines, on_policy_only, off_policy_only, baselines_only, count_duplicates)")
	}
	b, ok := v.(bool)
	if !ok {
		return fmt.Errorf("want true or false, got %v", v)
	}
	*dst = b
	return nil
}

// Run implements engine.Step.
func (s *Step) Run(ctx context.Context, t *engine.Task) error {
	p, ok := t.Params.(*Params)
	if !ok {
		return fmt.Errorf("analyze_eval %s: unexpected params %T", t.ID(), t.Params)
	}
	runs, err := LoadRuns(ctx, t.Inputs, t.Progress)
	if err != nil {
		return fmt.Errorf("analyze_eval %s: %w", t.ID(), err)
	}
	a := Analyze(runs, p.options())
	t.Log.Info().Int("files", a.Header.Files).Int("working", a.Header.Working).
		Int("skipped", len(a.Header.Skipped)).Int("duplicates", len(a.Header.Duplicates)).Msg("evaluation analysed")
	if err := writeOutputs(t.Out, t.Plan.OutputDir, a); err != nil {
		return fmt.Errorf("analyze_eval %s: %w", t.ID(), err)
	}
	return nil
}

// LoadRuns parses the result files in parallel (one per CPU), returning
// them in the order given. Each file is read whole and scanned; only the
// counts are kept, so memory stays near one file per worker.
func LoadRuns(ctx context.Context, files []engine.InputFile, prog engine.Progress) ([]*Run, error) {
	runs := make([]*Run, len(files))
	if prog != nil {
		prog.SetTotal(len(files))
	}
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, f := range files {
		g.Go(func() error {
			if err := ctx.Err(); err != nil {
				return err
			}
			data, err := engine.ReadInput(f)
			if err != nil {
				return fmt.Errorf("result file: %w", err)
			}
			r, err := ParseRun(path.Base(f.Rel), data)
			if err != nil {
				return fmt.Errorf("%s: %w", f.Abs, err)
			}
			runs[i] = r
			if prog != nil {
				prog.Done(1, 0, 0)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return runs, nil
}
