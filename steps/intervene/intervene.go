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
	"context"
	"fmt"
	"path"
	"path/filepath"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/llm"
	"github.com/sptflow/sptflow/steps/generate/llmstep"
	"github.com/sptflow/sptflow/steps/spt"
)

// Kind is the node kind implemented by Step.
const Kind = "intervene"

// Version is folded into node keys.
const Version = "2"

// Defaults of the `with:` parameters.
const (
	DefaultVersion      = "baseline"
	DefaultBatchSize    = 2
	DefaultReviewRounds = 3
	DefaultAttempts     = 3
)

// Step is the `intervene` node kind. Parameters (`with:`): model
// (required), review_model (default: model), interventions (default: every
// type with a stage-3 prompt file for the topic), version (the key suffix,
// default "baseline" as in the original), batch_size (item groups per
// call), review_rounds, attempts (per generation request), stage2_model
// (only that inferences key). It needs a `topic` foreach key.
type Step struct {
	rt *llm.Runtime
	// Workers bounds the batches in flight per partition (16 when 0).
	Workers int
}

var (
	_ engine.Step      = (*Step)(nil)
	_ engine.Estimator = (*Step)(nil)
)

// New returns the intervene step calling models through rt.
func New(rt *llm.Runtime) *Step { return &Step{rt: rt} }

// Kind implements engine.Step.
func (*Step) Kind() string { return Kind }

// Version implements engine.Step.
func (*Step) Version() string { return Version }

type params struct {
	Topic         string         `json:"topic"`
	Model         map[string]any `json:"model"`
	ReviewModel   map[string]any `json:"review_model"`
	Interventions []string       `json:"interventions,omitempty"`
	KeyVersion    string         `json:"version"`
	BatchSize     int            `json:"batch_size"`
	ReviewRounds  int            `json:"review_rounds"`
	Attempts      int            `json:"attempts"`
	Stage2Model   string         `json:"stage2_model,omitempty"`
	Limit         int            `json:"limit,omitempty"`
	Resample      int            `json:"resample,omitempty"`
	Output        string         `json:"output"`
	Feedback      string         `json:"feedback"`
	Reviews       string         `json:"reviews"`
	gen, review   *llm.ModelSpec
	prompts       string
}

// Resolve implements engine.Step.
func (*Step) Resolve(spec *engine.PartitionSpec) (*engine.Plan, error) {
	w := llmstep.NewWith(spec)
	p := params{Topic: spec.Value("topic"), prompts: spec.PromptsDir}
	p.gen = w.Model("model", "")
	p.review = p.gen
	if w.Has("review_model") {
		p.review = w.Model("review_model", "")
	}
	p.Interventions = w.Strings("interventions", nil)
	p.KeyVersion = w.Str("version", DefaultVersion)
	p.BatchSize = w.Int("batch_size", DefaultBatchSize, 1)
	p.ReviewRounds = w.Int("review_rounds", DefaultReviewRounds, 1)
	p.Attempts = w.Int("attempts", DefaultAttempts, 1)
	p.Stage2Model = w.Str("stage2_model", "")
	if p.Topic == "" {
		w.Errorf("topic", "intervene needs a foreach key \"topic\"")
	}
	if err := w.Err(); err != nil {
		return nil, err
	}
	err := llmstep.CheckPrompts(spec, func(pr *spt.Prompts) error {
		return pr.ValidateStage3([]string{p.Topic}, p.Interventions)
	})
	if err != nil {
		return nil, err
	}
	p.Model, p.ReviewModel = p.gen.Canonical(), p.review.Canonical()
	p.Limit, p.Resample = spec.Options.Limit, spec.Options.Resample
	p.Output = spec.Output
	if p.Output == "" {
		p.Output = path.Join("stage_3", p.Topic)
	}
	p.Feedback = path.Join("feedback", "stage_3", "cumulative_"+p.Topic+".jsonl")
	p.Reviews = path.Join("stage_3_reviews", p.Topic+"_reviews.jsonl")
	if spec.Output != "" { // side files of a node with its own output go below its name
		p.Feedback = path.Join("feedback", "stage_3", spec.Node, "cumulative_"+p.Topic+".jsonl")
		p.Reviews = path.Join("stage_3_reviews", spec.Node, p.Topic+"_reviews.jsonl")
	}
	return &engine.Plan{
		Params: p,
		Inputs: []engine.InputSpec{
			{Path: filepath.Join(spec.PromptsDir, spt.BaseFile)},
			{Path: filepath.Join(spec.PromptsDir, spt.Stage3Dir), Pattern: spt.Stage3Pattern(p.Topic)},
		},
		OutputDir: p.Output,
		Outputs:   []string{p.Output, p.Feedback, p.Reviews},
		Providers: llmstep.Providers(p.gen, p.review),
		Env:       llmstep.Env(p.gen, p.review),
	}, nil
}

// Estimate implements engine.Estimator: the first generation of every
// batch, and one review each (reviews of stored generations are assumed
// stored too).
func (s *Step) Estimate(ctx context.Context, t *engine.Task) (engine.Estimate, error) {
	var est engine.Estimate
	j, err := s.prepare(t)
	if err != nil {
		return est, err
	}
	for _, b := range j.batches {
		req, err := j.genRequest(b, 1)
		if err != nil {
			return est, err
		}
		if j.gen.Cached(req) {
			est.Cached += 2
			continue
		}
		est.Requests += 2
		est.CostUSD += j.gen.EstimateCost(req) + j.review.EstimateCost(req)
	}
	return est, nil
}

func paramsOf(t *engine.Task) (*params, error) {
	p, ok := t.Params.(params)
	if !ok {
		return nil, fmt.Errorf("intervene %s: unexpected params %T", t.ID(), t.Params)
	}
	return &p, nil
}
