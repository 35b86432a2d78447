// Package generate implements the `generate` node kind: stage 1 of the SPT
// pipeline (spec §5). One partition per topic asks a model, through the
// forced tool stage_1_generation, for `batches` batches of
// `items_per_batch` samples (system prompts A and usually B, task T,
// metadata), validates them, and writes each batch as
// stage_1/<topic>/batch_<batch id>.json in the original shape, plus the
// cumulative feedback log feedback/cumulative_<topic>.jsonl.
//
// Batch i is request replica i, so raising `batches` sends only the new
// batches and every earlier one is served by the request store. A batch that
// fails validation is asked again with its problems stated (a follow-up
// message, up to max_attempts asks); if it still fails, it is logged,
// counted and left out, the other batches finish, and the partition reports
// llmstep.ErrRowsFailed so that the next run asks for it again; within
// max_failed_rows it seals without the batch instead (the engine executes it
// again on the next run).
package generate

import (
	"path"
	"path/filepath"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/engine/with"
	"github.com/sptflow/sptflow/llm"
	"github.com/sptflow/sptflow/steps/generate/llmstep"
	"github.com/sptflow/sptflow/steps/spt"
)

// Kind is the node kind implemented by Step.
const Kind = "generate"

// Version is folded into node keys.
const Version = "2"

// Defaults of the `with:` parameters.
const (
	DefaultBatches       = 1
	DefaultItemsPerBatch = 30
	DefaultMaxAttempts   = 3
)

// Step is the `generate` node kind (an engine.Kind). It needs a `topic`
// foreach key.
type Step struct {
	rt *llm.Runtime
}

var (
	_ engine.Kind[params]          = (*Step)(nil)
	_ engine.KindEstimator[params] = (*Step)(nil)
)

// New returns the generate step calling models through rt.
func New(rt *llm.Runtime) engine.Step { return engine.Adapt[params](&Step{rt: rt}) }

// Params are generate's `with:` parameters.
var Params = []engine.Param{
	{Name: "model", Type: engine.TypeModel, Required: true, Doc: "the model that writes the tasks"},
	{Name: "batches", Type: engine.TypeInt, Default: DefaultBatches, Min: 1,
		Doc: "batches per topic; batch i is request replica i, so raising it sends only the new batches"},
	{Name: "items_per_batch", Type: engine.TypeInt, Default: DefaultItemsPerBatch, Min: 1, Doc: "samples asked for per batch"},
	{Name: "max_attempts", Type: engine.TypeInt, Default: DefaultMaxAttempts, Min: 1,
		Doc: "asks per batch, including follow-ups stating why a batch failed validation"},
	{Name: "trim_excess", Type: engine.TypeBool, Default: false,
		Doc: "keep the first items_per_batch samples of a longer batch instead of asking again"},
	llmstep.ExecutionParam,
	with.Replica,
	llmstep.MaxFailedRows("batches", "a failed batch writes no file (the original writes no record for it)"),
}

// Info implements engine.Kind.
func (*Step) Info() engine.KindInfo {
	return engine.KindInfo{Name: Kind, Version: Version, Foreach: "topic", Params: Params, Samples: true,
		Summary: "stage 1: a model writes tasks (unbiased system prompt A, biased system prompt B, user task T, metadata) through the forced tool stage_1_generation",
		Outputs: "stage_1/<topic>/batch_<id>.json, feedback/cumulative_<topic>.jsonl"}
}

// params is the canonical parameter set hashed into the node key.
type params struct {
	Topic         string         `json:"topic"`
	ModelName     string         `json:"model_name"`
	Model         map[string]any `json:"model"`
	Batches       int            `json:"batches"`
	ItemsPerBatch int            `json:"items_per_batch"`
	MaxAttempts   int            `json:"max_attempts"`
	TrimExcess    bool           `json:"trim_excess"`
	Limit         int            `json:"limit,omitempty"`
	Replica       int            `json:"replica,omitempty"`
	Output        string         `json:"output"`
	Feedback      string         `json:"feedback"`

	spec      *llm.ModelSpec
	prompts   string
	budget    llmstep.Budget // not in the key (see llmstep.MaxFailedRows)
	execution string         // with.execution; not in the node key
}

// Resolve implements engine.Kind.
func (*Step) Resolve(spec *engine.PartitionSpec) (params, *engine.Plan, error) {
	w := llmstep.NewWith(spec, Params)
	p := params{Topic: spec.Value("topic"), prompts: spec.PromptsDir}
	p.spec = w.ToolModel("model")
	p.Batches = w.Int("batches")
	p.ItemsPerBatch = w.Int("items_per_batch")
	p.MaxAttempts = w.Int("max_attempts")
	p.TrimExcess = w.Bool("trim_excess")
	p.Replica = w.Replica()
	p.budget = w.Budget()
	p.execution = w.Execution(p.spec)
	if p.Topic == "" {
		w.NodeErrorf("generate needs a foreach key \"topic\"")
	}
	if err := w.Err(); err != nil {
		return params{}, nil, err
	}
	err := llmstep.CheckPrompts(spec, func(pr *spt.Prompts) error { return pr.ValidateStage1([]string{p.Topic}) })
	if err != nil {
		return params{}, nil, err
	}
	p.ModelName, p.Model = p.spec.Name, p.spec.Canonical()
	p.Limit = spec.Options.Limit
	p.Output = spec.Output
	if p.Output == "" {
		p.Output = path.Join("stage_1", p.Topic)
	}
	p.Feedback = path.Join("feedback", "cumulative_"+p.Topic+".jsonl")
	if spec.Output != "" { // the feedback of a node with its own output goes below its name
		p.Feedback = path.Join("feedback", spec.Node, "cumulative_"+p.Topic+".jsonl")
	}
	return p, &engine.Plan{
		Inputs: []engine.InputSpec{
			{Path: filepath.Join(spec.PromptsDir, spt.BaseFile)},
			{Path: filepath.Join(spec.PromptsDir, filepath.FromSlash(spt.Stage1File(p.Topic)))},
		},
		OutputDir: p.Output,
		Outputs:   []string{p.Output, p.Feedback},
		Providers: llmstep.Providers(p.spec),
		Env:       llmstep.Env(p.spec),
	}, nil
}

// batchCount is the number of batches a run sends: all of them, or under
// --limit N just enough for N items (a prefix of the full run's batches).
func (p *params) batchCount() int {
	if p.Limit <= 0 {
		return p.Batches
	}
	return min(p.Batches, (p.Limit+p.ItemsPerBatch-1)/p.ItemsPerBatch)
}
