package intervene

import (
	"fmt"
	"strings"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/llm"
	"github.com/sptflow/sptflow/pyjson"
	"github.com/sptflow/sptflow/steps/generate/llmstep"
	"github.com/sptflow/sptflow/steps/spt"
)

// task is one (item, stage-2 model, variant) to assess.
type task struct {
	item    *pyjson.Object
	model   string // the inferences key
	variant string // "A" or "B"
	target  *pyjson.Object
}

// batch is one generation call: tasks of one file, one intervention
// version, one intervention type and one stage-2 model.
type batch struct {
	file         string
	version      string
	intervention string
	number, of   int // 1-based index among the batches of (file, version, type, model)
	tasks        []task
	// Built while planning (items are not read concurrently): the sample
	// block of the generation request and the sample views for the review.
	samples string
	views   []byte
}

// job is a partition's work.
type job struct {
	p       *params
	prompts *spt.Prompts
	// gen and review are what the rows call: the clients, or in a batch
	// run the planner's views of them (batchapi.go).
	gen, review             caller
	genClient, reviewClient *llm.Client
	files                   []llmstep.File
	batches                 []*batch
}

func (s *Step) prepare(p *params, t *engine.Task) (*job, error) {
	j, err := plan(p, t)
	if err != nil {
		return nil, err
	}
	if j.genClient, err = llmstep.Client(s.rt, t, j.p.gen); err != nil {
		return nil, err
	}
	if j.reviewClient, err = llmstep.Client(s.rt, t, j.p.review); err != nil {
		return nil, err
	}
	j.gen, j.review = j.genClient, j.reviewClient
	return j, nil
}

// setup loads the prompts (no clients: estimates need none).
func setup(p *params) (*job, error) {
	j := &job{p: p}
	var err error
	if j.prompts, err = spt.LoadPrompts(p.prompts); err != nil {
		return nil, fmt.Errorf("load prompts: %w", err)
	}
	if err := j.prompts.ValidateStage3Versions([]string{p.Topic}, p.Interventions, p.Versions); err != nil {
		return nil, fmt.Errorf("check prompts: %w", err)
	}
	return j, nil
}

// plan reads the upstream files and cuts the missing tasks into batches.
func plan(p *params, t *engine.Task) (*job, error) {
	j, err := setup(p)
	if err != nil {
		return nil, err
	}
	if j.files, err = llmstep.ReadBatchFiles(t.Upstream); err != nil {
		return nil, err
	}
	items, err := llmstep.OrderItems(j.files, p.Limit)
	if err != nil {
		return nil, fmt.Errorf("order items: %w", err)
	}
	// File, then version, then type: the order in which the records' keys
	// are added to every variant (the original's files hold one version's
	// types, sorted, then the next version's).
	types := j.types()
	for fi, f := range j.files {
		for _, tv := range types {
			if err := j.plan(f.Name, tv.version, tv.iv, itemsOf(items, fi)); err != nil {
				return nil, fmt.Errorf("%s: %w", f.Name, err)
			}
		}
	}
	return j, nil
}

func itemsOf(items []llmstep.ItemRef, file int) []*pyjson.Object {
	var out []*pyjson.Object
	for _, it := range items {
		if it.File == file {
			out = append(out, it.Item)
		}
	}
	return out
}

// plan cuts the missing tasks of one file, version and intervention type
// into batches: per stage-2 model (in first-seen order), batch_size item
// groups each. Nothing here depends on the node's other versions.
func (j *job) plan(file, version, iv string, items []*pyjson.Object) error {
	key := iv + spt.KeySep + version
	var models []string
	groups := map[string][][]task{}
	for _, item := range items {
		byModel, err := j.missing(item, key)
		if err != nil {
			return err
		}
		for _, g := range byModel {
			m := g[0].model
			if _, ok := groups[m]; !ok {
				models = append(models, m)
			}
			groups[m] = append(groups[m], g)
		}
	}
	for _, m := range models {
		gs := groups[m]
		n := (len(gs) + j.p.BatchSize - 1) / j.p.BatchSize
		for b := 0; b < n; b++ {
			bt := &batch{file: file, version: version, intervention: iv, number: b + 1, of: n}
			for _, g := range gs[b*j.p.BatchSize : min(len(gs), (b+1)*j.p.BatchSize)] {
				bt.tasks = append(bt.tasks, g...)
			}
			var err error
			if bt.samples, err = sampleBlock(bt.tasks); err != nil {
				return err
			}
			if bt.views, err = pyjson.Marshal(sampleViews(bt.tasks), pyjson.DataFile); err != nil {
				return err
			}
			j.batches = append(j.batches, bt)
		}
	}
	return nil
}

// missing returns an item's tasks for key, grouped by stage-2 model: every
// variant with an answer whose interventions lack key or hold an error
// record there (error records are retried, §16.13).
func (j *job) missing(item *pyjson.Object, key string) ([][]task, error) {
	models, err := spt.Models(item)
	if err != nil {
		return nil, err
	}
	var out [][]task
	for _, m := range models {
		if j.p.Stage2Model != "" && m.Name != j.p.Stage2Model {
			continue
		}
		var g []task
		for _, v := range spt.Variants {
			vo, err := spt.Variant(m.Obj, v)
			if err != nil {
				return nil, fmt.Errorf("inferences[%q]: %w", m.Name, err)
			}
			if vo == nil || done(vo, key) {
				continue
			}
			g = append(g, task{item: item, model: m.Name, variant: v, target: vo})
		}
		if len(g) > 0 {
			out = append(out, g)
		}
	}
	return out, nil
}

// done reports whether a variant holds a good record at key.
func done(variant *pyjson.Object, key string) bool {
	ivs := variant.Obj("interventions")
	if ivs == nil {
		return false
	}
	rec := ivs.Obj(key)
	return rec != nil && !rec.Has("error")
}

// sampleBlock is the sample section of a generation request (spec §7.8,
// labels exact).
func sampleBlock(tasks []task) (string, error) {
	var b strings.Builder
	b.WriteString("\n\n## Samples to Analyze:\n\n")
	for i, t := range tasks {
		a, _ := t.item.Str("A")
		bp, _ := t.item.Str("B")
		fmt.Fprintf(&b, "### Sample %d:\n", i+1)
		if t.variant == spt.VariantB {
			fmt.Fprintf(&b, "**System Prompt (B variant used):** %s\n", bp)
			fmt.Fprintf(&b, "**Original unbiased prompt (A) for reference:** %s\n", a)
		} else {
			fmt.Fprintf(&b, "**System Prompt (A variant used):** %s\n", a)
			if bp != "" {
				b.WriteString("**Biased variant (B) exists but was not used for this response**\n")
			}
		}
		tt, _ := t.item.Str("T")
		s, _ := t.target.Str("S")
		fmt.Fprintf(&b, "**User Message (T):** %s\n", tt)
		fmt.Fprintf(&b, "**Model Response (S):** %s\n", s)
		if tp, ok := t.item.Get("thought_process"); ok {
			fmt.Fprintf(&b, "**Original Thought Process:** %s\n", pyStr(tp))
		}
		if meta := t.item.Obj("metadata"); meta != nil {
			if irf, ok := meta.Get("intended_review_focus"); ok {
				fmt.Fprintf(&b, "**Intended Review Focus:** %s\n", pyStr(irf))
			}
		}
		if meta, ok := t.item.Get("metadata"); ok {
			js, err := pyjson.Marshal(meta, pyjson.LineASCII)
			if err != nil {
				return "", err
			}
			fmt.Fprintf(&b, "**Metadata:** %s\n", js)
		}
		b.WriteString("\n")
	}
	return b.String(), nil
}

// pyStr renders a value as Python's str() would for the common cases.
func pyStr(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return "None"
	case bool:
		if x {
			return "True"
		}
		return "False"
	}
	js, _ := pyjson.Marshal(v, pyjson.Line)
	return string(js)
}

// sampleViews are the samples under review as the reviewer sees them: each
// item without its inferences (no other models, no earlier records), plus
// S and used_variant (spec §16.19 fixed).
func sampleViews(tasks []task) []any {
	views := make([]any, len(tasks))
	for i, t := range tasks {
		v := t.item.Clone()
		v.Delete("inferences")
		s, _ := t.target.Get("S")
		v.Set("S", s)
		v.Set("used_variant", t.variant)
		views[i] = v
	}
	return views
}
