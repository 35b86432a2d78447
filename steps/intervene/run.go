package intervene

import (
	"cmp"
	"context"
	"fmt"
	"path"

	"github.com/rs/zerolog"
	"golang.org/x/sync/errgroup"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/llm"
	"github.com/sptflow/sptflow/pyjson"
	"github.com/sptflow/sptflow/steps/generate/llmstep"
	"github.com/sptflow/sptflow/steps/spt"
	"github.com/sptflow/sptflow/steps/spt/spttool"
)

// genRequest is the generation request of round r (1-based) of b. With
// rej (review_feedback), the request goes on after the first user message
// with the rejected result as the model's turn and the reviewer's
// evaluation as the next user turn (feedbackMessages).
func (j *job) genRequest(b *batch, round int, rej *rejection) (*llm.Request, error) {
	user, err := j.prompts.Stage3For(j.p.Topic, b.intervention, b.version, len(b.tasks))
	if err != nil {
		return nil, err
	}
	msgs := []llm.Message{{Role: llm.RoleUser, Content: user + b.samples}}
	if rej != nil {
		msgs = append(msgs, feedbackMessages(rej, len(b.tasks))...)
	}
	return &llm.Request{
		System:    j.prompts.Base(),
		Messages:  msgs,
		Tools:     []llm.Tool{spttool.Stage3Generation},
		ForceTool: spt.Stage3GenerationToolName,
		Replica:   llmstep.Replica(round-1, j.p.Replica),
	}, nil
}

// reviewRequest is the review of one generated result.
func (j *job) reviewRequest(b *batch, output []byte) *llm.Request {
	return &llm.Request{
		System:    j.prompts.Base(),
		Messages:  []llm.Message{{Role: llm.RoleUser, Content: spt.ReviewMessage(b.views, output)}},
		Tools:     spttool.ReviewTools(),
		ForceTool: spt.Stage3ReviewToolName,
		Replica:   llmstep.Replica(0, j.p.Replica),
	}
}

// Run implements engine.Kind.
func (s *Step) Run(ctx context.Context, p params, t *engine.Task) error {
	j, err := s.prepare(&p, t)
	if err != nil {
		return err
	}
	t.Progress.SetTotal(len(j.batches))
	if err := j.viaBatch(ctx, t); err != nil {
		return err
	}
	var usage llmstep.Usage
	outs := make([]*outcome, len(j.batches))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(cmp.Or(s.Workers, 16))
	for i, b := range j.batches {
		g.Go(func() error {
			o, err := j.process(gctx, t.Log, b, &usage)
			if err != nil {
				return err
			}
			outs[i] = o
			usage.RowDone(t, o.cached, o.failed())
			return nil
		})
	}
	err = g.Wait()
	failed := 0
	for _, o := range outs {
		if o != nil && o.failed() {
			failed++
		}
	}
	usage.Report(t, failed)
	if err != nil {
		return err
	}
	if err := j.write(t, outs); err != nil {
		return err
	}
	return p.budget.SealOrFail(t, failed, len(j.batches), "batches have error records")
}

// outcome is what one batch produced.
type outcome struct {
	result     *Result     // the last valid generation, nil if none
	genRes     *llm.Result // its response
	rounds     int         // rounds entered
	passed     bool
	ctxErrors  []bool // per review made: was it a context-length failure
	errKind    string // "context_too_large" or "generation_failed"
	errMessage string
	reviews    []review
	cached     bool
}

func (o *outcome) failed() bool { return o.errKind != "" }

// review is one review made, for the review log.
type review struct {
	verdict                   bool
	thought, evaluation, when string
	round                     int // the generation round it reviewed
}

// rejection is a reviewed and rejected generation: its result as the
// reviewer saw it and the reviewer's written evaluation.
type rejection struct {
	output     []byte
	evaluation string
}

// process runs the generate-and-review rounds of one batch (spec §7.10).
// Only fatal errors (cancellation, quota, budget, the store) are returned.
// With review_feedback, each round after a rejection carries the latest
// rejected result and its evaluation.
func (j *job) process(ctx context.Context, log zerolog.Logger, b *batch, usage *llmstep.Usage) (*outcome, error) {
	o := &outcome{cached: true}
	var last *rejection
	for round := 1; round <= j.p.ReviewRounds; round++ {
		o.rounds = round
		res, gr, err := j.generate(ctx, b, round, last, usage)
		if err != nil {
			if llmstep.IsFatal(err) {
				return nil, err
			}
			if llm.KindOf(err) == llm.KindContextTooLong {
				o.errKind, o.errMessage = "context_too_large", "Input and max_tokens exceed context limit: "+err.Error()
				o.rounds = 0
				return o, nil
			}
			if round == j.p.ReviewRounds && o.result == nil {
				o.errKind, o.errMessage = "generation_failed", fmt.Sprintf("generation failed after %d rounds: %v", round, err)
				log.Error().Str("file", b.file).Int("batch", b.number).Err(err).Msg("stage-3 generation failed; asked again on the next run")
				return o, nil
			}
			continue // an earlier valid but rejected result is kept (§16.18 fixed)
		}
		o.result, o.genRes = res, gr
		o.cached = o.cached && gr.Cached
		output, err := reindent(gr.Response.Tool(spt.Stage3GenerationToolName).Arguments)
		if err != nil {
			output = nil // not reviewable: a rejected round without a review
		}
		verdict, ctxErr, rv, err := j.reviewOnce(ctx, b, output, usage)
		if err != nil {
			return nil, err
		}
		o.ctxErrors = append(o.ctxErrors, ctxErr)
		if rv != nil {
			rv.round = round
			o.reviews = append(o.reviews, *rv)
			if !rv.verdict && j.p.ReviewFeedback && spt.Strip(rv.evaluation) != "" {
				last = &rejection{output: output, evaluation: rv.evaluation}
			}
		}
		if verdict {
			o.passed = true
			break
		}
		if ctxErr {
			break
		}
	}
	return o, nil
}

// generate makes round r's generation request and validates it.
func (j *job) generate(ctx context.Context, b *batch, round int, rej *rejection, usage *llmstep.Usage) (*Result, *llm.Result, error) {
	req, err := j.genRequest(b, round, rej)
	if err != nil {
		return nil, nil, err
	}
	n := len(b.tasks)
	validate := func(resp *llm.Response) error {
		_, err := ParseResult(resp, n)
		return err
	}
	gr, err := j.gen.Do(ctx, llm.Call{Request: req, Validate: validate, Attempts: j.p.Attempts, Meter: &usage.Meter})
	if err != nil {
		return nil, nil, err
	}
	usage.Served(gr.Response.Model)
	res, err := ParseResult(gr.Response, n)
	if err != nil { // a stored response is not re-validated by the client
		return nil, nil, &llm.Error{Kind: llm.KindSchemaViolation, Message: err.Error(), Err: err}
	}
	return res, gr, nil
}

// reviewOnce asks the review model about a generated result. A review that
// fails (other than fatally) is a rejection; a context-length failure is
// reported as such.
func (j *job) reviewOnce(ctx context.Context, b *batch, output []byte, usage *llmstep.Usage) (verdict, ctxErr bool, rv *review, err error) {
	if output == nil {
		return false, false, nil, nil
	}
	validate := func(resp *llm.Response) error { _, err := ParseReview(resp); return err }
	rr, err := j.review.Do(ctx, llm.Call{Request: j.reviewRequest(b, output), Validate: validate, Meter: &usage.Meter})
	if err != nil {
		if llmstep.IsFatal(err) {
			return false, false, nil, err
		}
		return false, llm.KindOf(err) == llm.KindContextTooLong, nil, nil
	}
	usage.Served(rr.Response.Model)
	r, err := ParseReview(rr.Response)
	if err != nil {
		return false, false, nil, nil
	}
	r.when = spt.ISOFormat(rr.Time)
	return r.verdict, false, r, nil
}

// reindent re-encodes tool arguments with indent 2, as the original dumps
// the generation result into the review message.
func reindent(args []byte) ([]byte, error) {
	v, err := pyjson.Parse(args)
	if err != nil {
		return nil, err
	}
	return pyjson.Marshal(v, pyjson.DataFile)
}

// write stores the records of every batch and writes the files and logs.
func (j *job) write(t *engine.Task, outs []*outcome) error {
	var feedback, reviews []byte
	summary, err := j.reviewSummary(outs)
	if err != nil {
		return fmt.Errorf("summarize reviews: %w", err)
	}
	for i, b := range j.batches {
		o := outs[i]
		j.store(b, o)
		var err error
		if feedback, err = j.feedbackLine(feedback, b, o); err != nil {
			return err
		}
		if reviews, err = j.reviewLines(reviews, b, o); err != nil {
			return err
		}
	}
	for _, f := range j.files {
		data, err := spt.EncodeBatch(f.Doc)
		if err != nil {
			return fmt.Errorf("encode %s: %w", f.Name, err)
		}
		if err := t.Out.WriteFile(path.Join(j.p.Output, f.Name), data); err != nil {
			return err
		}
	}
	for rel, data := range map[string][]byte{j.p.Feedback: feedback, j.p.Reviews: reviews, j.p.Summary: summary} {
		if len(data) == 0 {
			continue
		}
		if err := t.Out.WriteFile(rel, data); err != nil {
			return err
		}
	}
	return nil
}
