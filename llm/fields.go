package llm

// FieldDoc documents one field of a pipeline `models:` entry (or of its
// `prices:` or `sim:` mapping) for the reference `sptflow kinds` prints and
// docs/kinds.md holds. TestFieldDocs checks that every documented field is
// one ParseModelSpec accepts.
type FieldDoc struct {
	Name, Type, Default, Doc string
}

// ModelFields are the fields of a `models:` entry.
var ModelFields = []FieldDoc{
	{"provider", "string", "required", "anthropic, openai, openrouter, vllm, llamacpp, ollama or sim"},
	{"model", "string", "required", "the provider's model id"},
	{"base_url", "string", "per provider", "the API's base URL (OpenAI-compatible ones end in /v1)"},
	{"api_key_env", "string", "per provider", "the environment variable holding the API key (ANTHROPIC_API_KEY, OPENAI_API_KEY, OPENROUTER_API_KEY)"},
	{"max_tokens", "int", "4096", "the most output tokens per request"},
	{"token_param", "string", "per model", "how an OpenAI-compatible API is sent max_tokens: max_tokens, or max_completion_tokens (the default for gpt-5*, o1*, o3*, o4*)"},
	{"temperature", "float", "the provider's", "sampling temperature (0 is sent)"},
	{"top_p", "float", "the provider's", "nucleus sampling (0 is sent)"},
	{"top_k", "int", "the provider's", "top-k sampling (0 is sent)"},
	{"thinking", "int", "0", "extended-thinking budget in tokens (0: off)"},
	{"supports_thinking", "bool", "per provider", "whether the model accepts a thinking budget"},
	{"no_think_suffix", "string", "\"\"", "appended to every system prompt (Qwen3's \"\\n\\n/no_think\")"},
	{"extra", "mapping", "{}", "extra request-body fields (OpenRouter's reasoning or provider, say)"},
	{"rpm", "int", "0 (none)", "requests per minute the client paces itself to"},
	{"tpm", "int", "0 (none)", "tokens per minute"},
	{"input_tpm", "int", "0 (none)", "input tokens per minute"},
	{"output_tpm", "int", "0 (none)", "output tokens per minute"},
	{"concurrency", "int", "0 (none)", "requests in flight at most"},
	{"prices", "mapping", "{}", "USD per million tokens (see prices fields)"},
	{"execution", "string", "online", "online, batch (the provider's batch API at prices.batch_discount; anthropic, and OpenAI-compatible base URLs serving /files and /batches) or auto (batch when a stage sends at least batch_threshold requests); a node's with.execution wins"},
	{"batch_threshold", "int", "100", "with execution auto: the fewest requests a stage sends through the batch API"},
	{"sim", "mapping", "{}", "options of the sim provider (see sim fields)"},
}

// PriceFields are the fields of a model entry's `prices:`.
var PriceFields = []FieldDoc{
	{"input", "float", "0", "USD per million input tokens"},
	{"output", "float", "0", "USD per million output tokens"},
	{"cache_read", "float", "0", "USD per million input tokens served by the provider's prompt cache"},
	{"cache_write", "float", "0", "USD per million input tokens written to the prompt cache"},
	{"batch_discount", "float in [0, 1]", "0", "the fraction taken off every price for batch-API calls"},
}

// SimFields are the fields of a sim model entry's `sim:`. Rates are
// probabilities in [0, 1] drawn per attempt from a hash of the request, so a
// run is reproducible.
var SimFields = []FieldDoc{
	{"latency", "duration", "0", "base latency of every call (\"100ms\")"},
	{"latency_jitter", "duration", "0", "up to this much more, uniformly; with heavy_tail the scale of a Pareto tail"},
	{"heavy_tail", "bool", "false", "heavy-tailed latency"},
	{"retry_after", "duration", "0", "the Retry-After of simulated 429s"},
	{"rate_limit_rate", "float in [0, 1]", "0", "share of attempts answered with a 429"},
	{"server_error_rate", "float in [0, 1]", "0", "share of attempts answered with a 5xx"},
	{"truncation_rate", "float in [0, 1]", "0", "share of responses cut by max_tokens inside the tool JSON"},
	{"review_rejection_rate", "float in [0, 1]", "0", "share of stage-3 reviews that reject the batch"},
}
