package infer

import (
	"context"
	"fmt"
	"slices"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/llm"
	"github.com/sptflow/sptflow/steps/generate/llmstep"
)

// Estimate implements engine.KindEstimator. With the stage-1 output at hand it
// counts the exact rows (item × variant × model) the request store does not
// hold; from a forecast of it, every item is answered under A and, when it
// has one, B: low counts A only, high both. Output tokens per answer are
// the mean of the model's stored text answers, else the published data's
// answer size (capped by max_tokens). The forecast is the input's items
// with each model's answers of that size.
func (s *Step) Estimate(ctx context.Context, params params, t *engine.Task, ups []*engine.Forecast) (engine.Estimate, error) {
	p := &params
	if s.rt == nil {
		return engine.Estimate{}, fmt.Errorf("estimate: no LLM runtime configured for kind %s", Kind)
	}
	e := estimator{p: p, node: t.Spec.Node}
	for _, spec := range p.specs {
		pr := s.rt.Pricer(spec)
		e.pricers = append(e.pricers, pr)
		e.outs = append(e.outs, pr.Output("", llmstep.PublishedAnswer/llmstep.BytesPerToken,
			fmt.Sprintf("a stage-2 answer of %d bytes, the published data's mean", llmstep.PublishedAnswer)))
	}
	if len(t.Upstream) > 0 {
		if err := e.exact(t); err != nil {
			return engine.Estimate{}, err
		}
	}
	for _, f := range ups {
		if err := e.forecast(f); err != nil {
			return engine.Estimate{}, fmt.Errorf("forecast: %w", err)
		}
	}
	e.tally.Output = e.output()
	return e.tally.Estimate, nil
}

// estimator is one partition's estimate in the making.
type estimator struct {
	p       *params
	node    string
	pricers []*llm.Pricer
	outs    []llm.Output
	tally   llmstep.Tally
	shape   *llmstep.Shape
	items   engine.Range
}

// exact prices the rows of the existing upstream files.
func (e *estimator) exact(t *engine.Task) error {
	j, err := plan(e.p, t)
	if err != nil {
		return err
	}
	means := make([]llmstep.Mean, len(e.p.specs))
	for _, r := range j.rows {
		pr := e.pricers[r.model]
		if pr.Cached(r.req) {
			e.tally.Cached++
			continue
		}
		means[r.model].Add(pr.Tokens(r.req))
	}
	for i := range means {
		e.tally.Add(e.pricers[i], means[i].Volume(means[i].N, means[i].N, e.outs[i].Tokens), e.outs[i].Basis)
	}
	sh, n := llmstep.MeasureShape(j.files)
	e.addShape(sh, e.limit(engine.Exactly(n)))
	return nil
}

// forecast prices the rows of an upstream that does not exist yet.
func (e *estimator) forecast(f *engine.Forecast) error {
	sh, err := llmstep.ShapeOf(f)
	if err != nil {
		return err
	}
	items := e.limit(f.Items)
	sys := (sh.A + sh.BShare*sh.B) / (1 + sh.BShare)
	req := &llm.Request{System: llmstep.Pad(sys), Messages: []llm.Message{{Role: llm.RoleUser, Content: llmstep.Pad(sh.T)}}}
	for i, pr := range e.pricers {
		in, prefix := pr.Tokens(req)
		v := llm.Volume{Low: items.Low, High: 2 * items.High, Input: in, Prefix: prefix, Output: e.outs[i].Tokens}
		e.tally.Add(pr, v, e.outs[i].Basis,
			fmt.Sprintf("%s: an item is answered under A and, if it has one, B: low counts A only, high A and B", e.node))
	}
	e.addShape(sh, items)
	return nil
}

// limit applies --limit to an item count.
func (e *estimator) limit(r engine.Range) engine.Range {
	if e.p.Limit > 0 {
		r.Low, r.High = min(r.Low, int64(e.p.Limit)), min(r.High, int64(e.p.Limit))
	}
	return r
}

func (e *estimator) addShape(sh *llmstep.Shape, items engine.Range) {
	if e.shape == nil {
		c := *sh
		e.shape = &c
	}
	e.items = e.items.Add(items)
}

// output is the forecast of the answered files: the input's items with
// every model's answers.
func (e *estimator) output() *engine.Forecast {
	if e.shape == nil {
		return nil
	}
	sh := *e.shape
	sh.Models = append([]string(nil), sh.Models...)
	var answer float64
	for i, spec := range e.p.specs {
		if !slices.Contains(sh.Models, spec.Model) {
			sh.Models = append(sh.Models, spec.Model)
		}
		answer += float64(e.outs[i].Tokens * llmstep.BytesPerToken)
	}
	if len(e.p.specs) > 0 {
		sh.Answer = answer / float64(len(e.p.specs))
	}
	return &engine.Forecast{Items: e.items, Shape: &sh}
}
