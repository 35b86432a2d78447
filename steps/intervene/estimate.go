package intervene

import (
	"context"
	"fmt"
	"math"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/llm"
	"github.com/sptflow/sptflow/steps/generate/llmstep"
	"github.com/sptflow/sptflow/steps/spt"
)

// Assumed sizes, in tokens, of what the stage-3 models write when no
// stored response says better.
const (
	recordTokens   = llmstep.PublishedRecord / llmstep.BytesPerToken   // one sample's record
	thinkingTokens = llmstep.PublishedThinking / llmstep.BytesPerToken // a batch's batch_thinking
	reviewTokens   = 400                                               // a review: thought, evaluation, verdict
	// labelBytes are the labels of one sample in the generation request.
	labelBytes = 250
)

// types lists every (intervention type, version) pair the partition
// writes, in the order plan visits them: each is one set of batches.
func (j *job) types() []typeVersion {
	return typeVersions(j.prompts, j.p.Topic, j.p.Interventions, j.p.Versions)
}

// Estimate implements engine.KindEstimator. A batch is one generation request
// and its review when the first review passes it (low), and review_rounds
// of both when every review rejects it (high). With the stage-2 output at
// hand the batches are exact and those whose first generation the request
// store holds count as served by it (their reviews too); from a forecast,
// each file's items make ceil(items/batch_size) batches per intervention
// type, stage-2 model and version. Output tokens are the mean of the
// models' stored generation and review responses, else the published
// data's record size per sample and an assumed review size.
func (s *Step) Estimate(ctx context.Context, p params, t *engine.Task, ups []*engine.Forecast) (engine.Estimate, error) {
	if s.rt == nil {
		return engine.Estimate{}, fmt.Errorf("estimate: no LLM runtime configured for kind %s", Kind)
	}
	j, err := setup(&p)
	if err != nil {
		return engine.Estimate{}, err
	}
	e := &estimator{j: j, ivs: j.types(), node: t.Spec.Node, gen: s.rt.Pricer(j.p.gen), review: s.rt.Pricer(j.p.review)}
	e.reviewOut = e.review.Output(spt.Stage3ReviewToolName, reviewTokens, "a review's thought, evaluation and verdict")
	if len(t.Upstream) > 0 {
		if err := e.exact(&p, t); err != nil {
			return engine.Estimate{}, err
		}
	}
	for _, f := range ups {
		if err := e.forecast(f); err != nil {
			return engine.Estimate{}, fmt.Errorf("forecast: %w", err)
		}
	}
	return e.tally.Estimate, nil
}

// estimator is one partition's estimate in the making.
type estimator struct {
	j           *job
	ivs         []typeVersion // every (intervention type, version) the partition writes
	node        string
	gen, review *llm.Pricer
	reviewOut   llm.Output
	tally       llmstep.Tally
}

// genOutput is the output estimate of a generation of samples samples.
func (e *estimator) genOutput(samples float64) llm.Output {
	return e.gen.Output(spt.Stage3GenerationToolName, int(samples*recordTokens)+thinkingTokens,
		fmt.Sprintf("%.1f samples × %d tokens, the published data's record size, + %d of batch thinking", samples, recordTokens, thinkingTokens))
}

// exact prices the batches of the existing upstream files.
func (e *estimator) exact(p *params, t *engine.Task) error {
	j, err := plan(p, t)
	if err != nil {
		return err
	}
	var pending []*batch
	tasks := 0
	for _, b := range j.batches {
		req, err := j.genRequest(b, 1, nil)
		if err != nil {
			return err
		}
		if e.gen.Cached(req) {
			e.tally.Cached += 2
			continue
		}
		pending = append(pending, b)
		tasks += len(b.tasks)
	}
	if len(pending) == 0 {
		return nil
	}
	out := e.genOutput(float64(tasks) / float64(len(pending)))
	var gen, rev llmstep.Mean
	for _, b := range pending {
		req, _ := j.genRequest(b, 1, nil)
		gen.Add(e.gen.Tokens(req))
		rev.Add(e.review.Tokens(j.reviewRequest(b, []byte(llmstep.Pad(float64(out.Tokens*llmstep.BytesPerToken))))))
	}
	e.add(gen, rev, out)
	return nil
}

// add prices n batches: low one round each, high review_rounds.
func (e *estimator) add(gen, rev llmstep.Mean, out llm.Output) {
	n, rounds := gen.N, int64(e.j.p.ReviewRounds)
	e.tally.Add(e.gen, gen.Volume(n, n*rounds, out.Tokens), out.Basis)
	e.tally.Add(e.review, rev.Volume(n, n*rounds, e.reviewOut.Tokens), e.reviewOut.Basis,
		fmt.Sprintf("%s: low passes every batch at its first review, high rejects it %d times (review_rounds)", e.node, rounds))
}

// forecast prices the batches of a stage-2 output that does not exist yet.
func (e *estimator) forecast(f *engine.Forecast) error {
	sh, err := llmstep.ShapeOf(f)
	if err != nil {
		return err
	}
	models := int64(len(sh.Models))
	if e.j.p.Stage2Model != "" {
		models = min(models, 1)
	}
	if models == 0 {
		return fmt.Errorf("upstream %s forecasts no stage-2 answers", f.ID)
	}
	p := e.j.p
	per := models * int64(len(e.ivs))
	low, high := batches(f.Items.Low, sh.Files, p.BatchSize)*per, batches(f.Items.High, sh.Files, p.BatchSize)*per
	if high == 0 {
		return nil
	}
	samples := float64(p.BatchSize) * (1 + sh.BShare)
	if sh.Files > 0 {
		samples = min(samples, float64(f.Items.High)/float64(sh.Files)*(1+sh.BShare))
	}
	out := e.genOutput(samples)
	bShare := sh.BShare / (1 + sh.BShare) // of the samples
	sample := labelBytes + sh.A + sh.T + sh.Answer + 2*sh.Meta + sh.Other + bShare*sh.B
	view := sh.A + sh.T + sh.Meta + sh.Other + bShare*sh.B + sh.Answer + 100
	b := &batch{intervention: e.ivs[0].iv, version: e.ivs[0].version, tasks: make([]task, int(math.Round(samples))),
		samples: llmstep.Pad(samples * sample), views: []byte(llmstep.Pad(samples * view))}
	var gen, rev llmstep.Mean
	for _, tv := range e.ivs {
		b.intervention, b.version = tv.iv, tv.version
		req, err := e.j.genRequest(b, 1, nil)
		if err != nil {
			return err
		}
		gen.Add(e.gen.Tokens(req))
	}
	rev.Add(e.review.Tokens(e.j.reviewRequest(b, []byte(llmstep.Pad(float64(out.Tokens*llmstep.BytesPerToken))))))
	v := gen.Volume(low, high*int64(p.ReviewRounds), out.Tokens)
	e.tally.Add(e.gen, v, out.Basis)
	v = rev.Volume(low, high*int64(p.ReviewRounds), e.reviewOut.Tokens)
	e.tally.Add(e.review, v, e.reviewOut.Basis,
		fmt.Sprintf("%s: low passes every batch at its first review, high rejects it %d times (review_rounds)", e.node, p.ReviewRounds),
		fmt.Sprintf("%s: %d (intervention type, version) pairs × %d stage-2 models, ceil(items per file / %d) batches each", e.node, len(e.ivs), models, p.BatchSize))
	return nil
}

// batches is how many batches items spread over files make at size per
// batch: ceil(items per file / size) per file.
func batches(items, files int64, size int) int64 {
	if items <= 0 {
		return 0
	}
	files = max(files, 1)
	perFile := (items + files - 1) / files
	return files * ((perFile + int64(size) - 1) / int64(size))
}
