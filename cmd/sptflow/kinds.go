package main

import (
	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/llm"
	"github.com/sptflow/sptflow/steps/analyze"
	"github.com/sptflow/sptflow/steps/evalreport"
	"github.com/sptflow/sptflow/steps/export"
	"github.com/sptflow/sptflow/steps/generate"
	"github.com/sptflow/sptflow/steps/infer"
	"github.com/sptflow/sptflow/steps/intervene"
	"github.com/sptflow/sptflow/steps/load"
	"github.com/sptflow/sptflow/steps/tag"
)

// extraKinds lets tests register test-only node kinds (a slow step for the
// kill -9 script test, say). It is empty in the real command.
var extraKinds []engine.Step

// kinds returns the node kinds this command knows, registered explicitly.
// rt is the invocation's LLM runtime, handed to the kinds that call models;
// it may be nil when only the kind names are needed (pipeline validation
// before the store is open).
func kinds(rt *llm.Runtime) map[string]engine.Step {
	steps := kindList(rt)
	m := make(map[string]engine.Step, len(steps))
	for _, s := range steps {
		m[s.Kind()] = s
	}
	return m
}

// kindList returns the node kinds in registration order.
func kindList(rt *llm.Runtime) []engine.Step {
	steps := []engine.Step{
		load.New(),
		tag.New(),
		analyze.New(),
		evalreport.New(),
		export.New(),
		generate.New(rt),
		infer.New(rt),
		intervene.New(rt),
	}
	return append(steps, extraKinds...)
}
