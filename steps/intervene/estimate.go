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
// hand the batches are exact, and each batch's rounds are followed through
// the request store (stored): what it holds counts as served, the rest is
// priced from the first request it lacks; from a forecast,
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

// exact prices the batches of the existing upstream files. Each batch's
// review loop is followed through the request store as a run would be
// served it (stored): what the store holds counts as served, and what is
// left is priced from where the store stops, so that a partition a run
// was interrupted in is priced for what it still has to send.
func (e *estimator) exact(p *params, t *engine.Task) error {
	j, err := plan(p, t)
	if err != nil {
		return err
	}
	rounds := int64(j.p.ReviewRounds)
	var left []*batch
	var loops []storedLoop
	tasks := 0
	for _, b := range j.batches {
		w, err := e.stored(j, b)
		if err != nil {
			return err
		}
		e.tally.Cached += w.cached
		if !w.done {
			left, loops = append(left, b), append(loops, w)
			tasks += len(b.tasks)
		}
	}
	if len(left) == 0 {
		return nil
	}
	out := e.genOutput(float64(tasks) / float64(len(left)))
	padded := []byte(llmstep.Pad(float64(out.Tokens * llmstep.BytesPerToken)))
	var gen, rev llmstep.Mean
	var genLow, genHigh, revLow, revHigh int64
	for i, b := range left {
		w := loops[i]
		// Round w.round is the first the store does not finish; each round
		// after it is one more generation and review if its review rejects.
		later := rounds - int64(w.round)
		gen.Add(e.gen.Tokens(w.gen))
		output := w.output
		if output == nil {
			genLow++
			genHigh++
			output = padded
		}
		rev.Add(e.review.Tokens(j.reviewRequest(b, output)))
		genHigh += later
		revLow++
		revHigh += later + 1
	}
	e.tally.Add(e.gen, gen.Volume(genLow, genHigh, out.Tokens), out.Basis)
	e.tally.Add(e.review, rev.Volume(revLow, revHigh, e.reviewOut.Tokens), e.reviewOut.Basis,
		fmt.Sprintf("%s: low passes every batch at its next review, high rejects it until review_rounds (%d)", e.node, rounds))
	return nil
}

// storedLoop is how far the request store holds one batch's review loop.
type storedLoop struct {
	cached int64        // the requests it answers
	done   bool         // the loop ends within them (a review passed, or the last round)
	round  int          // else the first round it does not finish
	gen    *llm.Request // that round's generation request
	output []byte       // that round's stored result, when only its review is missing
}

// stored follows batch b's rounds (process) through the request store
// without sending anything: a stored generation is reviewed by the stored
// review of its result, a rejection carries its feedback into the next
// round's request, and the walk stops at the first request the store does
// not hold.
func (e *estimator) stored(j *job, b *batch) (storedLoop, error) {
	var w storedLoop
	var last *rejection
	for round := 1; round <= j.p.ReviewRounds; round++ {
		req, err := j.genRequest(b, round, last)
		if err != nil {
			return w, err
		}
		resp, ok := e.gen.Stored(req)
		if !ok {
			w.round, w.gen = round, req
			return w, nil
		}
		w.cached++
		if _, err := ParseResult(resp, len(b.tasks)); err != nil {
			continue // a run treats it as a failed round
		}
		output, err := reindent(resp.Tool(spt.Stage3GenerationToolName).Arguments)
		if err != nil {
			continue // not reviewable: a rejected round without a review
		}
		rresp, ok := e.review.Stored(j.reviewRequest(b, output))
		if !ok {
			w.round, w.gen, w.output = round, req, output
			return w, nil
		}
		w.cached++
		rv, err := ParseReview(rresp)
		if err != nil {
			continue
		}
		if rv.verdict {
			break
		}
		if j.p.ReviewFeedback && spt.Strip(rv.evaluation) != "" {
			last = &rejection{output: output, evaluation: rv.evaluation}
		}
	}
	w.done = true
	return w, nil
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
