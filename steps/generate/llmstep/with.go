package llmstep

import (
	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/engine/with"
)

// With is the strict `with:` decoder of engine/with plus the accessors of
// the LLM kinds: Model and Models resolve names of the pipeline's models
// block to validated llm.ModelSpecs.
type With struct {
	*with.With
}

// NewWith returns a decoder of spec.With for a kind declaring params.
func NewWith(spec *engine.PartitionSpec, params []engine.Param) *With {
	return &With{with.New(spec, params)}
}
