// Package export implements the export node kind: the training set that a
// training config in the original's format selects from tagged stage-3
// data, assembled the way the original training loader does (spec
// §10.3–10.4), written in three forms with one line per sample in the same
// order: JSONL with provenance and the loader's formatting (train.jsonl),
// chat-format JSONL (train_chat.jsonl) and TRL's conversational
// prompt-completion JSONL (train_prompt_completion.jsonl), whose prompt
// ends with the original response so that a completion-only loss is never
// taken on it. The summary counts the samples, what was filtered and why,
// and how many hold data from the sim provider.
//
// One sample is made per intervention record that survives the filters:
// its key is one of intervention_types and none of its tags — the record's
// own plus its variant's — is in tags_to_filter. Order is deterministic:
// topics sorted, files sorted by name, items, models (sorted by name when
// all models are exported), variants A then B, intervention keys in stored
// order.
//
// The files are read a few at a time (in parallel, consumed in order) and
// each sample's lines are written to the open output files at once, so
// memory does not grow with the data; a topic split by validation_holdout
// is read twice, first to count its samples.
//
// Options cover what the original loader got wrong, all off by default so
// that counts match what the original trained on: drop_verdicts (e.g.
// AMBIGUOUS and ERROR), and validation_holdout (the per-topic stride split
// the original applied even with no validation topics).
//
// The chat forms carry the plain system prompt, without the config's
// system_tag. No tokenizer is involved, so the split-personality special
// token is rendered as text in the chat outputs: sp_token_text, by default
// "<split-personality-token>", placed between the response and the
// formatted intervention when the config's add_sp_token is set.
package export
