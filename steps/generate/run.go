package generate

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/llm"
	"github.com/sptflow/sptflow/pyjson"
	"github.com/sptflow/sptflow/steps/generate/llmstep"
	"github.com/sptflow/sptflow/steps/spt"
	"github.com/sptflow/sptflow/steps/spt/spttool"
)

// workers bounds the batches in flight per partition; the model's governor
// paces them.
const workers = 16

// setup builds the client and prompts of a task.
func (s *Step) setup(p params, t *engine.Task) (*params, *llm.Client, *spt.Prompts, error) {
	c, err := llmstep.Client(s.rt, t, p.spec)
	if err != nil {
		return nil, nil, nil, err
	}
	prompts, err := spt.LoadPrompts(p.prompts)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("load prompts: %w", err)
	}
	return &p, c, prompts, nil
}

// firstRequest is the first ask of batch b.
func firstRequest(p *params, prompts *spt.Prompts, b int) (*llm.Request, error) {
	user, err := prompts.Stage1(p.Topic, p.ItemsPerBatch)
	if err != nil {
		return nil, err
	}
	return &llm.Request{
		System:    prompts.Base(),
		Messages:  []llm.Message{{Role: llm.RoleUser, Content: user}},
		Tools:     []llm.Tool{spttool.Stage1},
		ForceTool: spt.Stage1ToolName,
		Replica:   llmstep.Replica(b, p.Replica),
	}, nil
}

// outcome is one batch's result: a validated batch, or the reason it failed.
type outcome struct {
	batch  *Batch
	res    *llm.Result
	err    error
	cached bool
}

// Run implements engine.Kind.
func (s *Step) Run(ctx context.Context, params params, t *engine.Task) error {
	p, c, prompts, err := s.setup(params, t)
	if err != nil {
		return err
	}
	n := p.batchCount()
	t.Progress.SetTotal(n)
	refused, err := s.viaBatch(ctx, t, p, c, prompts, n)
	if err != nil {
		return err
	}
	var usage llmstep.Usage
	outs := make([]outcome, n)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	for b := range n {
		g.Go(func() error {
			o := s.batch(gctx, t, p, c, prompts, b, &usage, refused)
			if o.err != nil && llmstep.IsFatal(o.err) {
				return o.err
			}
			outs[b] = o
			usage.RowDone(t, o.cached, o.err != nil)
			return nil
		})
	}
	err = g.Wait()
	failed := countFailed(outs)
	usage.Report(t, failed)
	if err != nil {
		return err
	}
	if err := write(t, p, outs); err != nil {
		return err
	}
	return p.budget.SealOrFail(t, failed, n, "batches")
}

func countFailed(outs []outcome) int {
	n := 0
	for _, o := range outs {
		if o.err != nil {
			n++
		}
	}
	return n
}

// batch asks for batch b until it validates or max_attempts asks were
// made; each follow-up repeats the conversation, the rejected answer and
// its problems.
func (s *Step) batch(ctx context.Context, t *engine.Task, p *params, c *llm.Client, prompts *spt.Prompts, b int, usage *llmstep.Usage, refused *llm.BatchReport) outcome {
	req, err := firstRequest(p, prompts, b)
	if err != nil {
		return outcome{err: err}
	}
	if err := refused.Failure(c.KeyOf(req)); err != nil {
		t.Log.Error().Int("batch", b+1).Err(err).Msg("stage-1 batch refused by the provider's batch API; it is asked again on the next run")
		return outcome{err: err}
	}
	var last outcome
	for ask := 1; ask <= p.MaxAttempts; ask++ {
		var (
			mu       sync.Mutex
			rejected string
		)
		validate := func(resp *llm.Response) error {
			_, answer, err := validateResponse(resp, p)
			mu.Lock()
			defer mu.Unlock()
			rejected = answer
			return err
		}
		res, err := c.Do(ctx, llm.Call{Request: req, Validate: validate, Attempts: 2, Meter: &usage.Meter})
		if err == nil {
			usage.Served(res.Response.Model)
			// A stored response is not validated by the client: check it
			// against this run's settings (trim_excess) too.
			bt, answer, verr := validateResponse(res.Response, p)
			if verr == nil {
				return outcome{batch: bt, res: res, cached: res.Cached}
			}
			rejected, err = answer, &llm.Error{Kind: llm.KindSchemaViolation, Message: verr.Error(), Err: verr}
		}
		last = outcome{err: err}
		if llmstep.IsFatal(err) || llm.KindOf(err) != llm.KindSchemaViolation || ask == p.MaxAttempts {
			break
		}
		t.Log.Warn().Int("batch", b+1).Int("ask", ask).Err(err).Msg("stage-1 batch rejected; asking again")
		req = followUp(req, rejected, err)
	}
	if !llmstep.IsFatal(last.err) { // an interrupt, a quota or the budget: the run says why it stops
		t.Log.Error().Int("batch", b+1).Err(last.err).Msg("stage-1 batch failed; it is asked again on the next run")
	}
	return last
}

// validateResponse extracts and validates the forced tool call; answer is
// what the model said, for a follow-up.
func validateResponse(resp *llm.Response, p *params) (*Batch, string, error) {
	call := resp.Tool(spt.Stage1ToolName)
	if call == nil {
		return nil, resp.Text, fmt.Errorf("the response has no %s tool call", spt.Stage1ToolName)
	}
	bt, err := ParseBatch(call.Arguments, p.ItemsPerBatch, p.TrimExcess)
	return bt, string(call.Arguments), err
}

// followUp returns req continued by the rejected answer and a message that
// states its problems.
func followUp(req *llm.Request, rejected string, problem error) *llm.Request {
	r := *req
	if strings.TrimSpace(rejected) == "" {
		rejected = "(no tool call)"
	}
	msg := fmt.Sprintf("Your %s call was rejected by validation:\n%s\n\nCall %s again with the complete, corrected batch.",
		spt.Stage1ToolName, problemText(problem), spt.Stage1ToolName)
	r.Messages = append(append([]llm.Message(nil), req.Messages...),
		llm.Message{Role: llm.RoleAssistant, Content: rejected},
		llm.Message{Role: llm.RoleUser, Content: msg})
	return &r
}

// problemText returns the validation problems of err, one per line,
// without the request-key prefix the client adds.
func problemText(err error) string {
	var e *llm.Error
	if errors.As(err, &e) && e.Err != nil {
		err = e.Err
	}
	lines := strings.Split(err.Error(), "\n")
	for i, l := range lines {
		lines[i] = "- " + l
	}
	return strings.Join(lines, "\n")
}

// write writes the validated batches and the feedback log.
func write(t *engine.Task, p *params, outs []outcome) error {
	var feedback []byte
	stamp := idTime(outs)
	for b, o := range outs {
		if o.err != nil {
			continue
		}
		doc, id := batchFile(p, b, o, stamp)
		data, err := spt.EncodeBatch(doc)
		if err != nil {
			return fmt.Errorf("encode batch %d: %w", b+1, err)
		}
		if err := t.Out.WriteFile(path.Join(p.Output, "batch_"+id+".json"), data); err != nil {
			return err
		}
		if spt.Strip(o.batch.Feedback) != "" {
			if feedback, err = appendFeedback(feedback, p, id, o); err != nil {
				return err
			}
		}
	}
	if len(feedback) == 0 {
		return nil
	}
	return t.Out.WriteFile(p.Feedback, feedback)
}

// idTime is the time in the partition's batch ids: the earliest time (UTC)
// at which one of its batches was stored. Like the original, whose batches
// are written one after the other, the batch files of a partition then
// sort by batch number, however the batches were interleaved, interrupted
// or resumed; the time stays the same when batches are added, and a
// --limit trial run's ids are those of the full run.
func idTime(outs []outcome) time.Time {
	var first time.Time
	for _, o := range outs {
		if o.err == nil && (first.IsZero() || o.res.Time.Before(first)) {
			first = o.res.Time
		}
	}
	return first.UTC()
}

// batchFile builds the original stage-1 file (spec §5.7). The batch id is
// <topic>_<YYYYMMDD_HHMMSS>_batch_<NNN> with NNN the 1-based batch index
// and the time idTime; generation_timestamp is when this batch's response
// was stored. Both come from the request store, so every replay writes the
// same bytes.
func batchFile(p *params, b int, o outcome, stamp time.Time) (*pyjson.Object, string) {
	id := fmt.Sprintf("%s_%s_batch_%03d", p.Topic, stamp.Format("20060102_150405"), b+1)
	doc := pyjson.NewObject(8)
	doc.Set("batch_id", id)
	doc.Set("generation_timestamp", spt.ISOFormat(o.res.Time))
	doc.Set("model_used", p.spec.Model)
	doc.Set("stage", 1)
	doc.Set("topic", p.Topic)
	doc.Set("data", o.batch.Data)
	doc.Set("project_feedback", o.batch.Feedback)
	if o.res.Response.Simulated {
		doc.Set("simulated", true)
	}
	return doc, id
}

func appendFeedback(buf []byte, p *params, id string, o outcome) ([]byte, error) {
	line := pyjson.NewObject(5)
	line.Set("timestamp", spt.ISOFormat(o.res.Time))
	line.Set("batch_id", id)
	line.Set("project_feedback", o.batch.Feedback)
	line.Set("topic", p.Topic)
	line.Set("stage", 1)
	buf, err := pyjson.AppendMarshal(buf, line, pyjson.Line)
	return append(buf, '\n'), err
}
