package main

import (
	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/steps/tag"
)

// extraKinds lets tests register test-only node kinds (a slow step for the
// kill -9 script test, say). It is empty in the real command.
var extraKinds []engine.Step

// kinds returns the node kinds this command knows, registered explicitly.
//
// Registered: tag. To add, for the lead: load.New() (steps/load),
// analyze.New() (steps/analyze), evalreport.New() (steps/evalreport, kind
// analyze_eval), export, generate, infer, intervene (these need an LLM
// runtime: construct it in env.open and pass it to their constructors).
func kinds() map[string]engine.Step {
	steps := []engine.Step{tag.New()}
	steps = append(steps, extraKinds...)
	m := make(map[string]engine.Step, len(steps))
	for _, s := range steps {
		m[s.Kind()] = s
	}
	return m
}
