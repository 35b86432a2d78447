package pipeline

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/internal/suggest"
)

// Options are the command-line inputs to Load.
type Options struct {
	// Sets overrides vars (--set NAME=VALUE). VALUE is parsed as a YAML
	// scalar or flow sequence ("[a, b]"). Setting a var the pipeline (with
	// its bases) does not define is an error.
	Sets map[string]string
	// DataDir overrides the pipeline's `data:` (--data). A relative path is
	// made absolute against the working directory.
	DataDir string
	// Kinds are the known node kinds; a node of another kind is an error.
	// When nil, kinds are not checked.
	Kinds map[string]bool
	// ValidateModel, when set, checks each `models:` entry; its error is
	// reported at the entry's position.
	ValidateModel func(name string, raw map[string]any) error
	// ValidateRemote, when set, checks the `remote:` store URL; its error
	// is reported at the value's position.
	ValidateRemote func(url string) error
	// Run is copied into every PartitionSpec.Options.
	Run engine.RunOptions
	// Partial makes Load return what it could build along with its error,
	// so that a caller can check the rest (resolve the nodes with the
	// engine) and report every problem in one pass; see Pipeline.Resolvable.
	Partial bool
}

// Pipeline is a loaded, validated pipeline file.
type Pipeline struct {
	Path        string // the file as given to Load
	Name        string
	Description string
	Version     int
	// ProjectRoot, DataDir and PromptsDir are absolute.
	ProjectRoot, DataDir, PromptsDir string
	Vars                             map[string]any // after --set
	Models                           map[string]engine.ModelEntry
	Nodes                            []*Node // declaration order
	Graph                            *engine.Graph
	// Remote is the `remote:` store URL ("" without one), RemotePos its
	// "file:line:col".
	Remote, RemotePos string

	// broken are the nodes whose declaration had a problem, graphBroken
	// says the file had one that leaves nothing to resolve against (its
	// structure, its root, data or prompts directory), needsBroken that
	// the graph had one (needs, cycles, outputs); set by a Partial Load
	// that failed.
	broken      map[string]bool
	graphBroken bool
	needsBroken bool
}

// Resolvable returns, after a Partial Load that failed, the part of the
// graph whose declarations had no problem (every partition of a sound node,
// needing only sound partitions; needing nothing when the needs themselves
// are in question), for the engine to check further (each node's with:,
// prompt and config files), so that one validate reports every problem;
// nil when the problems leave no such part (a broken structure, say).
func (p *Pipeline) Resolvable() *engine.Graph {
	if p == nil || p.Graph == nil || p.graphBroken {
		return nil
	}
	g := &engine.Graph{Name: p.Graph.Name, Path: p.Graph.Path, Needs: map[engine.PartitionID][]engine.PartitionID{}, Partial: true}
	keep := map[engine.PartitionID]bool{}
	for _, s := range p.Graph.Partitions {
		if !p.broken[s.Node] {
			keep[s.ID] = true
			g.Partitions = append(g.Partitions, s)
		}
	}
	if p.needsBroken {
		return g
	}
	for _, s := range g.Partitions {
		for _, u := range p.Graph.Needs[s.ID] {
			if keep[u] {
				g.Needs[s.ID] = append(g.Needs[s.ID], u)
			}
		}
	}
	return g
}

// Node is one entry of `nodes:`.
type Node struct {
	Name        string
	Kind        string
	Description string
	ForeachKeys []string // declaration order
	Needs       []string // as written
	Pos         string   // "file:line:col" of the node's name
	Partitions  []engine.PartitionID
}

// loader holds the state of one Load.
type loader struct {
	opt   Options
	probs problems
	file  map[*yaml.Node]string // the file each node was written in
	src   map[string][]string   // lines of each file, for exact positions
	spent int                   // nodes visited, bounded by maxExpand
	bases []baseName            // the names of the files extended

	// broken, graphBroken and needsBroken attribute problems
	// (Pipeline.Resolvable).
	broken      map[string]bool
	graphBroken bool
	needsBroken bool
}

// Load reads the pipeline file at path (and the files it extends),
// validates it and expands it into a graph of partitions. Every problem is
// reported at once in an *Error wrapping ErrInvalid.
func Load(path string, opt Options) (*Pipeline, error) {
	l := &loader{opt: opt, file: map[*yaml.Node]string{}, src: map[string][]string{}, broken: map[string]bool{}}
	p := l.load(path)
	if err := l.probs.err(); err != nil {
		if !opt.Partial || p == nil {
			return nil, err
		}
		p.broken, p.graphBroken, p.needsBroken = l.broken, l.graphBroken, l.needsBroken
		return p, err
	}
	return p, nil
}

// topKeys are the keys a pipeline file may have.
var topKeys = map[string]bool{
	"version": true, "name": true, "description": true, "extends": true, "root": true,
	"prompts": true, "data": true, "vars": true, "models": true, "nodes": true, "remote": true,
}

func (l *loader) load(path string) *Pipeline {
	m := l.loadChain(path, Pos{File: path}, nil)
	if m == nil {
		return nil
	}
	top := map[string]*yaml.Node{}
	ents, _ := l.entries(m, "pipeline")
	for _, e := range ents {
		if !topKeys[e.Name] {
			l.errorf(e.Key, "unknown key %q in pipeline%s", e.Name, suggest.DidYouMean(e.Name, slices.Sorted(maps.Keys(topKeys))))
			continue
		}
		top[e.Name] = e.Val
	}
	p := &Pipeline{Path: path}
	l.header(m, top, p)
	l.dirs(top, p)
	if !l.probs.empty() {
		l.graphBroken = true // no sound root, data or prompts directory to resolve against
	}
	p.Vars = l.vars(top["vars"])
	p.Models = l.models(top["models"], p.Vars)
	l.nodes(m, top["nodes"], p)
	return p
}

// header decodes version, name and description.
func (l *loader) header(m *yaml.Node, top map[string]*yaml.Node, p *Pipeline) {
	if v := top["version"]; v == nil {
		l.errorf(m, "version is required (version: 1)")
	} else if n := resolve(v); n.ShortTag() != "!!int" {
		l.errorf(n, "version: expected an integer, got %s", describe(n))
	} else if n.Value != "1" {
		l.errorf(n, "unsupported version %s (want 1)", n.Value)
	} else {
		p.Version = 1
	}
	if v := top["name"]; v == nil {
		l.errorf(m, "name is required")
	} else if ext := top["extends"]; ext != nil && l.file[resolve(v)] != p.Path {
		l.errorf(ext, "a pipeline that extends another must set its own name (it would share the base's lock entries and outputs)")
	} else if s, ok := l.str(v, "name"); ok {
		if strings.TrimSpace(s) == "" {
			l.errorf(v, "name must not be empty")
		}
		for _, b := range l.bases {
			if b.name == s {
				l.errorf(v, "name %q is also the name of %s, which this pipeline extends: an experiment needs a name of its own (it would share the base's lock entries and outputs)", s, b.file)
				break
			}
		}
		p.Name = s
	}
	if v := top["description"]; v != nil {
		p.Description, _ = l.str(v, "description")
	}
	l.remote(top["remote"], p)
}

// remote decodes `remote:`, the URL of a shared store (credentials come
// from the environment, never from the file).
func (l *loader) remote(v *yaml.Node, p *Pipeline) {
	if v == nil {
		return
	}
	s, ok := l.str(v, "remote")
	if !ok {
		return
	}
	if s == "" {
		l.errorf(v, "remote: empty URL (leave the key out for no remote store)")
		return
	}
	if l.opt.ValidateRemote != nil {
		if err := l.opt.ValidateRemote(s); err != nil {
			l.errorf(v, "remote: %v", err)
			return
		}
	}
	p.Remote, p.RemotePos = s, l.pos(resolve(v)).String()
}

// dirs resolves the project root, the prompts and the data directory.
func (l *loader) dirs(top map[string]*yaml.Node, p *Pipeline) {
	abs, err := filepath.Abs(p.Path)
	if err != nil {
		l.probs.add(Pos{File: p.Path}, "resolve path: %v", err)
		return
	}
	p.ProjectRoot = FindProjectRoot(filepath.Dir(abs))
	if v := top["root"]; v != nil {
		if s, ok := l.str(v, "root"); ok {
			fileAbs, _ := filepath.Abs(l.file[resolve(v)])
			p.ProjectRoot = absUnder(filepath.Dir(fileAbs), s)
			if fi, err := os.Stat(p.ProjectRoot); err != nil || !fi.IsDir() {
				l.errorf(v, "root: %s is not a directory", p.ProjectRoot)
			}
		}
	}
	p.PromptsDir = l.dir(top["prompts"], "prompts", p.ProjectRoot)
	p.DataDir = l.dataDir(top, p)
	if l.opt.DataDir != "" {
		d, err := filepath.Abs(l.opt.DataDir)
		if err != nil {
			l.probs.add(Pos{}, "--data %s: %v", l.opt.DataDir, err)
		}
		p.DataDir = d
	}
}

// dataDir returns the pipeline's output tree, absolute: its own `data:`, or
// data/<name> by default. `data:` is not inherited through extends (one
// written in a base file is ignored), so an experiment never materializes
// into the tree of the pipeline it extends.
func (l *loader) dataDir(top map[string]*yaml.Node, p *Pipeline) string {
	if v := top["data"]; v != nil && l.file[resolve(v)] == p.Path {
		return l.dir(v, "data", p.ProjectRoot)
	}
	if p.Name == "" {
		return ""
	}
	if p.Name == "." || p.Name == ".." || strings.ContainsAny(p.Name, "/\\") || strings.TrimSpace(p.Name) != p.Name {
		at := top["name"]
		l.errorf(at, "name %q cannot name the default data directory data/<name>; set data:", p.Name)
		return ""
	}
	return absUnder(p.ProjectRoot, filepath.Join("data", p.Name))
}

// dir returns the directory named by v (default def), absolute against root.
func (l *loader) dir(v *yaml.Node, def, root string) string {
	s := def
	if v != nil {
		var ok bool
		if s, ok = l.str(v, def); ok && s == "" {
			l.errorf(v, "%s must not be empty", def)
		}
	}
	return absUnder(root, s)
}

// vars decodes `vars:` (values are literal) and applies --set.
func (l *loader) vars(n *yaml.Node) map[string]any {
	vars := map[string]any{}
	ents, _ := l.entries(orNull(n), "vars")
	for _, e := range ents {
		if !isIdent(e.Name) {
			l.errorf(e.Key, "vars: invalid variable name %q (letters, digits and _)", e.Name)
			continue
		}
		vars[e.Name], _ = l.value(e.Val, &scope{literal: true}, "var \""+e.Name+"\": ")
	}
	names := make([]string, 0, len(l.opt.Sets))
	for name := range l.opt.Sets {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		raw := l.opt.Sets[name]
		if _, ok := vars[name]; !ok {
			l.probs.add(Pos{}, "--set %s=%s: the pipeline defines no variable %q%s", name, raw, name, suggest.DidYouMean(name, slices.Sorted(maps.Keys(vars))))
			continue
		}
		v, err := parseSet(raw)
		if err != nil {
			l.probs.add(Pos{}, "--set %s=%s: %v", name, raw, err)
			continue
		}
		vars[name] = v
	}
	return vars
}

// orNull returns n, or a null node when n is nil.
func orNull(n *yaml.Node) *yaml.Node {
	if n == nil {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"}
	}
	return n
}

// models decodes `models:`.
func (l *loader) models(n *yaml.Node, vars map[string]any) map[string]engine.ModelEntry {
	models := map[string]engine.ModelEntry{}
	ents, _ := l.entries(orNull(n), "models")
	for _, e := range ents {
		ctx := "model \"" + e.Name + "\": "
		if !isName(e.Name) {
			l.errorf(e.Key, "invalid model name %q", e.Name)
			continue
		}
		pos := l.pos(e.Key).String()
		// In a Partial load a broken entry stays, marked Broken, so the
		// nodes naming it are not told it is unknown and add nothing to
		// the problems reported here.
		broken := engine.ModelEntry{Name: e.Name, Pos: pos, Broken: true}
		if v := resolve(e.Val); v.Kind != yaml.MappingNode {
			l.errorf(v, "%sexpected a mapping, got %s", ctx, describe(v))
			l.keepBroken(models, broken)
			continue
		}
		raw, ok := l.value(e.Val, &scope{vars: vars}, ctx)
		if !ok {
			l.keepBroken(models, broken)
			continue
		}
		me := engine.ModelEntry{Name: e.Name, Raw: raw.(map[string]any), Pos: pos}
		if !l.checkModel(e, me.Raw, ctx) {
			l.keepBroken(models, broken)
			continue
		}
		models[e.Name] = me
	}
	return models
}

// keepBroken records a model entry whose problems were reported, in a
// Partial load.
func (l *loader) keepBroken(models map[string]engine.ModelEntry, e engine.ModelEntry) {
	if l.opt.Partial {
		models[e.Name] = e
	}
}

// checkModel checks the required fields of a model entry and runs
// Options.ValidateModel, reporting every problem; it says whether none was found.
func (l *loader) checkModel(e entry, raw map[string]any, ctx string) bool {
	ok := true
	for _, field := range []string{"provider", "model"} {
		s, isStr := raw[field].(string)
		switch {
		case raw[field] == nil:
			l.errorf(e.Key, "%s%s is required", ctx, field)
			ok = false
		case !isStr || s == "":
			at := e.Key
			if v := lookup(e.Val, field); v != nil {
				at = resolve(v)
			}
			l.errorf(at, "%s%s must be a non-empty string, got %s", ctx, field, typeName(raw[field]))
			ok = false
		}
	}
	if !ok {
		return false
	}
	if l.opt.ValidateModel != nil {
		if err := l.opt.ValidateModel(e.Name, raw); err != nil {
			l.modelProblems(e, ctx, err)
			return false
		}
	}
	return true
}
