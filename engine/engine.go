package engine

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/rs/zerolog"

	"github.com/sptflow/sptflow/engine/store"
	"github.com/sptflow/sptflow/internal/suggest"
)

// Options configure an Engine.
type Options struct {
	// Steps maps a kind to its implementation.
	Steps map[string]Step
	// Store holds objects, manifests, key components and leases.
	Store *store.Store
	// Shared, when set, is a store shared with other machines behind
	// Store (shared.go): read through, pushed to, leased in.
	Shared SharedStore
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
	// MaxDataFile bounds each matched input file, in bytes (0: no limit);
	// a larger file is an input problem of its partition (inputs.go).
	MaxDataFile int64
	// ObserveInputs hands the input files the engine reads for their
	// digests to their partitions' Plan.Observe, in the same read. A run
	// sets it (the partitions it digests are those it plans, which will
	// most likely execute); status and dry runs, which would observe for
	// nothing, do not.
	ObserveInputs bool
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
	spec *PartitionSpec
	step Step
	plan *Plan
	// in are the partition's input files, digested when first needed
	// (inputs_lazy.go): files and inputProblems.
	in   *lazyInputs
	keys keyMemo // key_memo.go
}

// New resolves every partition with its step and matches its declared
// inputs (they are digested when first needed). All configuration problems are reported at once, as an error
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
	var errs problems
	for _, spec := range g.Partitions {
		n, err := e.resolve(spec)
		if err != nil {
			errs.add(err)
			continue
		}
		e.nodes[spec.ID] = n
	}
	order, err := topoOrder(g)
	if err != nil {
		errs.add(err)
	}
	for _, err := range checkCollisions(g, e.nodes) {
		errs.add(err)
	}
	if len(errs.list) > 0 {
		return nil, invalid(errs.list...)
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
		known := knownKinds(e.opt.Steps)
		if s := suggest.DidYouMean(spec.Kind, known); s != "" {
			return nil, fmt.Errorf("%s: node %q: unknown kind %q%s", spec.NodePos, spec.Node, spec.Kind, s)
		}
		return nil, fmt.Errorf("%s: node %q: unknown kind %q (known: %s)", spec.NodePos, spec.Node, spec.Kind, strings.Join(known, ", "))
	}
	readsErr := e.checkReads(spec, step)
	spec = e.replicaSpec(spec)
	plan, err := step.Resolve(spec)
	if err != nil {
		// placed by the step; the same for every partition of a node, it is reported once
		return nil, errors.Join(readsErr, err)
	}
	if readsErr != nil {
		return nil, readsErr
	}
	in, err := e.matchInputs(spec, plan)
	if err != nil {
		return nil, fmt.Errorf("%s: node %q: %w", spec.NodePos, spec.Node, err)
	}
	return &node{spec: spec, step: step, plan: plan, in: in}, nil
}

// checkReads refuses a partition of a kind that reads upstream outputs
// (KindInfo.Reads) when it has no upstream.
func (e *Engine) checkReads(spec *PartitionSpec, step Step) error {
	info, ok := Info(step)
	if !ok || info.Reads == "" || len(e.g.Needs[spec.ID]) > 0 || e.g.Partial {
		return nil
	}
	return fmt.Errorf("%s: node %q: kind %s reads %s, and the node needs nothing: add needs: [...]", spec.NodePos, spec.Node, spec.Kind, info.Reads)
}

func knownKinds(steps map[string]Step) []string {
	ks := make([]string, 0, len(steps))
	for k := range steps {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// problems collects configuration errors, each once: the leaves of joined
// errors are kept apart, and a message already seen (the same problem of a
// node in each of its partitions) is dropped. Typed errors are kept as
// they are, so errors.As finds them in the joined result.
type problems struct {
	list []error
	seen map[string]bool
}

func (ps *problems) add(err error) {
	if j, ok := err.(interface{ Unwrap() []error }); ok && isJoin(err) {
		for _, e := range j.Unwrap() {
			ps.add(e)
		}
		return
	}
	if ps.seen == nil {
		ps.seen = map[string]bool{}
	}
	if msg := err.Error(); !ps.seen[msg] {
		ps.seen[msg] = true
		ps.list = append(ps.list, err)
	}
}

// isJoin reports whether err is a plain errors.Join (whose message is its
// leaves', one per line), not a typed error that wraps several.
func isJoin(err error) bool {
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return false
	}
	var lines []string
	for _, e := range j.Unwrap() {
		lines = append(lines, e.Error())
	}
	return err.Error() == strings.Join(lines, "\n")
}

// matchInputs matches every declared input file and checks it without
// reading it; the files are digested, through the store's stat cache and
// sorted by (spec index, relative path), when the partition's inputs are
// first needed (inputs_lazy.go). Per-file problems are set apart
// (inputs.go).
func (e *Engine) matchInputs(spec *PartitionSpec, plan *Plan) (*lazyInputs, error) {
	matched, err := matchInputList(spec.ProjectRoot, plan.Inputs, e.opt.MaxDataFile)
	if err != nil {
		return nil, err
	}
	in := &lazyInputs{matched: matched, digest: e.opt.Store.DigestStatObserved, pair: e.opt.Store.DigestStat2Observed, known: e.opt.Store.KnownDigestStat}
	if e.opt.ObserveInputs {
		in.observe = plan.Observe
	}
	return in, nil
}

// MatchInputs matches the files of every InputSpec (relative paths resolve
// against root) and digests each with digest, sorted by (spec index,
// relative path). A missing required input is an error; a missing optional
// one matches nothing. digest is called for several files at once. The
// engine digests through the store's stat cache; enginetest reads the
// files.
func MatchInputs(root string, ins []InputSpec, digest func(path string) (Digest, int64, error)) ([]InputFile, error) {
	files, problems, err := matchInputFiles(root, ins, func(abs string, _ fs.FileInfo) (Digest, int64, error) { return digest(abs) }, 0)
	if err == nil {
		err = problems
	}
	return files, err
}

// portableName is InputFile.Name: abs relative to root (slash-separated)
// when it lies below root, else "external#<spec>/<rel>".
func portableName(root string, spec int, abs, rel string) string {
	if r, ok := belowRoot(root, abs); ok {
		return r
	}
	return "external#" + strconv.Itoa(spec) + "/" + rel
}

// belowRoot returns abs relative to root, slash-separated, when it lies
// below root.
func belowRoot(root, abs string) (string, bool) {
	if root == "" {
		return "", false
	}
	r, err := filepath.Rel(root, abs)
	if err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		return "", false
	}
	return filepath.ToSlash(r), true
}

// shownPath is how messages name the file or directory abs: relative to
// the project root when it lies below it, else absolute (a path the user
// can act on, where a portable name such as external#0/x.json is not).
func shownPath(root, abs string) string {
	if r, ok := belowRoot(root, abs); ok {
		return r
	}
	return abs
}

// shown is how messages name the input file: its Name below the project
// root, else its absolute path (see shownPath).
func (f InputFile) shown() string {
	if strings.HasPrefix(f.Name, "external#") {
		return f.Abs
	}
	return f.Name
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
	if err := n.inputProblems(); err != nil {
		return nil, false, err
	}
	var ups []UpstreamDigest
	for _, u := range e.g.Needs[n.spec.ID] {
		d, ok := outputs(u)
		if !ok {
			return nil, false, nil
		}
		ups = append(ups, UpstreamDigest{ID: u, Digest: d})
	}
	desc, ok := n.keys.get(ups)
	if !ok {
		var err error
		if desc, err = Describe(n.spec.Kind, n.step.Version(), n.plan.Params, n.files(), n.plan.Inputs, ups); err != nil {
			return nil, false, fmt.Errorf("describe key: %w", err)
		}
		n.keys.put(ups, desc)
	}
	if e.opt.KeyDebug != nil {
		desc.Dump(e.opt.KeyDebug, n.spec.ID)
	}
	return desc, true, nil
}
