// Package pipeline loads sptflow pipeline files: strict YAML decoded
// through yaml.Node so every value keeps its file:line:col, `extends`
// merging, variable substitution, foreach expansion and needs wiring. The
// result is an *engine.Graph of *engine.PartitionSpec; the package never
// runs anything.
//
// # File shape
//
// Top-level keys: version (required, must be 1), name (required),
// description, extends, root, prompts (default "prompts"), data (default
// "data"), vars, models, nodes (required, at least one), remote (a shared
// store's URL, checked by Options.ValidateRemote). Node keys: kind
// (required), description, foreach, needs, with, output. Any other key, a
// duplicate key, a YAML merge key (<<) or a value of the wrong type is an
// error. Anchors and aliases may be used; their expansion is bounded (at
// most 262144 values per Load, 100000 partitions per node).
//
// # Project root and directories
//
// `root:` (relative to the directory of the file that writes it) names the
// project root; without it, the root is the nearest ancestor of the
// pipeline file's directory (itself included) holding `.sptflow/`,
// `sptflow.lock`, `.git` or `go.mod`, else that directory. `prompts` and
// `data` are relative to the root (absolute paths are kept);
// Options.DataDir overrides `data`.
//
// # extends
//
// `extends: base.yaml` is relative to the extending file; chains are
// allowed and cycles are errors. The merge is deterministic: mappings merge
// key-wise with the child winning (so `vars`, `models`, each model entry,
// each node, its `with` and its `foreach` merge key-wise), base keys keep
// their order and new keys (new nodes) are appended; lists and scalars are
// replaced. Every message points at the file where the offending value was
// written.
//
// # Variables
//
// `${name}` may appear in any string under `models` and under a node's
// `with`, `foreach` and `output` (not in keys, `kind`, `needs` or
// descriptions). A string that is exactly `${name}` takes the value with
// its type (a list stays a list); otherwise the referenced values must be
// scalars and are interpolated. Within a partition, the node's own foreach
// keys (`${topic}`) are in scope and shadow vars of the same name; in
// `foreach` itself only vars are. `$${` is a literal `${`. Var values are
// literal: they cannot refer to other vars. An undefined name is an error
// at the reference. Options.Sets replaces vars after `extends` merging;
// setting a var that no file defines is an error. `${name}` may be written
// unquoted inside flow collections (`{topic: ${topics}}`), which plain YAML
// would reject.
//
// # Partitions
//
// `foreach` maps each key (an identifier) to a non-empty list of distinct
// scalars, inline or through one `${var}`. Values must not be empty, "." or
// "..", nor contain spaces, "@", ",", "=", "/" or "\", because they appear
// in ids and paths. Several keys give the cartesian product, the first key
// varying slowest. Partition ids: `node` without foreach, `node@value` with
// one key, `node@k1=v1,k2=v2` with several (declaration order).
//
// # Needs
//
// For a partition P of node N and each node M in N's `needs` (in order), P
// needs the partitions of M whose foreach values agree with P on the keys
// both nodes have: same topic to same topic; all of M's partitions when
// they share no key (fan-in); the matching subset when M has keys N lacks.
// A needed node without a matching partition, an unknown or repeated name,
// and cycles are errors; each cycle (one per strongly connected component)
// is printed once, from its first declared node: `cycle: a -> b -> a`.
//
// # Outputs and models
//
// `output:` must be a relative, slash-separated path that stays below the
// data directory after cleaning; two partitions may not share one. Each
// `models:` entry is a mapping with string `provider` and `model`; the whole
// entry (var-substituted) becomes engine.ModelEntry.Raw and is checked by
// Options.ValidateModel.
//
// # Errors
//
// Load collects every problem and returns them together in an *Error
// (wrapping ErrInvalid), sorted by file, line and column, one per line as
// `path:line:col: message` with the path as the user gave it. YAML syntax
// errors carry the file and line (yaml.v3 gives no column). Problems with
// --set carry no position. Loading is deterministic: the same files and
// options give the same Graph and the same error text.
package pipeline
