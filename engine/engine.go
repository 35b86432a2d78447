package engine

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/rs/zerolog"

	"github.com/sptflow/sptflow/engine/store"
)

// Options configure an Engine.
type Options struct {
	// Steps maps a kind to its implementation.
	Steps map[string]Step
	// Store holds objects, manifests, key components and leases.
	Store *store.Store
	// LockPath is the lock file (sptflow.lock), updated once at the end of
	// every run with the partitions that produced or reused an output.
	LockPath string
	// LockCodec is the lock file's format (engine/lockyaml.Codec); required
	// with LockPath.
	LockCodec store.LockCodec
	// Log receives the engine's log lines.
	Log zerolog.Logger
	// KeyDebug, when set, receives every component of every node key
	// computed (SPTFLOW_DEBUG=nodekey).
	KeyDebug io.Writer
}

// Engine plans, keys and runs one expanded pipeline.
type Engine struct {
	g     *Graph
	opt   Options
	nodes map[PartitionID]*node
	order []PartitionID // topological, stable in graph order
	rs    resampling    // replicas not the pipeline file's (resample.go)
	lock  lockState     // lock.go
}

// node is one resolved partition.
type node struct {
	spec   *PartitionSpec
	step   Step
	plan   *Plan
	inputs []InputFile
}

// New resolves every partition with its step and digests its declared
// inputs. All configuration problems are reported at once, as an error
// matching ErrInvalid: unknown kinds, Resolve errors, missing required
// inputs, cycles, partitions whose outputs overlap.
func New(g *Graph, opt Options) (*Engine, error) {
	if opt.LockPath != "" && opt.LockCodec == nil {
		return nil, fmt.Errorf("new engine: lock file %s without a LockCodec", opt.LockPath)
	}
	e := &Engine{g: g, opt: opt, nodes: make(map[PartitionID]*node, len(g.Partitions))}
	if err := e.loadReplicas(); err != nil {
		return nil, err
	}
	var errs []error
	for _, spec := range g.Partitions {
		n, err := e.resolve(spec)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		e.nodes[spec.ID] = n
	}
	order, err := topoOrder(g)
	if err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, checkCollisions(g, e.nodes)...)
	if len(errs) > 0 {
		return nil, invalid(errs...)
	}
	e.order = order
	return e, nil
}

// Graph returns the graph the engine was built from.
func (e *Engine) Graph() *Graph { return e.g }

// Plan returns the resolved plan of partition id, or nil.
func (e *Engine) Plan(id PartitionID) *Plan {
	if n := e.nodes[id]; n != nil {
		return n.plan
	}
	return nil
}

func (e *Engine) resolve(spec *PartitionSpec) (*node, error) {
	step := e.opt.Steps[spec.Kind]
	if step == nil {
		return nil, fmt.Errorf("%s: node %q: unknown kind %q (known: %s)", spec.NodePos, spec.Node, spec.Kind, knownKinds(e.opt.Steps))
	}
	spec = e.replicaSpec(spec)
	plan, err := step.Resolve(spec)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", spec.ID, err)
	}
	inputs, err := e.digestInputs(spec, plan.Inputs)
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", spec.NodePos, spec.ID, err)
	}
	return &node{spec: spec, step: step, plan: plan, inputs: inputs}, nil
}

func knownKinds(steps map[string]Step) string {
	ks := make([]string, 0, len(steps))
	for k := range steps {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, ", ")
}

// digestInputs matches and digests every declared input file, through the
// store's stat cache, sorted by (spec index, relative path).
func (e *Engine) digestInputs(spec *PartitionSpec, ins []InputSpec) ([]InputFile, error) {
	return MatchInputs(spec.ProjectRoot, ins, e.opt.Store.DigestFile)
}

// MatchInputs matches the files of every InputSpec (relative paths resolve
// against root) and digests each with digest, sorted by (spec index,
// relative path). A missing required input is an error; a missing optional
// one matches nothing. The engine digests through the store's stat cache;
// enginetest reads the files.
func MatchInputs(root string, ins []InputSpec, digest func(path string) (Digest, int64, error)) ([]InputFile, error) {
	var files []InputFile
	for i, in := range ins {
		p := in.Path
		if !filepath.IsAbs(p) {
			p = filepath.Join(root, p)
		}
		matched, err := matchInput(p, in.Pattern)
		if errors.Is(err, os.ErrNotExist) {
			if in.Optional {
				continue
			}
			return nil, fmt.Errorf("missing input %s", in.Path)
		}
		if err != nil {
			return nil, fmt.Errorf("input %s: %w", in.Path, err)
		}
		for _, m := range matched {
			d, size, err := digest(m[0])
			if err != nil {
				return nil, fmt.Errorf("digest input %s: %w", m[0], err)
			}
			files = append(files, InputFile{Abs: m[0], Rel: m[1], Name: portableName(root, i, m[0], m[1]), Spec: i, Digest: d, Size: size})
		}
	}
	return files, nil
}

// portableName is InputFile.Name: abs relative to root (slash-separated)
// when it lies below root, else "external#<spec>/<rel>".
func portableName(root string, spec int, abs, rel string) string {
	if root != "" {
		if r, err := filepath.Rel(root, abs); err == nil && r != ".." && !strings.HasPrefix(r, ".."+string(filepath.Separator)) {
			return filepath.ToSlash(r)
		}
	}
	return fmt.Sprintf("external#%d/%s", spec, rel)
}

// matchInput returns [absolute, relative] pairs: the file itself when
// pattern is empty, else the files below dir whose relative path matches.
func matchInput(p, pattern string) ([][2]string, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if pattern == "" {
		if fi.IsDir() {
			return nil, fmt.Errorf("%s is a directory, not a file", p)
		}
		return [][2]string{{p, filepath.Base(p)}}, nil
	}
	var out [][2]string
	err = filepath.WalkDir(p, func(f string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(p, f)
		rel = filepath.ToSlash(rel)
		if matchPattern(pattern, rel) {
			out = append(out, [2]string{f, rel})
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i][1] < out[j][1] })
	return out, err
}

// matchPattern matches rel against a path.Match pattern; a leading "**/"
// matches any number of leading directories.
func matchPattern(pattern, rel string) bool {
	if rest, ok := strings.CutPrefix(pattern, "**/"); ok {
		parts := strings.Split(rel, "/")
		for i := range parts {
			if ok, _ := path.Match(rest, strings.Join(parts[i:], "/")); ok {
				return true
			}
		}
		return false
	}
	ok, _ := path.Match(pattern, rel)
	return ok
}

// topoOrder orders partitions so that needs come first, keeping graph
// order among independent ones. A cycle is an error that prints it.
func topoOrder(g *Graph) ([]PartitionID, error) {
	state := map[PartitionID]int{} // 0 new, 1 visiting, 2 done
	order := make([]PartitionID, 0, len(g.Partitions))
	var stack []PartitionID
	var visit func(id PartitionID) error
	visit = func(id PartitionID) error {
		switch state[id] {
		case 1:
			return cycleError(g, stack, id)
		case 2:
			return nil
		}
		state[id] = 1
		stack = append(stack, id)
		for _, n := range g.Needs[id] {
			if err := visit(n); err != nil {
				return err
			}
		}
		stack = stack[:len(stack)-1]
		state[id] = 2
		order = append(order, id)
		return nil
	}
	for _, p := range g.Partitions {
		if err := visit(p.ID); err != nil {
			return nil, err
		}
	}
	return order, nil
}

func cycleError(g *Graph, stack []PartitionID, id PartitionID) error {
	i := len(stack) - 1
	for i > 0 && stack[i] != id {
		i--
	}
	parts := make([]string, 0, len(stack)-i+1)
	for _, s := range stack[i:] {
		parts = append(parts, string(s))
	}
	parts = append(parts, string(id))
	return fmt.Errorf("%s: dependency cycle: %s", g.Path, strings.Join(parts, " -> "))
}

// key computes the key description of n given its upstream outputs.
func (e *Engine) key(n *node, outputs func(PartitionID) (Digest, bool)) (KeyDesc, bool, error) {
	var ups []UpstreamDigest
	for _, u := range e.g.Needs[n.spec.ID] {
		d, ok := outputs(u)
		if !ok {
			return nil, false, nil
		}
		ups = append(ups, UpstreamDigest{ID: u, Digest: d})
	}
	desc, err := Describe(n.spec.Kind, n.step.Version(), n.plan.Params, n.inputs, n.plan.Inputs, ups)
	if err != nil {
		return nil, false, fmt.Errorf("key %s: %w", n.spec.ID, err)
	}
	if e.opt.KeyDebug != nil {
		desc.Dump(e.opt.KeyDebug, n.spec.ID)
	}
	return desc, true, nil
}
