package pipeline

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/internal/suggest"
)

// nodeKeys are the keys a node may have.
var nodeKeys = map[string]bool{
	"kind": true, "description": true, "foreach": true, "needs": true, "with": true, "output": true,
}

// decl is a node being loaded: its decoded parts and its partitions.
type decl struct {
	node    *Node
	key     *yaml.Node // the node's name in `nodes:`
	foreach []axis
	keys    []string     // every well-formed foreach key, even one whose values are bad
	needs   []*yaml.Node // string scalars, one per needed node
	with    *yaml.Node
	output  *yaml.Node
	parts   []*engine.PartitionSpec
	// broken nodes had errors that leave their partitions unknown; needs
	// on them are not checked further.
	broken bool
}

// axis is one foreach key and its values.
type axis struct {
	key    string
	values []string
}

// ctx prefixes messages about the node.
func (d *decl) ctx() string { return fmt.Sprintf("node %q: ", d.node.Name) }

// nodes decodes `nodes:`, expands partitions, wires needs and builds the graph.
func (l *loader) nodes(m, n *yaml.Node, p *Pipeline) {
	if n == nil {
		l.errorf(m, "nodes is required")
		return
	}
	ents, ok := l.entries(n, "nodes")
	if ok && len(ents) == 0 {
		l.errorf(resolve(n), "nodes: the pipeline has no nodes")
	}
	var decls []*decl
	for _, e := range ents {
		before := len(l.probs.list)
		if d := l.decl(e, p); d != nil {
			decls = append(decls, d)
		}
		if len(l.probs.list) > before {
			l.broken[e.Name] = true
		}
	}
	byName := map[string]*decl{}
	for _, d := range decls {
		byName[d.node.Name] = d
		p.Nodes = append(p.Nodes, d.node)
	}
	before := len(l.probs.list)
	l.checkNeeds(decls, byName)
	l.checkCycles(decls, byName)
	l.checkOutputs(decls)
	p.Graph = l.graph(p, decls, byName)
	if !ok {
		l.graphBroken = true
	} else if len(l.probs.list) > before {
		l.needsBroken = true
	}
}

// decl decodes one node and expands its partitions.
func (l *loader) decl(e entry, p *Pipeline) *decl {
	d := &decl{node: &Node{Name: e.Name, Pos: l.pos(e.Key).String()}, key: e.Key}
	if !isName(e.Name) {
		l.errorf(e.Key, "invalid node name %q (letters, digits, _ . -)", e.Name)
		return nil
	}
	ents, ok := l.entries(e.Val, "node \""+e.Name+"\"")
	if !ok {
		d.broken = true
		return d
	}
	fields := map[string]*yaml.Node{}
	for _, f := range ents {
		if !nodeKeys[f.Name] {
			l.errorf(f.Key, "unknown key %q in node %q%s", f.Name, e.Name, suggest.DidYouMean(f.Name, slices.Sorted(maps.Keys(nodeKeys))))
			continue
		}
		fields[f.Name] = f.Val
	}
	l.kind(d, fields["kind"])
	if v := fields["description"]; v != nil {
		d.node.Description, _ = l.str(v, d.ctx()+"description")
	}
	d.foreach = l.foreach(d, fields["foreach"], p.Vars)
	d.needs = l.needsList(d, fields["needs"])
	d.with, d.output = fields["with"], fields["output"]
	l.partitions(d, p)
	return d
}

// kind decodes and checks the node's kind.
func (l *loader) kind(d *decl, v *yaml.Node) {
	if v == nil {
		l.errorf(d.key, "%skind is required", d.ctx())
		return
	}
	s, ok := l.str(v, d.ctx()+"kind")
	if !ok {
		return
	}
	d.node.Kind = s
	if l.opt.Kinds != nil && !l.opt.Kinds[s] {
		known := knownKinds(l.opt.Kinds)
		if sug := suggest.DidYouMean(s, known); sug != "" {
			l.errorf(resolve(v), "unknown kind %q in node %q%s", s, d.node.Name, sug)
		} else {
			l.errorf(resolve(v), "unknown kind %q in node %q (known: %s)", s, d.node.Name, strings.Join(known, ", "))
		}
	}
}

func knownKinds(kinds map[string]bool) []string {
	var names []string
	for k, ok := range kinds {
		if ok {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	return names
}

// needsList decodes `needs:`, a list of node names without duplicates.
func (l *loader) needsList(d *decl, v *yaml.Node) []*yaml.Node {
	if v == nil {
		return nil
	}
	n := resolve(v)
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		l.errorf(n, "%sneeds: expected a list of node names, got %s", d.ctx(), describe(n))
		return nil
	}
	var out []*yaml.Node
	seen := map[string]bool{}
	for _, e := range n.Content {
		e = resolve(e)
		s, ok := l.str(e, d.ctx()+"needs")
		if !ok {
			continue
		}
		if seen[s] {
			l.errorf(e, "%sneeds %q twice", d.ctx(), s)
			continue
		}
		seen[s] = true
		d.node.Needs = append(d.node.Needs, s)
		out = append(out, e)
	}
	return out
}

// checkNeeds reports needs of nodes that do not exist.
func (l *loader) checkNeeds(decls []*decl, byName map[string]*decl) {
	for _, d := range decls {
		for _, n := range d.needs {
			if byName[n.Value] == nil {
				l.errorf(n, "%sneeds unknown node %q%s", d.ctx(), n.Value, suggest.DidYouMean(n.Value, slices.Sorted(maps.Keys(byName))))
			}
		}
	}
}
