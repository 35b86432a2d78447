package engine

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/sptflow/sptflow/internal/hugebuf"
)

// PartitionID names one partition of a node: "tag@sycophancy", or
// "infer@topic=sycophancy,model=qwen32" when the node has several foreach keys.
// A node without foreach has a single partition whose ID is the node name.
type PartitionID string

// KV is one foreach binding of a partition, in declaration order.
type KV struct {
	Key   string
	Value string
}

// ModelEntry is one entry of the pipeline's `models:` block. The engine does
// not interpret it: steps hand Raw to the llm package. Raw holds the entry
// after `extends` merging and variable substitution; it is canonical JSON-able
// data (maps, slices, strings, numbers, bools).
type ModelEntry struct {
	Name string
	Raw  map[string]any
	Pos  string // "file:line:col" of the entry
	// Broken marks an entry whose problems the pipeline loader already
	// reported (kept in partial loads, see pipeline.Options.Partial; Raw
	// is nil): a step naming it fails its Resolve with ErrReported.
	Broken bool
}

// RunOptions are the command-line options that change what a step produces.
// Steps that honour them must fold them into Plan.Params so they reach the
// node key.
type RunOptions struct {
	// Limit > 0 asks generation steps for a hash-stable subset of at most
	// Limit items per partition (a trial run is a prefix of the full run).
	Limit int
}

// PartitionSpec is everything the pipeline file says about one partition,
// after extends merging, var substitution and foreach expansion.
type PartitionSpec struct {
	ID      PartitionID
	Node    string
	Kind    string
	Foreach []KV
	// With holds the node's `with:` block (var-substituted, not yet
	// validated). The step validates it in Resolve.
	With map[string]any
	// WithPos gives "file:line:col" for each top-level key of With, and
	// NodePos the position of the node itself, for error messages.
	WithPos map[string]string
	NodePos string
	// WithFrom names, for a top-level `with` key whose value is exactly a
	// variable the command line set, where the value came from
	// ("--set batches=abc"), so an error about it names the command line,
	// not only the file's ${batches}.
	WithFrom map[string]string
	// Output is the node's `output:` value (a path relative to the data
	// directory, already checked not to escape it), or "" for the kind's
	// default.
	Output string

	ProjectRoot string // absolute; relative paths in With resolve against it
	DataDir     string // absolute; where outputs are materialized
	PromptsDir  string // absolute; the pipeline's `prompts:` directory
	Vars        map[string]any
	Models      map[string]ModelEntry
	Options     RunOptions
}

// Value returns the foreach value bound to key, or "".
func (s *PartitionSpec) Value(key string) string {
	for _, kv := range s.Foreach {
		if kv.Key == key {
			return kv.Value
		}
	}
	return ""
}

// KeyPos returns the "file:line:col" of the `with` key, or of the node
// when the key has no position (a default, say).
func (s *PartitionSpec) KeyPos(key string) string {
	if p := s.WithPos[key]; p != "" {
		return p
	}
	return s.NodePos
}

// WithErrorf returns an error about the `with` key, placed and named the
// same way by every step: `file:line:col: node "N": with.KEY: message`.
// The format may wrap an error with %w.
func (s *PartitionSpec) WithErrorf(key, format string, args ...any) error {
	if from := s.WithFrom[key]; from != "" {
		format += " (from " + strings.ReplaceAll(from, "%", "%%") + ")"
	}
	return fmt.Errorf("%s: node %q: with.%s: "+format, append([]any{s.KeyPos(key), s.Node, key}, args...)...)
}

// InputSpec declares files a partition reads from outside the store (prompt
// files, a source directory, a config file). The engine digests every matched
// file into the node key, so editing one re-runs the partition.
type InputSpec struct {
	// Path is a file, or a directory when Pattern is set. Relative paths
	// resolve against the project root.
	Path string
	// Pattern, when set, selects the files below the directory Path whose
	// slash-separated relative path matches it (path.Match syntax; "**/" at
	// the start matches any number of leading directories).
	Pattern string
	// Optional inputs may be missing; required ones are a validation error.
	Optional bool
}

// Plan is a step's resolved view of one partition, computed before anything runs.
type Plan struct {
	// Params is the canonical resolved parameter set (defaults applied,
	// model specs inlined, run options folded in). It must marshal to JSON
	// deterministically; it is hashed into the node key and handed back to
	// Run as Task.Params.
	Params any
	// Inputs are the files the partition reads besides upstream outputs.
	Inputs []InputSpec
	// OutputDir is the partition's main output directory, relative to the
	// data directory ("stage_3_tagged/sycophancy"), where downstream steps
	// find its data files (Upstream.DataFiles).
	OutputDir string
	// Outputs are every path (a file, or a directory and all below it) the
	// partition may write, relative to the data directory; OutputDir alone
	// when empty. They are authoritative: Output.WriteFile refuses any other
	// path, and two partitions whose outputs overlap, in one pipeline or in
	// pipelines sharing a data directory, are a configuration error. A
	// partition that declares neither owns the whole data directory.
	Outputs []string
	// NoMaterialize marks outputs that stay in the store only.
	NoMaterialize bool
	// Providers lists the LLM providers the partition will call
	// (informational, e.g. "anthropic").
	Providers []string
	// Env lists the environment variables (API keys) the partition needs;
	// the command reports every unset one before anything runs.
	Env []string
	// Observe, when set, sees the bytes of each input file the engine
	// reads to digest it for the partition's key (one the stat cache does
	// not know, with Options.ObserveInputs), in that same read; what it
	// returns reaches Run as the file's InputFile.Observed. A kind that
	// reads every input whole (a parse) then reads a new file once, where
	// it would read it once to digest and again to run. Its result is of
	// exactly the bytes the file's digest is of: an observation during
	// which the file changed is dropped. Observe runs before the engine
	// knows whether the partition will run (a store hit makes it wasted
	// work), concurrently for several files, and must not keep data,
	// which may be a mapping of the file that is gone after the call.
	Observe func(f InputFile, data []byte) any
}

// Step implements one node kind. Steps are registered explicitly by the
// command (no init registries); they receive their own dependencies (an LLM
// runtime, say) at construction. Node kinds are written as Kind[P] and
// adapted with Adapt (kind.go), which states the contract and the version
// rule.
type Step interface {
	Kind() string
	// Version is part of every node key of this kind: bump it whenever the
	// same inputs would produce different outputs.
	Version() string
	// Resolve validates a partition's parameters and returns its plan. The
	// engine resolves every partition before anything runs, so this is where
	// configuration problems surface: Resolve may read small configuration
	// files (prompt templates, a training config) to validate them, but must
	// not read upstream data or call models. Errors should name the position
	// (spec.WithPos / spec.NodePos).
	Resolve(spec *PartitionSpec) (*Plan, error)
	// Run produces the partition's outputs through t.Out.
	Run(ctx context.Context, t *Task) error
}

// InputFile is one file matched by a Plan input, digested.
type InputFile struct {
	Abs string // absolute path on disk
	Rel string // path relative to the InputSpec's Path (its base name for a single file)
	// Name is how node keys and manifests name the file, the same in every
	// clone of the project: its slash-separated path relative to the project
	// root, or, for a file outside the root, "external#<i>/<Rel>" with i the
	// index of its InputSpec. Never an absolute path.
	Name   string
	Spec   int // index into Plan.Inputs
	Digest Digest
	Size   int64

	observed *observation // see Observed
}

// observation is what Plan.Observe returned for a file.
type observation struct{ v any }

// Observed returns what the partition's Plan.Observe returned for this
// file when it saw the bytes Digest is of; ok is false when it did not
// (the stat cache knew the file, which was not read, or it was too small
// to be mapped, or observing was off), and the step reads the file.
func (f InputFile) Observed() (v any, ok bool) {
	if f.observed == nil {
		return nil, false
	}
	return f.observed.v, true
}

// OutputFile is one file of a sealed partition output.
type OutputFile struct {
	Path   string // slash-separated, relative to the data directory
	Digest Digest
	Size   int64
	// Open reads the file's bytes from the store, verifying its digest.
	Open func() (io.ReadCloser, error)
}

// ReadAll reads the whole file (verified against its digest by Open).
func (f OutputFile) ReadAll() ([]byte, error) {
	b, err := f.ReadInto(nil)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", f.Path, err)
	}
	return b, nil
}

// ReadInto is ReadAll into buf's storage (from its start), grown first to
// the file's size when it is too small, so a caller reading many files
// can reuse one buffer: the result shares buf's storage when it fits. Its
// errors are Open's and the reader's as they are, for a caller that names
// the file itself.
func (f OutputFile) ReadInto(buf []byte) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return buf[:0], err
	}
	defer rc.Close()
	return readFull(rc, f.Size, buf)
}

// readFull reads r to EOF into buf's storage, grown first to size+1 when
// smaller (the +1 for the read that sees EOF), so a file of the expected
// size is read without a doubling copy; a large buffer is made of huge
// pages (internal/hugebuf), which fault in 512 times less often.
func readFull(r io.Reader, size int64, buf []byte) ([]byte, error) {
	if need := int(size) + 1; cap(buf) < need {
		buf = hugebuf.Make(need)
	}
	b := buf[:0]
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

// Upstream is the sealed output of one partition this partition needs.
type Upstream struct {
	ID      PartitionID
	Node    string
	Kind    string
	Foreach []KV
	Digest  Digest       // manifest digest
	Files   []OutputFile // sorted by Path
	// OutputDir is the upstream partition's main output directory
	// (Plan.OutputDir), relative to the data directory.
	OutputDir string
}

// DataFiles returns the upstream's files in its main output directory
// (all of them when it has none) whose names end in ext (".json"): the
// batch files a downstream step reads, without side files such as
// reports or logs written elsewhere.
func (u *Upstream) DataFiles(ext string) []OutputFile {
	prefix := ""
	if u.OutputDir != "" && u.OutputDir != "." {
		prefix = strings.TrimSuffix(u.OutputDir, "/") + "/"
	}
	var out []OutputFile
	for _, f := range u.Files {
		if strings.HasPrefix(f.Path, prefix) && strings.HasSuffix(f.Path, ext) {
			out = append(out, f)
		}
	}
	return out
}

// Output receives a running partition's files. Safe for concurrent use.
type Output interface {
	// WriteFile stores data at rel (slash-separated, relative to the data
	// directory, must not escape it). Writing the same path twice replaces it.
	WriteFile(rel string, data []byte) error
	// Reference adds an input file to the output without copying it into
	// the store (used by source nodes such as load). It is never
	// materialized; readers verify its digest.
	Reference(rel string, f InputFile) error
}

// Progress is how a running partition reports rows. Safe for concurrent use.
type Progress interface {
	SetTotal(n int)
	// Done records finished rows: cached ones came from the request store,
	// failed ones were recorded as failed rows.
	Done(n, cached, failed int)
}

// Usage is LLM usage accounted to a partition.
type Usage struct {
	Requests     int     `json:"requests"` // requests sent to a provider
	Cached       int     `json:"cached"`   // served from the request store
	Failed       int     `json:"failed"`   // rows recorded as failed
	InputTokens  int64   `json:"input_tokens"`
	OutputTokens int64   `json:"output_tokens"`
	CacheRead    int64   `json:"cache_read_tokens"`
	CacheWrite   int64   `json:"cache_write_tokens"`
	CostUSD      float64 `json:"cost_usd"`
	// ServedCostUSD is what the calls served from the request store cost
	// when a run bought them (an interrupted run of this partition, another
	// partition or experiment): with CostUSD, what the output's responses
	// cost, whichever runs paid for them.
	ServedCostUSD float64  `json:"served_cost_usd,omitempty"`
	ServedModels  []string `json:"served_models,omitempty"`
}

// Meter accumulates Usage for a partition. Safe for concurrent use.
type Meter interface {
	Add(u Usage)
}

// Task is one partition being executed.
type Task struct {
	Spec     *PartitionSpec
	Params   any // Plan.Params, unchanged
	Plan     *Plan
	Inputs   []InputFile // matched input files, sorted by (Spec, Rel)
	Upstream []Upstream  // in the order of the node's needs, then partition order
	Out      Output
	Progress Progress
	Usage    Meter
	Log      zerolog.Logger
	Started  time.Time

	failedRows int // see SealWithFailedRows
}

// ID returns the partition ID.
func (t *Task) ID() PartitionID { return t.Spec.ID }
