package llmstep

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/llm"
	"github.com/sptflow/sptflow/pyjson"
)

// Sizes measured on the published stage-3 data (1,080 items in 36 files,
// 8,845 stage-2 answers, 29,930 stage-3 records): the means, in bytes,
// that forecasts assume for outputs that do not exist yet and no stored
// response says better.
const (
	PublishedA        = 99   // system prompt A
	PublishedB        = 206  // system prompt B, where present
	PublishedT        = 168  // user task T
	PublishedMeta     = 205  // metadata as JSON
	PublishedThought  = 180  // thought_process
	PublishedItem     = 800  // a stage-1 item as JSON (A, B, T, thought_process, metadata)
	PublishedBShare   = 0.46 // share of items with a B prompt
	PublishedAnswer   = 2890 // a stage-2 answer S
	PublishedRecord   = 1600 // a stage-3 record's generated fields (I, R, P, thought_process, ...)
	PublishedThinking = 1000 // a stage-3 batch's batch_thinking
)

// BytesPerToken converts expected sizes to tokens, as llm.EstimateInputTokens does.
const BytesPerToken = 4

// Shape is the forecast of a stage-1 or stage-2 output (batch files of
// items) that a downstream estimate reads when the output does not exist
// yet: how many files, and the mean sizes of an item's fields.
type Shape struct {
	Files  int64
	A, B   float64 // mean bytes of the system prompts (B where present)
	T      float64
	Meta   float64
	Other  float64 // thought_process and other item fields
	BShare float64 // share of items with a B prompt
	// Models are the stage-2 model ids (inferences keys) answered, and
	// Answer the mean bytes of an answer S; empty for a stage-1 output.
	Models []string
	Answer float64
}

// PublishedShape is the shape of files stage-1 items in a batch file each, with
// the published data's sizes scaled by scale (1 for the published sizes).
func PublishedShape(files int64, scale float64) *Shape {
	return &Shape{Files: files, A: PublishedA * scale, B: PublishedB * scale, T: PublishedT * scale,
		Meta: PublishedMeta * scale, Other: PublishedThought * scale, BShare: PublishedBShare}
}

// MeasureShape measures the shape of existing batch files: their items'
// mean field sizes, the share with a B prompt, and the stage-2 models that
// answered them with the mean size of their answers; and the number of items.
func MeasureShape(files []File) (*Shape, int64) {
	sh := &Shape{Files: int64(len(files))}
	var n, nB, nS float64
	for _, f := range files {
		items, _ := f.Doc.Get("data")
		list, _ := items.([]any)
		for _, v := range list {
			it, ok := v.(*pyjson.Object)
			if !ok {
				continue
			}
			n++
			a, _ := it.Str("A")
			t, _ := it.Str("T")
			sh.A, sh.T = sh.A+float64(len(a)), sh.T+float64(len(t))
			if b, ok := it.Str("B"); ok && b != "" {
				nB++
				sh.B += float64(len(b))
			}
			if m, ok := it.Get("metadata"); ok {
				js, _ := pyjson.Marshal(m, pyjson.Line)
				sh.Meta += float64(len(js))
			}
			if tp, ok := it.Str("thought_process"); ok {
				sh.Other += float64(len(tp))
			}
			nS += sh.measureAnswers(it)
		}
	}
	if n > 0 {
		sh.A, sh.T, sh.Meta, sh.Other, sh.BShare = sh.A/n, sh.T/n, sh.Meta/n, sh.Other/n, nB/n
	}
	if nB > 0 {
		sh.B /= nB
	}
	if nS > 0 {
		sh.Answer /= nS
	}
	return sh, int64(n)
}

// measureAnswers adds an item's answers to sh and returns how many.
func (sh *Shape) measureAnswers(it *pyjson.Object) float64 {
	inf := it.Obj("inferences")
	if inf == nil {
		return 0
	}
	n := 0.0
	for _, model := range inf.Keys() {
		if !slices.Contains(sh.Models, model) {
			sh.Models = append(sh.Models, model)
		}
		m := inf.Obj(model)
		for _, v := range []string{"A", "B"} {
			if r := m.Obj(v); r != nil {
				s, _ := r.Str("S")
				sh.Answer += float64(len(s))
				n++
			}
		}
	}
	return n
}

// ShapeOf returns the Shape of a forecast, or an error naming it.
func ShapeOf(f *engine.Forecast) (*Shape, error) {
	sh, ok := f.Shape.(*Shape)
	if !ok || sh == nil {
		return nil, fmt.Errorf("upstream %s (%s) forecasts no batch files", f.ID, f.Kind)
	}
	return sh, nil
}

// Pad returns n bytes of filler: the stand-in for content of an expected
// size in a request that is only priced, never sent.
func Pad(n float64) string {
	if n < 1 {
		return ""
	}
	return strings.Repeat("x", int(n))
}

// Tally accumulates an engine.Estimate from groups of like requests.
type Tally struct {
	engine.Estimate
}

// Add prices v with p and adds it; basis lines say where its figures come
// from.
func (t *Tally) Add(p *llm.Pricer, v llm.Volume, basis ...string) {
	if v.High <= 0 {
		return
	}
	pr := p.Price(v)
	t.Estimate.Add(engine.Estimate{
		Requests:     engine.Range{Low: v.Low, High: v.High},
		InputTokens:  engine.Range{Low: pr.InputLow, High: pr.InputHigh},
		CacheRead:    engine.Range{Low: pr.CacheReadLow, High: pr.CacheReadHigh},
		OutputTokens: engine.Range{Low: pr.OutputLow, High: pr.OutputHigh},
		CostUSD:      engine.Dollars{Low: pr.CostLow, High: pr.CostHigh},
	})
	if n := p.PriceNote(); n != "" {
		t.Note(n)
	}
	for _, b := range basis {
		if b != "" {
			t.Note(b)
		}
	}
}

// Mean accumulates like requests of one model whose input sizes differ:
// Volume prices them at their mean input.
type Mean struct {
	N, in, prefix int64
}

// Add counts one request of in input tokens (prefix of them cached).
func (m *Mean) Add(in, prefix int) {
	m.N++
	m.in += int64(in)
	m.prefix = max(m.prefix, int64(prefix))
}

// Volume returns the requests as a Volume of n..high requests of output
// tokens each.
func (m *Mean) Volume(low, high int64, output int) llm.Volume {
	if m.N == 0 {
		return llm.Volume{}
	}
	return llm.Volume{Low: low, High: high, Input: int(m.in / m.N), Prefix: int(m.prefix), Output: output}
}
