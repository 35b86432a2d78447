// Package infer implements the `infer` node kind: stage 2 of the SPT
// pipeline (spec §6). For every item of the topic's stage-1 files, every
// variant (A, and B when present and not null) and every target model of
// `with: models`, it asks the model to answer the user task T under that
// system prompt and stores the answer S under
// data[i].inferences[<model id>][A|B] with the original's nine fields, in
// order, followed by what the original did not record (the exact no-think
// suffix appended to the system prompt, the served model, the stop reason,
// and "simulated" for sim models).
//
// Every run starts from the upstream files, so items added upstream are
// answered (spec §16.5 fixed); answers already present in an input file
// (data loaded from an earlier stage-2 run) are kept. Requests flow through
// one bounded worker pool over all rows of the partition, paced by each
// model's rate governor, instead of fixed chunks; each answer is durable in
// the request store the moment it arrives, so a killed run loses nothing
// that was paid for. Adding a target model sends only that model's
// requests: the others are served by the store.
package infer

import (
	"path"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/engine/with"
	"github.com/sptflow/sptflow/llm"
	"github.com/sptflow/sptflow/steps/generate/llmstep"
)

// Kind is the node kind implemented by Step.
const Kind = "infer"

// Version is folded into node keys.
const Version = "1"

// Step is the `infer` node kind (an engine.Kind). It needs a `topic`
// foreach key.
type Step struct {
	rt *llm.Runtime
	// Workers bounds the requests in flight per partition (64 when 0); it
	// does not change the output.
	Workers int
}

var (
	_ engine.Kind[params]          = (*Step)(nil)
	_ engine.KindEstimator[params] = (*Step)(nil)
)

// New returns the infer step calling models through rt.
func New(rt *llm.Runtime) engine.Step { return engine.Adapt[params](&Step{rt: rt}) }

// Params are infer's `with:` parameters.
var Params = []engine.Param{
	{Name: "models", Type: engine.TypeModels, Required: true, Min: 1,
		Doc: "the target models that answer; each model id is a key under inferences"},
	llmstep.ExecutionParam,
	with.Replica,
	llmstep.MaxFailedRows("answers", "a failed answer is left out of inferences (the original has no error record in stage 2)"),
}

// Info implements engine.Kind.
func (*Step) Info() engine.KindInfo {
	return engine.KindInfo{Name: Kind, Version: Version, Foreach: "topic", Params: Params, Samples: true,
		Summary: "stage 2: every target model answers each stage-1 task under system prompt A and, when there is one, B",
		Outputs: "stage_2/<topic>/<file> (+ items[i].inferences[<model>][A|B])",
		Reads:   "the stage-1 tasks it answers (a generate node)"}
}

type params struct {
	Topic   string           `json:"topic"`
	Models  []map[string]any `json:"models"`
	Limit   int              `json:"limit,omitempty"`
	Replica int              `json:"replica,omitempty"`
	Output  string           `json:"output"`

	specs     []*llm.ModelSpec
	budget    llmstep.Budget // not in the key (see llmstep.MaxFailedRows)
	execution string         // with.execution; not in the node key
}

// Resolve implements engine.Kind.
func (*Step) Resolve(spec *engine.PartitionSpec) (params, *engine.Plan, error) {
	w := llmstep.NewWith(spec, Params)
	p := params{Topic: spec.Value("topic")}
	p.specs = w.Models("models")
	p.Replica = w.Replica()
	p.budget = w.Budget()
	if p.execution = w.Execution(nil); p.execution == llm.ExecBatch || p.execution == llm.ExecAuto {
		for _, s := range p.specs {
			w.Execution(s) // refuses a model without a batch API
		}
	}
	seen := map[string]string{}
	for _, s := range p.specs {
		if other, dup := seen[s.Model]; dup {
			w.Errorf("models", "%q and %q both serve model id %q, which is their key under inferences", other, s.Name, s.Model)
		}
		seen[s.Model] = s.Name
	}
	if p.Topic == "" {
		w.NodeErrorf("infer needs a foreach key \"topic\"")
	}
	if err := w.Err(); err != nil {
		return params{}, nil, err
	}
	for _, s := range p.specs {
		p.Models = append(p.Models, s.Canonical())
	}
	p.Limit = spec.Options.Limit
	p.Output = spec.Output
	if p.Output == "" {
		p.Output = path.Join("stage_2", p.Topic)
	}
	return p, &engine.Plan{OutputDir: p.Output,
		Providers: llmstep.Providers(p.specs...), Env: llmstep.Env(p.specs...)}, nil
}
