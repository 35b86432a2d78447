package infer

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"path"

	"golang.org/x/sync/errgroup"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/llm"
	"github.com/sptflow/sptflow/pyjson"
	"github.com/sptflow/sptflow/steps/generate/llmstep"
	"github.com/sptflow/sptflow/steps/spt"
)

// row is one request: an item's variant answered by one model.
type row struct {
	item    *pyjson.Object
	model   int // index into params.specs
	variant string
	req     *llm.Request
}

// job is a partition's work: the files (mutated in place) and the rows
// still missing, in the hash-stable item order.
type job struct {
	p       *params
	files   []llmstep.File
	rows    []row
	clients []*llm.Client
	// refused are the requests the provider's batch API refused (an
	// invalid request): failed rows, not sent again online.
	refused map[llm.RequestKey]error
}

func (s *Step) prepare(p *params, t *engine.Task) (*job, error) {
	j, err := plan(p, t)
	if err != nil {
		return nil, err
	}
	for _, spec := range j.p.specs {
		c, err := llmstep.Client(s.rt, t, spec)
		if err != nil {
			return nil, err
		}
		j.clients = append(j.clients, c)
	}
	return j, nil
}

// plan reads the upstream files and lists the missing rows (no clients:
// estimates need none).
func plan(p *params, t *engine.Task) (*job, error) {
	j := &job{p: p}
	var err error
	if j.files, err = llmstep.ReadBatchFiles(t.Upstream); err != nil {
		return nil, err
	}
	items, err := llmstep.OrderItems(j.files, p.Limit)
	if err != nil {
		return nil, fmt.Errorf("order items: %w", err)
	}
	for _, it := range items {
		rows, err := j.itemRows(it.Item)
		if err != nil {
			return nil, fmt.Errorf("%s: data[%d]: %w", j.files[it.File].Name, it.Index, err)
		}
		j.rows = append(j.rows, rows...)
	}
	return j, nil
}

// itemRows returns the missing (model, variant) rows of an item, models in
// `with` order, A before B.
func (j *job) itemRows(item *pyjson.Object) ([]row, error) {
	task, ok := item.Str("T")
	if !ok {
		return nil, errors.New("field T is missing or not a string")
	}
	var rows []row
	for mi, spec := range j.p.specs {
		done := existing(item, spec.Model)
		for _, v := range spt.Variants {
			sys, present, err := variantPrompt(item, v)
			if err != nil {
				return nil, err
			}
			if !present || done[v] {
				continue
			}
			req := &llm.Request{System: sys, Messages: []llm.Message{{Role: llm.RoleUser, Content: task}},
				Replica: llmstep.Replica(0, j.p.Replica)}
			rows = append(rows, row{item: item, model: mi, variant: v, req: req})
		}
	}
	return rows, nil
}

// variantPrompt returns the system prompt of variant v; present is false
// when the item has no such key or it is null.
func variantPrompt(item *pyjson.Object, v string) (string, bool, error) {
	val, ok := item.Get(v)
	if !ok || val == nil {
		return "", false, nil
	}
	s, isStr := val.(string)
	if !isStr {
		return "", false, fmt.Errorf("%s is %s, not a string", v, pyjson.TypeName(val))
	}
	return s, true, nil
}

// existing reports which variants already have an answer of model.
func existing(item *pyjson.Object, model string) map[string]bool {
	done := map[string]bool{}
	inf := item.Obj("inferences")
	if inf == nil {
		return done
	}
	m := inf.Obj(model)
	if m == nil {
		return done
	}
	for _, v := range spt.Variants {
		done[v] = m.Has(v)
	}
	return done
}

// result is one row's outcome.
type result struct {
	rec *pyjson.Object
	err error
}

// Run implements engine.Kind.
func (s *Step) Run(ctx context.Context, p params, t *engine.Task) error {
	j, err := s.prepare(&p, t)
	if err != nil {
		return err
	}
	t.Progress.SetTotal(len(j.rows))
	if err := j.viaBatch(ctx, t); err != nil {
		return err
	}
	var usage llmstep.Usage
	results := make([]result, len(j.rows))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(cmp.Or(s.Workers, 64))
	for i := range j.rows {
		g.Go(func() error {
			r := &j.rows[i]
			rec, cached, err := j.answer(gctx, r, &usage)
			if err != nil && llmstep.IsFatal(err) {
				return err
			}
			if err != nil {
				t.Log.Error().Str("model", j.p.specs[r.model].Name).Str("variant", r.variant).Err(err).
					Msg("stage-2 answer failed; it is asked again on the next run")
			}
			results[i] = result{rec: rec, err: err}
			usage.RowDone(t, cached, err != nil)
			return nil
		})
	}
	err = g.Wait()
	failed := 0
	for _, r := range results {
		if r.err != nil {
			failed++
		}
	}
	usage.Report(t, failed)
	if err != nil {
		return err
	}
	j.apply(results)
	if err := j.write(t); err != nil {
		return err
	}
	return p.budget.SealOrFail(t, failed, len(j.rows), "answers")
}

// apply stores the answers in their items, in row order (so model keys
// appear in `with` order).
func (j *job) apply(results []result) {
	for i, r := range results {
		if r.rec == nil {
			continue
		}
		row := j.rows[i]
		inf := row.item.Obj("inferences")
		if inf == nil {
			inf = pyjson.NewObject(len(j.p.specs))
			row.item.Set("inferences", inf)
		}
		model := j.p.specs[row.model].Model
		m := inf.Obj(model)
		if m == nil {
			m = pyjson.NewObject(2)
			inf.Set(model, m)
		}
		m.Set(row.variant, r.rec)
	}
}

// write writes every upstream file, answered, under the same name.
func (j *job) write(t *engine.Task) error {
	for _, f := range j.files {
		data, err := spt.EncodeBatch(f.Doc)
		if err != nil {
			return fmt.Errorf("encode %s: %w", f.Name, err)
		}
		if err := t.Out.WriteFile(path.Join(j.p.Output, f.Name), data); err != nil {
			return err
		}
	}
	return nil
}
