package llm

import "slices"

// Execution modes of a model entry (ModelSpec.Execution) or a node
// (with.execution).
const (
	ExecOnline = "online"
	ExecBatch  = "batch"
	ExecAuto   = "auto"
)

// DefaultBatchThreshold is ModelSpec.BatchThreshold when unset.
const DefaultBatchThreshold = 100

// Executions returns the execution modes, in documentation order.
func Executions() []string { return []string{ExecOnline, ExecBatch, ExecAuto} }

// batchProviders are the provider kinds with a batch API sptflow drives:
// Anthropic's Message Batches, and the OpenAI Batch API (/files and
// /batches) for every OpenAI-compatible kind, whose base URL must serve it
// (OpenAI and OpenRouter do; a local server may not, and says so at the
// upload).
var batchProviders = []string{ProviderAnthropic, ProviderOpenAI, ProviderOpenRouter, ProviderVLLM, ProviderLlamaCpp, ProviderOllama}

// HasBatchAPI reports whether sptflow can send the provider's requests
// through its batch API.
func HasBatchAPI(provider string) bool { return slices.Contains(batchProviders, provider) }

func (m *ModelSpec) checkExecution(bad badFunc) {
	switch {
	case !slices.Contains(Executions(), m.Execution):
		bad("execution", "%q: want online, batch or auto", m.Execution)
	case m.Execution != ExecOnline && !HasBatchAPI(m.Provider):
		bad("execution", "%s: provider %s has no batch API sptflow drives (anthropic and the OpenAI-compatible ones)", m.Execution, m.Provider)
	}
	if m.BatchThreshold < 0 {
		bad("batch_threshold", "%d: want a positive number of requests", m.BatchThreshold)
	}
}

// UseBatch decides whether a stage sends its n requests to the model of
// spec through the batch API: node is the node's with.execution ("" =
// the model entry's), which wins. In auto, fewer than the entry's
// batch_threshold requests go online. A provider without a batch API is
// always online.
func UseBatch(spec *ModelSpec, node string, n int) bool {
	mode := spec.Execution
	if node != "" {
		mode = node
	}
	if !HasBatchAPI(spec.Provider) || n == 0 {
		return false
	}
	switch mode {
	case ExecBatch:
		return true
	case ExecAuto:
		return n >= max(spec.BatchThreshold, 1)
	}
	return false
}

// KeyOfRequest returns the request key of req sent to this model.
func (m *ModelSpec) KeyOfRequest(req *Request) RequestKey {
	k, _ := KeyOf(req, m)
	return k
}
