// Package enginetest runs a single engine.Step without the engine, for unit
// tests of node kinds: it resolves a PartitionSpec, builds a Task whose
// upstream outputs and input files come from memory or disk, and captures
// what the step writes.
package enginetest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/rs/zerolog"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/engine/store"
)

// Output is an in-memory engine.Output.
type Output struct {
	mu    sync.Mutex
	Files map[string][]byte           // written files by path
	Refs  map[string]engine.InputFile // referenced input files by path
}

var _ engine.Output = (*Output)(nil)

// NewOutput returns an empty Output.
func NewOutput() *Output {
	return &Output{Files: map[string][]byte{}, Refs: map[string]engine.InputFile{}}
}

func checkRel(rel string) error {
	if rel == "" || path.IsAbs(rel) || strings.HasPrefix(path.Clean(rel), "..") || strings.Contains(rel, "\\") {
		return fmt.Errorf("output path %q escapes the data directory", rel)
	}
	return nil
}

// WriteFile implements engine.Output.
func (o *Output) WriteFile(rel string, data []byte) error {
	if err := checkRel(rel); err != nil {
		return err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.Files[path.Clean(rel)] = bytes.Clone(data)
	return nil
}

// Reference implements engine.Output.
func (o *Output) Reference(rel string, f engine.InputFile) error {
	if err := checkRel(rel); err != nil {
		return err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.Refs[path.Clean(rel)] = f
	return nil
}

// Paths returns the written paths, sorted.
func (o *Output) Paths() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	ps := make([]string, 0, len(o.Files))
	for p := range o.Files {
		ps = append(ps, p)
	}
	sort.Strings(ps)
	return ps
}

// AsUpstream turns what was written into the sealed output of partition id,
// so a downstream step can be run on it.
func (o *Output) AsUpstream(id engine.PartitionID, node, kind string, foreach ...engine.KV) engine.Upstream {
	o.mu.Lock()
	defer o.mu.Unlock()
	u := engine.Upstream{ID: id, Node: node, Kind: kind, Foreach: foreach}
	for p, data := range o.Files {
		u.Files = append(u.Files, MemFile(p, data))
	}
	for p, f := range o.Refs {
		u.Files = append(u.Files, DiskFile(p, f.Abs))
	}
	sort.Slice(u.Files, func(i, j int) bool { return u.Files[i].Path < u.Files[j].Path })
	return u
}

// AsUpstream is Out.AsUpstream with the plan's OutputDir, as the engine
// hands a sealed output to a downstream partition.
func (r *Result) AsUpstream(id engine.PartitionID, node, kind string, foreach ...engine.KV) engine.Upstream {
	u := r.Out.AsUpstream(id, node, kind, foreach...)
	if r.Plan != nil {
		u.OutputDir = r.Plan.OutputDir
	}
	return u
}

// MemFile is an upstream output file with the given bytes.
func MemFile(rel string, data []byte) engine.OutputFile {
	return engine.OutputFile{
		Path: rel, Digest: store.DigestOf(data), Size: int64(len(data)),
		Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil },
	}
}

// DiskFile is an upstream output file read from disk when opened.
func DiskFile(rel, abs string) engine.OutputFile {
	return engine.OutputFile{Path: rel, Open: func() (io.ReadCloser, error) { return os.Open(abs) }}
}

// DirUpstream exposes every file below dir (matching the path.Match
// pattern on base names, "" for all) as the output of partition id, with
// paths prefix/<relative path>.
func DirUpstream(t testing.TB, id engine.PartitionID, kind, dir, prefix, pattern string) engine.Upstream {
	t.Helper()
	u := engine.Upstream{ID: id, Node: string(id), Kind: kind}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if ok, _ := path.Match(pattern, d.Name()); pattern != "" && !ok {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		u.Files = append(u.Files, DiskFile(path.Join(prefix, filepath.ToSlash(rel)), p))
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", dir, err)
	}
	sort.Slice(u.Files, func(i, j int) bool { return u.Files[i].Path < u.Files[j].Path })
	return u
}

// Spec returns a PartitionSpec for a test partition of kind with the given
// foreach bindings and `with` block; directories point at dir.
func Spec(kind, dir string, with map[string]any, foreach ...engine.KV) *engine.PartitionSpec {
	id := kind
	if len(foreach) > 0 {
		id += "@" + foreach[0].Value
	}
	if with == nil {
		with = map[string]any{}
	}
	pos := map[string]string{}
	for k := range with {
		pos[k] = "test.yaml:1:1"
	}
	return &engine.PartitionSpec{
		ID: engine.PartitionID(id), Node: kind, Kind: kind, Foreach: foreach,
		With: with, WithPos: pos, NodePos: "test.yaml:1:1",
		ProjectRoot: dir, DataDir: filepath.Join(dir, "data"), PromptsDir: filepath.Join(dir, "prompts"),
		Vars: map[string]any{}, Models: map[string]engine.ModelEntry{},
	}
}

// Result is what a test run of a step produced.
type Result struct {
	Plan *engine.Plan
	Out  *Output
	Rows Progress
	// SealedFailedRows is what the step said through
	// Task.SealWithFailedRows (a failure budget).
	SealedFailedRows int
}

// Run resolves spec with step, digests the plan's inputs from disk, and runs
// the step with the given upstream outputs.
func Run(ctx context.Context, step engine.Step, spec *engine.PartitionSpec, upstream ...engine.Upstream) (*Result, error) {
	plan, err := step.Resolve(spec)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", spec.ID, err)
	}
	inputs, err := MatchInputs(spec.ProjectRoot, plan.Inputs)
	if err != nil {
		return nil, err
	}
	res := &Result{Plan: plan, Out: NewOutput()}
	task := &engine.Task{
		Spec: spec, Params: plan.Params, Plan: plan, Inputs: inputs, Upstream: upstream,
		Out: res.Out, Progress: &res.Rows, Usage: &res.Rows, Log: zerolog.Nop(),
	}
	if err := step.Run(ctx, task); err != nil {
		return res, fmt.Errorf("run %s: %w", spec.ID, err)
	}
	res.SealedFailedRows = task.SealedFailedRows()
	return res, nil
}

// MatchInputs resolves InputSpecs against root the way the engine does
// (engine.MatchInputs, reading each file instead of using a stat cache),
// sorted by (spec index, Rel).
func MatchInputs(root string, specs []engine.InputSpec) ([]engine.InputFile, error) {
	return engine.MatchInputs(root, specs, func(p string) (engine.Digest, int64, error) {
		data, err := os.ReadFile(p)
		if err != nil {
			return engine.Digest{}, 0, err
		}
		return store.DigestOf(data), int64(len(data)), nil
	})
}

// Progress records what a step reported; it implements engine.Progress and engine.Meter.
type Progress struct {
	mu                          sync.Mutex
	Total, Rows, Cached, Failed int
	Usage                       engine.Usage
}

// SetTotal implements engine.Progress.
func (p *Progress) SetTotal(n int) { p.mu.Lock(); p.Total = n; p.mu.Unlock() }

// Done implements engine.Progress.
func (p *Progress) Done(n, cached, failed int) {
	p.mu.Lock()
	p.Rows += n
	p.Cached += cached
	p.Failed += failed
	p.mu.Unlock()
}

// Add implements engine.Meter.
func (p *Progress) Add(u engine.Usage) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.Usage.Add(u)
}
