// Package intervene implements the `intervene` node kind: stage 3 of the
// SPT pipeline (spec §7). For every (item, stage-2 model, variant) of the
// topic and every intervention type (discovered from the topic's stage-3
// prompt files, or `with: interventions`), a model writes an intervention
// I, a review R and a verdict P through the forced tool stage_3_generation;
// a review model checks each generated batch with the stage_3_review tool
// (up to review_rounds generate-and-review rounds); the records are stored
// under ...[A|B].interventions["<type>__<version>"] with the original's
// keys and order (spec §7.11), ready for `tag`.
//
// Versions. One node can write several intervention versions side by side
// in the same records (`versions: [version_3, version_4]`), as the
// original's files hold them: per variant, the keys of the first version
// (types sorted), then those of the next. A version's requests depend only
// on that version (its prompts, the samples, the round), never on which
// other versions the node has, so adding a version sends only its own
// requests. A version takes its stage-3 prompt from
// stage_3/<topic>__<type>__<version>.md when that file exists, else from
// the shared stage_3/<topic>__<type>.md; two versions of a node that would
// send identical requests are refused (see versions.go).
//
// Batching. A batch holds batch_size item groups of ONE stage-2 model and
// one file: an item group is that model's A and B answers of one item,
// adjacent, A first (the original also put every stage-2 model of an item
// into the same call). Batching per model keeps every request independent
// of the other models, so adding a stage-2 model sends only that model's
// batches and every batch already done is served by the request store.
// Items are taken in the hash-stable order of --limit, so a trial run's
// batches are the full run's first batches (its last batch per file may be
// shorter).
//
// Differences from the original on purpose: the review request shows only
// the samples under review, without the items' other models and earlier
// intervention records (§16.19); a review call that fails counts as a
// rejected round instead of failing the file (§16.16); the count and order
// check is part of validating each generation, so an invalid result is
// regenerated (§16.17, §16.18); context-length and generation-failure
// records are written in the original shape but count as failed rows, so
// the partition is not sealed and the next run asks for them again
// (§16.13). Every generation round is its own request replica, so a
// rejected batch is really regenerated rather than served from the store.
package intervene

import (
	"path"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/engine/with"
	"github.com/sptflow/sptflow/llm"
	"github.com/sptflow/sptflow/steps/generate/llmstep"
	"github.com/sptflow/sptflow/steps/spt"
)

// Kind is the node kind implemented by Step.
const Kind = "intervene"

// Version is folded into node keys.
const Version = "3"

// Defaults of the `with:` parameters.
const (
	DefaultVersion      = "baseline"
	DefaultBatchSize    = 2
	DefaultReviewRounds = 3
	DefaultAttempts     = 3
)

// Step is the `intervene` node kind. Parameters (`with:`): model
// (required), review_model (default: model), interventions (default: every
// type with a stage-3 prompt file for the topic), versions (the key
// suffixes, written side by side; `version: X` is short for `versions: [X]`,
// default "baseline" as in the original), batch_size (item groups per
// call), review_rounds, review_feedback (regenerate a rejected batch with
// the rejected result and the reviewer's written evaluation in the request;
// default false), attempts (per generation request), stage2_model (only
// that inferences key), execution (the rounds through the provider's batch
// API, as waves: batchapi.go). It needs a `topic` foreach key.
type Step struct {
	rt *llm.Runtime
	// Workers bounds the batches in flight per partition (16 when 0).
	Workers int
}

var (
	_ engine.Kind[params]          = (*Step)(nil)
	_ engine.KindEstimator[params] = (*Step)(nil)
)

// New returns the intervene step calling models through rt.
func New(rt *llm.Runtime) engine.Step { return engine.Adapt[params](&Step{rt: rt}) }

// Params are intervene's `with:` parameters.
var Params = []engine.Param{
	{Name: "model", Type: engine.TypeModel, Required: true, Doc: "the model that writes interventions, reviews and verdicts"},
	{Name: "review_model", Type: engine.TypeModel, DefaultDoc: "model", Doc: "the model that reviews each generated batch; by default with.model"},
	{Name: "interventions", Type: engine.TypeStrings, DefaultDoc: "all with a prompt", Min: 1,
		Doc: "the intervention types (split_personality, honesty_scare, ...); by default every type with a stage-3 prompt file for the topic"},
	{Name: "versions", Type: engine.TypeStrings, Default: []string{DefaultVersion}, Min: 1,
		Doc: "the intervention versions written side by side (keys <type>__<version>); a version's prompt is stage_3/<topic>__<type>__<version>.md when it exists"},
	{Name: "version", Type: engine.TypeString, Default: DefaultVersion, Doc: "short for versions: [VERSION]"},
	{Name: "batch_size", Type: engine.TypeInt, Default: DefaultBatchSize, Min: 1, Doc: "item groups (one stage-2 model's A and B answers of an item) per request"},
	{Name: "review_rounds", Type: engine.TypeInt, Default: DefaultReviewRounds, Min: 1, Doc: "generate-and-review rounds per batch"},
	{Name: "review_feedback", Type: engine.TypeBool, Default: false,
		Doc: "regenerate a rejected batch with the rejected result and the reviewer's written evaluation in the request"},
	{Name: "attempts", Type: engine.TypeInt, Default: DefaultAttempts, Min: 1, Doc: "attempts per generation request"},
	{Name: "stage2_model", Type: engine.TypeString, DefaultDoc: "all", Doc: "only this inferences key (a stage-2 model id); by default every stage-2 model"},
	llmstep.ExecutionParam,
	with.Replica,
	llmstep.MaxFailedRows("batches", "a failed batch's answers hold the original's error records (generation_failed, context_too_large), which tag, analyze and export accept"),
}

// Info implements engine.Kind.
func (*Step) Info() engine.KindInfo {
	return engine.KindInfo{Name: Kind, Version: Version, Foreach: "topic", Params: Params, Samples: true,
		Summary: "stage 3: a model writes intervention I, review R and verdict P (PASS/FAIL/AMBIGUOUS) for every answer, checked by a quality-review loop",
		Outputs: "stage_3/<topic>/<file>, feedback/stage_3/cumulative_<topic>.jsonl, stage_3_reviews/<topic>_reviews.jsonl and _summary.json",
		Reads:   "the stage-2 answers it reviews (an infer node)"}
}

type params struct {
	Topic         string         `json:"topic"`
	Model         map[string]any `json:"model"`
	ReviewModel   map[string]any `json:"review_model"`
	Interventions []string       `json:"interventions,omitempty"`
	Versions      []string       `json:"versions"`
	BatchSize     int            `json:"batch_size"`
	ReviewRounds  int            `json:"review_rounds"`
	// ReviewFeedback is omitted when false, so the parameters (and node
	// keys) of nodes that do not set it read as before it existed.
	ReviewFeedback bool   `json:"review_feedback,omitempty"`
	Attempts       int    `json:"attempts"`
	Stage2Model    string `json:"stage2_model,omitempty"`
	Limit          int    `json:"limit,omitempty"`
	Replica        int    `json:"replica,omitempty"`
	Output         string `json:"output"`
	Feedback       string `json:"feedback"`
	Reviews        string `json:"reviews"`
	Summary        string `json:"review_summary"`
	gen, review    *llm.ModelSpec
	budget         llmstep.Budget // not in the key (see llmstep.MaxFailedRows)
	prompts        string
	execution      string // with.execution; not in the node key
}

// Resolve implements engine.Kind.
func (*Step) Resolve(spec *engine.PartitionSpec) (params, *engine.Plan, error) {
	w := llmstep.NewWith(spec, Params)
	p := params{Topic: spec.Value("topic"), prompts: spec.PromptsDir}
	p.gen = w.ToolModel("model")
	p.review = p.gen
	if w.Has("review_model") {
		p.review = w.ToolModel("review_model")
	}
	p.Interventions = w.Strings("interventions")
	p.Versions = readVersions(w, spec)
	p.BatchSize = w.Int("batch_size")
	p.ReviewRounds = w.Int("review_rounds")
	p.ReviewFeedback = w.Bool("review_feedback")
	p.Attempts = w.Int("attempts")
	p.Stage2Model = w.Str("stage2_model")
	p.Replica = w.Replica()
	p.budget = w.Budget()
	p.execution = w.Execution(p.gen)
	if p.review != p.gen && (p.execution == llm.ExecBatch || p.execution == llm.ExecAuto) {
		w.Execution(p.review)
	}
	if p.Topic == "" {
		w.NodeErrorf("intervene needs a foreach key \"topic\"")
	}
	if err := w.Err(); err != nil {
		return params{}, nil, err
	}
	var prompts *spt.Prompts
	err := llmstep.CheckPrompts(spec, func(pr *spt.Prompts) error {
		prompts = pr
		return pr.ValidateStage3Versions([]string{p.Topic}, p.Interventions, p.Versions)
	})
	if err != nil {
		return params{}, nil, err
	}
	if err := checkDistinctVersions(spec, prompts, p.Topic, p.Interventions, p.Versions); err != nil {
		return params{}, nil, err
	}
	p.Model, p.ReviewModel = p.gen.Canonical(), p.review.Canonical()
	p.Limit = spec.Options.Limit
	p.Output = spec.Output
	if p.Output == "" {
		p.Output = path.Join("stage_3", p.Topic)
	}
	p.Feedback = path.Join("feedback", "stage_3", "cumulative_"+p.Topic+".jsonl")
	p.Reviews = path.Join("stage_3_reviews", p.Topic+"_reviews.jsonl")
	p.Summary = path.Join("stage_3_reviews", p.Topic+SummarySuffix)
	if spec.Output != "" { // side files of a node with its own output go below its name
		p.Feedback = path.Join("feedback", "stage_3", spec.Node, "cumulative_"+p.Topic+".jsonl")
		p.Reviews = path.Join("stage_3_reviews", spec.Node, p.Topic+"_reviews.jsonl")
		p.Summary = path.Join("stage_3_reviews", spec.Node, p.Topic+SummarySuffix)
	}
	return p, &engine.Plan{
		Inputs:    promptInputs(spec.PromptsDir, prompts, p.Topic, p.Interventions, p.Versions),
		OutputDir: p.Output,
		Outputs:   []string{p.Output, p.Feedback, p.Reviews, p.Summary},
		Providers: llmstep.Providers(p.gen, p.review),
		Env:       llmstep.Env(p.gen, p.review),
	}, nil
}
