// Package llmstep holds what the three LLM node kinds (generate, infer,
// intervene) share: strict decoding of their `with:` blocks with positions,
// resolving model names to validated llm.ModelSpecs and clients, reading
// upstream batch files, the hash-stable item order behind --limit, the
// replica salt behind with.replica and --resample, and turning llm usage into engine.Usage.
package llmstep
