package llmstep

import (
	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/llm"
)

// ExecutionParam is the `with.execution` parameter of the kinds that can
// send their requests through a provider's batch API. It never changes
// the node key: a batch result is stored where an online response would
// be, so outputs are the same either way.
var ExecutionParam = engine.Param{Name: "execution", Type: engine.TypeString, Enum: llm.Executions(),
	DefaultDoc: "the model entry's execution",
	Doc:        "batch: through the provider's batch API, at prices.batch_discount; auto: batch from the model's batch_threshold requests on; wins over the model entry's execution"}

// Execution returns the node's with.execution ("" when absent), refusing
// batch or auto for a model whose provider has no batch API.
func (w *With) Execution(spec *llm.ModelSpec) string {
	if !w.Has(ExecutionParam.Name) {
		return ""
	}
	mode := w.Str(ExecutionParam.Name)
	if mode != llm.ExecOnline && spec != nil && !llm.HasBatchAPI(spec.Provider) {
		w.Errorf(ExecutionParam.Name, "%s: model %q (provider %s) has no batch API sptflow drives (anthropic and the OpenAI-compatible ones)",
			mode, spec.Name, spec.Provider)
	}
	return mode
}
